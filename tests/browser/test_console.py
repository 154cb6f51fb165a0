"""The live console in real Chromium tabs (the console with the web chat, support/widget_app.py, no
model): a counselor is alerted of a new request at risk without reloading, with the louder sound
and a desktop notification asked for on a click only; take next, transfer to a colleague (the
young person's widget is told another counselor takes over), a counselor asking for support, and
a supervisor who sees it, reads the chat and joins it (three counselors' tabs and the young
person's); every page passes axe-core and logs no error.

Every step waits on what the tab shows (Playwright's waits and `expect`), never on a fixed time:
the console's pushes and its own fetches arrive in either order."""

import json
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from haven.handoff.queue import HandoffQueue
from haven.storage.crypto import KeyRing
from tests.browser.test_widget import DESKTOP, RESULTS, Chat, browser  # noqa: F401 - fixture
from tests.support import PROJECT
from tests.support.canned import region_facts
from tests.support.counselor_console import PASSWORD, ask, serve

pytestmark = pytest.mark.browser

LEAVE_GRACE_SECONDS = 30
WAIT_MS = 30_000
"""As long as Playwright's other waits (`expect` waits 5 s): a busy machine is slow, not wrong."""

# The browser's Notification and Web Audio, recorded: what a counselor would see and hear.
RECORD_ALERTS = """
window.__alerts = {asked: 0, shown: [], oscillators: []};
class RecordedNotification {
  constructor(title, options) { window.__alerts.shown.push({title, tag: options && options.tag}); }
}
RecordedNotification.permission = 'default';
RecordedNotification.requestPermission = function () {
  window.__alerts.asked += 1;
  RecordedNotification.permission = 'granted';
  return Promise.resolve('granted');
};
window.Notification = RecordedNotification;
const createOscillator = AudioContext.prototype.createOscillator;
AudioContext.prototype.createOscillator = function () {
  const oscillator = createOscillator.call(this);
  window.__alerts.oscillators.push(oscillator);
  return oscillator;
};
"""


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    """A running console with ana and ben, counselors, and sam, a supervisor."""
    process, port, env = serve(
        tmp_path_factory.mktemp("console-browser"),
        "tests.support.widget_app",
        LEAVE_GRACE_SECONDS,
        counselors=("ana", "ben", "sam"),
    )
    subprocess.run(
        [sys.executable, "-m", "haven.handoff.cli", "set", "sam", "--supervisor"],
        cwd=PROJECT,
        env=env,
        check=True,
        capture_output=True,
    )
    queue = HandoffQueue(env["HAVEN_DB_URL"], KeyRing.parse(env["HAVEN_KEYS"]))
    yield port, queue
    process.terminate()
    process.wait(timeout=10)


def log_in(chromium, port: int, name: str) -> Chat:
    tab = Chat(chromium.new_context(viewport=DESKTOP), f"http://127.0.0.1:{port}/counselor")
    tab.page.add_init_script(RECORD_ALERTS)
    tab.page.goto(tab.url)
    tab.page.fill("#name", name)
    tab.page.fill("#password", PASSWORD)
    tab.page.click("text=Log in")
    tab.page.wait_for_selector("text=Logged in as")
    tab.page.wait_for_function("() => document.body.dataset.live === 'on'")
    return tab


def young_person(chromium, port: int) -> tuple[Chat, str]:
    """A young person's widget, and their conversation's id."""
    chat = Chat(chromium.new_context(viewport=DESKTOP), f"http://127.0.0.1:{port}/").open()
    return chat, json.loads(chat.session_storage()["haven.conversation"])["id"]


def told(young: Chat, words: str) -> None:
    """Waits until the young person's widget shows a message with `words`."""
    young.page.locator(".haven-msg--bot", has_text=words).wait_for()


def alerts(tab: Chat) -> dict:
    return tab.page.evaluate(
        "() => ({asked: __alerts.asked, shown: __alerts.shown,"
        " sounds: __alerts.oscillators.map(o => o.type)})"
    )


def end_all(queue: HandoffQueue) -> None:
    for request in queue.claimed():
        queue.end(request.request_id, request.claimed_by or "")
    for request in queue.waiting():
        queue.cancel(request.conversation_id)


def test_a_new_request_at_risk_alerts_the_counselor_without_reloading(console, browser):  # noqa: F811
    port, queue = console
    tab = log_in(browser, port, "ana")
    page = tab.page
    page.evaluate("() => { window.__sameTab = true; }")  # gone if the page reloaded
    assert alerts(tab)["asked"] == 0  # never asked on load
    page.get_by_role("button", name="Turn on alerts").click()
    assert alerts(tab)["asked"] == 1

    ask(queue, "browser-plain")
    page.locator("#console-alert", has_text="A young person is waiting.").wait_for()
    ask(queue, "browser-risk", risk=True)
    page.locator("#console-alert", has_text="AT RISK").wait_for()
    page.locator("#queue li.risk").wait_for()
    shown = alerts(tab)
    assert [n["tag"] for n in shown["shown"]] == ["haven-request", "haven-risk"]
    assert shown["shown"][1]["title"] == "A young person AT RISK is waiting."
    # One soft tone for the first, four louder square-wave beeps for the one at risk.
    assert shown["sounds"] == ["sine"] + ["square"] * 4
    assert page.evaluate("() => window.__sameTab") is True
    assert tab.axe_violations() == []
    assert not tab.errors, tab.errors
    end_all(queue)
    tab.context.close()


