"""The console's login with a second factor and its password change, in Chromium: the code page
and the password pages pass axe-core, the app's code logs in, a new password ends the counselor's
other tab. The console alone (tests/support/console_app.py), no Rasa model needed."""

import pyotp
import pytest

from tests.browser.test_widget import DESKTOP, Chat, browser  # noqa: F401 - fixture
from tests.support.counselor_console import NEW_PASSWORD, PASSWORD, enrol, serve

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    process, port, env = serve(
        tmp_path_factory.mktemp("login-browser"), "tests.support.console_app"
    )
    yield f"http://127.0.0.1:{port}", env
    process.terminate()
    process.wait(timeout=10)


def test_a_counselor_logs_in_with_the_apps_code(
    console,
    browser,  # noqa: F811
):
    base, env = console
    secret = enrol(env, "ana")
    tab = Chat(browser.new_context(viewport=DESKTOP), f"{base}/counselor")
    page = tab.page
    page.goto(tab.url)
    page.fill("#name", "ana")
    page.fill("#password", PASSWORD)
    page.click("text=Log in")
    page.wait_for_selector("#code")
    assert tab.axe_violations() == []
    page.fill("#code", "000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    page.click("text=Log in")
    page.wait_for_selector("text=That code is not right")
    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("text=Log in")
    page.wait_for_selector("text=Logged in as")
    # The wrong code's page came with a 401, which Chromium reports; nothing else went wrong.
    assert [error for error in tab.errors if "401 (Unauthorized)" not in error] == []


def logged_in(browser, base, name):  # noqa: F811
    tab = Chat(browser.new_context(viewport=DESKTOP), f"{base}/counselor")
    tab.page.goto(tab.url)
    tab.page.fill("#name", name)
    tab.page.fill("#password", PASSWORD)
    tab.page.click("text=Log in")
    tab.page.wait_for_selector("text=Logged in as")
    return tab


def test_a_new_password_ends_the_counselors_other_tab(console, browser):  # noqa: F811
    base, _ = console
    tab, other = logged_in(browser, base, "ben"), logged_in(browser, base, "ben")
    page = tab.page
    page.click("text=Change password")
    page.wait_for_selector("#current")
    assert tab.axe_violations() == []
    page.fill("#current", PASSWORD)
    page.fill("#new", NEW_PASSWORD)
    page.fill("#again", NEW_PASSWORD)
    page.click("button:has-text('Change password')")
    page.wait_for_selector("text=Your password is changed")
    assert tab.axe_violations() == []
    page.click("text=Back to the console")
    page.wait_for_selector("text=Logged in as")
    other.page.reload()
    other.page.wait_for_selector("#password")  # the login form again
    assert tab.errors == []
