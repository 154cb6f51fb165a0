"""A counselor handoff in two real Chromium contexts: the young person asks for a person in the
web chat, a counselor logs in to the console, claims, sees the earlier chat the young person agreed
to share, they write to each other, the counselor hands back and the bot answers again; a young
person who leaves while waiting is out of the queue, and a late claim says so. Neither page logs
an error (a CSP violation would)."""

import json
import time

import pytest

from tests.browser.test_widget import DESKTOP, RESULTS, Chat, browser  # noqa: F401 - fixture
from tests.support.running_haven import haven_with_counselor

pytestmark = pytest.mark.browser

PASSWORD = "a long test password"  # noqa: S105 - a test account's password
EARLIER_WORDS = "a man called vorpaltrix wants money for my pics"


@pytest.fixture(scope="module")
def haven(tmp_path_factory):
    running = haven_with_counselor(tmp_path_factory.mktemp("handoff-browser"), "ana", PASSWORD)
    yield running
    running.stop()


def log_in(chromium, base: str, name: str = "ana", password: str = PASSWORD, live=True) -> Chat:
    """The counselor's tab, logged in (axe-core checks the login page on the way); without
    `live`, its live socket is refused, as when a network drops it."""
    console_tab = Chat(chromium.new_context(viewport=DESKTOP), f"{base}/counselor")
    if not live:
        console_tab.page.route("**/counselor/socket.io/**", lambda route: route.abort())
    console_tab.page.goto(console_tab.url)
    assert console_tab.axe_violations() == []
    console_tab.page.fill("#name", name)
    console_tab.page.fill("#password", password)
    console_tab.page.click("text=Log in")
    console_tab.page.wait_for_selector("text=Logged in as")
    return console_tab


def test_young_person_and_counselor_talk_then_haven_takes_over_again(haven, browser):  # noqa: F811
    base = f"http://127.0.0.1:{haven.rasa_port}"
    console_tab = log_in(browser, base)
    console, console_errors = console_tab.page, console_tab.errors

    young = Chat(browser.new_context(viewport=DESKTOP), f"{base}/").open()
    young.say(EARLIER_WORDS)  # before asking for a person: only the page holds it
    before = len(young.bot_texts())
    young.page.get_by_role("button", name="Talk to a person").click()
    young.wait_until_answered()
    answer = young.bot_texts()[before:]
    assert any("and it can be longer" in text for text in answer)
    assert any("short summary" in text for text in answer)
    young.click_reply("Yes, share it")

    claim = console.locator("#queue button", has_text="Claim")
    # Pushed live: first as filed, then with the summary once the young person said yes.
    console.locator("#queue li", has_text="steps done").wait_for()
    claim.first.click()
    console.wait_for_selector(".chat-panel .messages li.notice")
    # The young person said yes: the console shows this chat's earlier turns, from the page.
    earlier = console.locator(".chat-panel .messages li.transcript")
    earlier.wait_for()
    assert f"Young person: {EARLIER_WORDS}" in earlier.inner_text()
    assert "Haven: " in earlier.inner_text() and "not saved" in earlier.inner_text()
    young.page.wait_for_function(
        "() => [...document.querySelectorAll('.haven-msg--bot')]"
        ".some(m => m.textContent.includes('A counselor has joined'))"
    )

    young.type("thank you for coming <b>really</b>")
    young.wait_until_answered()
    console.wait_for_selector(".chat-panel .messages li.young_person")
    assert console.locator(".chat-panel .messages li.young_person").inner_text() == (
        "Young person: thank you for coming <b>really</b>"
    )
    # Unread until the counselor is in that chat: on the panel and on the chat's card.
    assert console.locator(".chat-panel .badge").inner_text() == "1 new"
    console.locator("#chats li .unread", has_text="1 new").wait_for()

    console.fill(".chat-panel .text", "Hi, I'm Ana. You did the right thing asking.")
    assert console.locator(".chat-panel .badge").inner_text() == ""  # read
    assert console.locator("#chats li .unread").count() == 0
    console.click(".chat-panel .send button[type=submit]")
    counselor_message = young.page.locator(".haven-msg--counselor")
    counselor_message.wait_for()
    assert "Counselor:" in counselor_message.inner_text()
    assert "You did the right thing asking." in counselor_message.inner_text()
    assert console_tab.axe_violations() == []  # the console with a chat open
    RESULTS.mkdir(parents=True, exist_ok=True)
    console.screenshot(path=str(RESULTS / "counselor-console.png"))
    young.page.screenshot(path=str(RESULTS / "handoff-young-person.png"))

    console.click(".chat-panel .hand-back")
    young.page.wait_for_function(
        "() => [...document.querySelectorAll('.haven-msg--bot')]"
        ".some(m => m.textContent.includes('handed you back'))"
    )
    again = young.say("what should i do now")
    assert again and all(text for text in again)  # the bot answers again
    assert console.locator(".chat-panel").count() == 0
    assert not young.errors and not console_errors, (young.errors, console_errors)
    stored = b"".join(p.read_bytes() for p in (haven.tmp / "data").glob("haven.db*"))
    assert EARLIER_WORDS.encode() not in stored
    assert b"vorpaltrix" not in stored