def test_take_next_transfer_support_and_a_supervisor_who_reads_and_joins(console, browser):  # noqa: F811
    port, queue = console
    ana, ben, sam = (log_in(browser, port, name) for name in ("ana", "ben", "sam"))
    young, conversation = young_person(browser, port)
    older = ask(queue, "browser-older")
    at_risk = ask(queue, conversation, risk=True)
    ana.page.locator("#queue li.risk").wait_for()

    # Take next: the request at risk first, though the other waited longer.
    ana.page.get_by_role("button", name="Take next").click()
    panel = ana.page.locator(f".chat-panel[data-id='{at_risk.request_id}']")
    panel.locator(".messages li.notice").wait_for()
    # The summary comes with the chat's first fetch, which the pushed notice may overtake.
    expect(panel.locator(".chat-summary")).to_contain_text("RISK", timeout=WAIT_MS)
    assert [r.request_id for r in queue.waiting()] == [older.request_id]
    told(young, "A counselor has joined the chat.")

    # Transfer to ben: his console is told and opens the chat; ana's panel closes; the young
    # person is told another counselor is taking over.
    panel.locator(".to").select_option("ben")
    panel.get_by_role("button", name="Transfer").click()
    panel.wait_for(state="detached")
    ben.page.locator("#console-alert", has_text="ana gave you a chat.").wait_for()
    ben_panel = ben.page.locator(f".chat-panel[data-id='{at_risk.request_id}']")
    ben_panel.locator(".messages li.notice", has_text="transferred").wait_for()
    told(young, "Another counselor is taking over your chat now.")

    # A canned response, the region's help lines in it, goes into ben's message box.
    ben_panel.locator(".canned option", has_text="Crisis lines of their region").wait_for(
        state="attached"
    )
    ben_panel.locator(".canned").select_option(label="Crisis lines of their region")
    ben_panel.get_by_role("button", name="Insert", exact=True).click()
    assert region_facts("uk")["emergency"]["call"] in ben_panel.locator(".text").input_value()
    ben_panel.locator(".text").fill("")

    # Ben asks for support: the supervisor is alerted and sees the chat flagged.
    ben_panel.get_by_role("button", name="Need support").click()
    sam.page.locator("#console-alert", has_text="ben asks for support.").wait_for()
    flagged = sam.page.locator("#live li", has_text="NEEDS SUPPORT")
    flagged.wait_for()
    assert "with ben" in flagged.inner_text()

    # The supervisor reads it (read-only), then joins and writes; ben sees it at once.
    flagged.get_by_role("button", name="View").click()
    sam_panel = sam.page.locator(f".chat-panel[data-id='{at_risk.request_id}']")
    sam_panel.locator(".read-only").wait_for()
    assert sam_panel.locator(".send").is_hidden()
    assert sam.axe_violations() == []
    sam_panel.get_by_role("button", name="Join").click()
    sam_panel.locator(".send").wait_for()
    for only_bens in (".transfer", ".end", ".hand-back", ".support"):
        assert sam_panel.locator(only_bens).is_hidden()  # ben's chat: he ends or gives it
    sam_panel.locator(".text").fill("Ben, I'm here with you.")
    sam_panel.locator(".send button[type=submit]").click()
    ben_panel.locator(".messages li.counselor", has_text="I'm here with you").wait_for()
    sam_panel.locator(".messages li.counselor", has_text="I'm here with you").wait_for()
    young.page.locator(".haven-msg--counselor", has_text="I'm here with you").wait_for()
    # Several chats side by side: ben takes the other request too.
    ben.page.get_by_role("button", name="Take next").click()
    ben.page.locator(".chat-panel").nth(1).wait_for()
    assert ben.page.locator(".chat-panel").count() == 2
    assert ben.axe_violations() == []
    RESULTS.mkdir(parents=True, exist_ok=True)
    ben.page.screenshot(path=str(RESULTS / "counselor-console-two-chats.png"))
    sam.page.screenshot(path=str(RESULTS / "counselor-console-supervisor.png"))
    assert ana.page.locator(".chat-panel").count() == 0
    assert ana.page.locator(".messages li.counselor").count() == 0  # nothing after the transfer

    actions = [(line["counselor"], line["action"]) for line in queue.audit_trail()]
    for expected in [
        ("ana", "take_next"),
        ("ana", "transfer"),
        ("ben", "need_support"),
        ("sam", "supervisor_join"),
        ("ben", "take_next"),
    ]:
        assert expected in actions
    for tab in (ana, ben, sam, young):
        assert not tab.errors, tab.errors
        tab.context.close()
    end_all(queue)
