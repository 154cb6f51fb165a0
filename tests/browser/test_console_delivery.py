"""A counselor's message the young person did not get, in real Chromium: the console alone
(support/console_app.py) has no web chat, so no young person is connected and nothing a counselor
sends can be delivered. The chat says so next to the message, in plain words, with a button to
send it again; sent again while they are still away, it still says so. The page passes axe-core."""

import pytest

from tests.browser.test_console import console, end_all, log_in  # noqa: F401 - fixture
from tests.browser.test_widget import RESULTS, browser  # noqa: F401 - fixture
from tests.support.counselor_console import ask

pytestmark = pytest.mark.browser


def test_a_message_not_delivered_says_so_and_can_be_sent_again(console, browser):  # noqa: F811
    port, queue = console
    end_all(queue)
    request = ask(queue, "delivery-browser")
    ana = log_in(browser, port, "ana")
    ana.page.locator("#queue button", has_text="Claim").first.click()
    panel = ana.page.locator(".chat-panel").first
    panel.locator(".send").wait_for()
    panel.locator(".text").fill("I'm here, take your time.")
    panel.locator(".send button[type=submit]").click()
    sent = panel.locator(".messages li.counselor", has_text="take your time")
    sent.locator(".not-delivered", has_text="Not delivered").wait_for()
    assert panel.locator(".text").input_value() == ""  # the message is in the chat, marked
    again = sent.locator("button.send-again", has_text="Send again")
    again.click()
    ana.page.wait_for_timeout(500)
    again.wait_for()
    assert again.is_enabled()  # still away: still not delivered, and can be tried again
    assert sent.locator(".not-delivered").count() == 1
    ana.page.screenshot(path=str(RESULTS / "console-not-delivered.png"))
    assert ana.axe_violations() == []
    assert not ana.errors, ana.errors
    queue.end(request.request_id, "ana")
    ana.context.close()