def counselor_and_young_person_waiting(haven, chromium, live=True) -> tuple[Chat, Chat]:
    """A logged-in console, and a young person who asked for a person (quick exit leads to a
    stand-in page instead of the real search engine)."""
    base = f"http://127.0.0.1:{haven.rasa_port}"
    console_tab = log_in(chromium, base, live=live)
    context = chromium.new_context(viewport=DESKTOP)
    context.route(
        "https://www.google.com/**",
        lambda route: route.fulfill(body="<title>Weather</title>", content_type="text/html"),
    )
    young = Chat(context, f"{base}/").open()
    young.page.get_by_role("button", name="Talk to a person").click()
    young.wait_until_answered()
    return console_tab, young


def test_quick_exit_mid_handoff_tells_the_counselor(haven, browser):  # noqa: F811
    console_tab, young = counselor_and_young_person_waiting(haven, browser)
    console = console_tab.page
    console.locator("#queue button", has_text="Claim").first.click()
    young.page.wait_for_function(
        "() => [...document.querySelectorAll('.haven-msg--bot')]"
        ".some(m => m.textContent.includes('A counselor has joined'))"
    )
    young.page.get_by_role("button", name="Quick exit").click()
    young.page.wait_for_url("https://www.google.com/**")
    console.locator(".chat-panel .messages li.notice", has_text="left the chat").wait_for()
    console.click(".chat-panel .end")
    console.locator(".chat-panel").wait_for(state="detached")
    assert not console_tab.errors and not young.errors, (console_tab.errors, young.errors)


def test_quick_exit_while_waiting_takes_the_request_out_and_a_late_claim_says_so(
    haven,
    browser,  # noqa: F811
):
    # Without the live socket, which would correct the list at once: the server's answer to a
    # claim of a stale list is what this test is about.
    console_tab, young = counselor_and_young_person_waiting(haven, browser, live=False)
    console = console_tab.page

    from haven.handoff.queue import default_queue

    queue = default_queue({"HAVEN_DATA_DIR": str(haven.tmp / "data")})
    console.locator("#queue button", has_text="Claim").first.wait_for()
    # Keep the console's list as it is now, as if it had not refreshed yet when the counselor
    # clicks: the server's answer is what the test is about.
    stale = console.evaluate("() => fetch('/counselor/api/state').then(r => r.text())")
    console.route(
        "**/counselor/api/state",
        lambda route: route.fulfill(body=stale, content_type="application/json"),
    )
    (mine,) = json.loads(stale)["queue"]
    assert mine["id"] in [r.request_id for r in queue.waiting()]
    young.page.get_by_role("button", name="Quick exit").click()
    young.page.wait_for_url("https://www.google.com/**")
    deadline = time.monotonic() + 10
    while mine["id"] in [r.request_id for r in queue.waiting()]:  # out at once, no grace time
        assert time.monotonic() < deadline, "the request is still waiting after quick exit"
        time.sleep(0.2)
    console.locator("#queue button", has_text="Claim").first.click()
    console.locator("#console-status", has_text="This young person has left.").wait_for()
    console.unroute("**/counselor/api/state")
    # Chromium logs the 410 answer itself as a failed resource, and each refused try of the live
    # socket (net::ERR_FAILED: only those requests are aborted); nothing else may be logged.
    errors = [
        e for e in console_tab.errors if "status of 410" not in e and "net::ERR_FAILED" not in e
    ] + young.errors
    assert not errors, errors


def test_the_console_configured_in_spanish_speaks_spanish(tmp_path, browser):  # noqa: F811
    """No model needed: the console alone (tests.console_app) with HAVEN_CONSOLE_LANGUAGE=es."""
    from haven.handoff.queue import HandoffQueue
    from haven.storage.crypto import KeyRing
    from tests.support.counselor_console import PASSWORD as CONSOLE_PASSWORD
    from tests.support.counselor_console import serve

    process, port, env = serve(tmp_path, "tests.support.console_app", HAVEN_CONSOLE_LANGUAGE="es")
    try:
        queue = HandoffQueue(env["HAVEN_DB_URL"], KeyRing.parse(env["HAVEN_KEYS"]))
        queue.request(
            "es-browser",
            language="es",
            region="es",
            age_band=None,
            steps_done=["dont_pay"],
            risk=True,
        )
        queue.set_share_summary("es-browser", True)
        tab = Chat(browser.new_context(viewport=DESKTOP), f"http://127.0.0.1:{port}/counselor")
        tab.page.goto(tab.url)
        assert tab.page.title() == "Consola de consejería de Haven: iniciar sesión"
        assert tab.page.get_attribute("html", "lang") == "es"
        assert tab.axe_violations() == []
        tab.page.fill("#name", "ana")
        tab.page.fill("#password", CONSOLE_PASSWORD)
        tab.page.get_by_role("button", name="Iniciar sesión").click()
        tab.page.wait_for_selector("text=Sesión iniciada como")
        card = tab.page.locator("#queue li").first
        card.locator("button", has_text="Atender").wait_for()
        assert "RIESGO" in card.inner_text() and "pasos hechos: no pagar" in card.inner_text()
        assert tab.axe_violations() == []
        assert not tab.errors, tab.errors
    finally:
        process.terminate()
        process.wait(timeout=10)
