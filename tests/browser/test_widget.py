"""The web chat widget in real headless Chromium (Debian's /usr/bin/chromium), against a real
Haven started by `scripts/run-haven`: a conversation with quick replies, language switch, a lost
and regained connection, quick exit, nothing left on the device, no HTML from anyone, keyboard
only, 320px with the on-screen keyboard open, and axe-core (npm) finding no WCAG violations.

Marker `browser`; `make test-browser` installs Chromium and axe-core when missing. Screenshots go
to results/widget/.
"""

import asyncio
import concurrent.futures
import json
import os
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.support.running_haven import PROJECT, Haven, disconnect

pytestmark = pytest.mark.browser

CHROMIUM = Path(os.environ.get("HAVEN_CHROMIUM", "/usr/bin/chromium"))
AXE = PROJECT / "node_modules" / "axe-core" / "axe.min.js"
RESULTS = PROJECT / "results" / "widget"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
NEUTRAL = "<!doctype html><html lang='en'><title>Weather</title><p>Sunny, 21°</p></html>"
XSS = "<img src=x onerror=\"window.__xss = 'ran'\">"
ONE_PIXEL_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005fe02fea3a1d7"
    "d10000000049454e44ae426082"
)


@pytest.fixture(scope="module")
def haven(tmp_path_factory):
    running = Haven(tmp_path_factory.mktemp("haven"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test-browser` installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # Pages the tests serve themselves (an NGO's page) have no address, so Chromium would
        # treat their sockets to 127.0.0.1 as a public site reaching a local network.
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--disable-features=LocalNetworkAccessChecks,LocalNetworkAccessChecksWebSockets"],
        )
        yield launched
        launched.close()


class Chat:
    """One browser tab with the widget; collects console errors as it goes."""

    def __init__(self, context, url: str) -> None:
        self.context = context
        self.page = context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        self.page.on(
            "console",
            lambda message: message.type == "error" and self.errors.append(message.text),
        )
        self.url = url

    def open(self) -> "Chat":
        self.page.goto(self.url)
        self.wait_until_answered()
        return self

    def wait_until_answered(self, timeout: float = 60_000) -> None:
        """Until every message is acknowledged and at least the greeting is shown."""
        self.page.wait_for_function(
            """() => document.querySelector('.haven-msg--bot')
                && !document.querySelector('.haven-pending')
                && document.querySelector('.haven-typing').hidden""",
            timeout=timeout,
        )

    def bot_texts(self) -> list[str]:
        """What each bot message says (its paragraphs, without buttons or screen-reader labels)."""
        return self.page.eval_on_selector_all(
            ".haven-msg--bot",
            "all => all.map(m => [...m.querySelectorAll('p')].map(p => p.textContent).join('\\n'))",
        )

    def type(self, text: str) -> None:
        self.page.fill(".haven-input", text)
        self.page.press(".haven-input", "Enter")

    def say(self, text: str) -> list[str]:
        """Types a message and returns the bot messages it got."""
        before = len(self.bot_texts())
        self.type(text)
        self.wait_until_answered()
        return self.bot_texts()[before:]

    def click_reply(self, title: str) -> list[str]:
        before = len(self.bot_texts())
        self.page.locator(".haven-reply", has_text=title).last.click()
        self.wait_until_answered()
        return self.bot_texts()[before:]

    def route_sockets(self, held: list | None = None) -> list:
        """Passes the page's sockets through the test, which can then close them or add frames.

        With `held`, the user's messages are kept there instead of reaching the server; each
        entry is (frame, function that sends it on).
        """
        sockets = []

        def through(ws):
            server = ws.connect_to_server()
            sockets.append(ws)
            if held is not None:

                def hold(frame):
                    if "user_uttered" in str(frame):
                        held.append((frame, server.send))
                    else:
                        server.send(frame)

                ws.on_message(hold)

        self.page.route_web_socket("**/socket.io/**", through)
        return sockets

    def session_storage(self) -> dict:
        return self.page.evaluate("() => Object.assign({}, sessionStorage)")

    def axe_violations(self) -> list[dict]:
        # page.evaluate is not subject to the page's CSP (which forbids inline scripts).
        self.page.evaluate(AXE.read_text(encoding="utf-8"))
        return self.page.evaluate(
            """async () => {
                const result = await axe.run(document, {runOnly: {type: 'tag', values:
                    ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}});
                return result.violations.map(v => ({id: v.id, help: v.help,
                    nodes: v.nodes.map(n => n.target.join(' '))}));
            }"""
        )


@pytest.fixture
def open_chat(haven, browser):
    """Opens tabs on a page of Haven; fails the test on any console error."""
    contexts, chats = [], []

    def make(path: str = "/", allow_errors: bool = False, **options) -> Chat:
        options.setdefault("viewport", DESKTOP)
        context = browser.new_context(**options)
        context.route(
            "https://www.google.com/**",
            lambda route: route.fulfill(body=NEUTRAL, content_type="text/html"),
        )
        contexts.append(context)
        chat = Chat(context, f"http://127.0.0.1:{haven.rasa_port}{path}")
        chat.allow_errors = allow_errors
        chats.append(chat)
        return chat

    yield make
    errors = [error for chat in chats if not chat.allow_errors for error in chat.errors]
    for context in contexts:
        context.close()
    assert not errors, f"console errors: {errors}"


def ngo_page(haven, **attributes) -> str:
    """An NGO's page with the documented snippet; served by the test on Haven's origin."""
    data = " ".join(
        f'data-{name.replace("_", "-")}="{value}"' for name, value in attributes.items()
    )
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Safe Kids NGO</title><link rel="icon" href="data:,"></head>
<body><main><h1>Safe Kids NGO</h1><div id="haven-chat" class="chat-box"></div></main>
<script src="http://127.0.0.1:{haven.rasa_port}/widget/haven.js" data-target="haven-chat"
 {data} defer></script></body></html>"""


def serve(context, url: str, body: str | bytes, content_type: str = "text/html") -> None:
    context.route(url, lambda route: route.fulfill(body=body, content_type=content_type))


# --- the conversation -----------------------------------------------------------------------


def test_a_conversation_with_quick_replies_and_screenshots(open_chat):
    chat = open_chat().open()
    greeting = chat.bot_texts()[0]
    assert "automated assistant" in greeting
    assert chat.page.locator(".haven-note").inner_text().startswith("Haven is an automated")
    # The first screen stays in view and says what quick exit does not do.
    intro = chat.page.locator(".haven-intro")
    assert intro.is_visible() and "does not clear your browser history" in intro.inner_text()

    said = chat.say("some1 has my nudes and says hell post them if i dont pay")
    assert "not your fault" in said[0] and "Step 1" in said[-1]
    assert chat.click_reply("Done")[-1].startswith("Step 2")
    # Quick replies stay usable: an earlier message's button still works.
    chat.page.locator(".haven-msg--bot .haven-reply").first.click()
    chat.wait_until_answered()

    RESULTS.mkdir(parents=True, exist_ok=True)
    chat.page.wait_for_timeout(600)  # smooth scrolling settles
    chat.page.screenshot(path=str(RESULTS / "widget-desktop.png"))
    assert chat.axe_violations() == []


def test_phone_width_screenshot_and_accessibility(open_chat):
    chat = open_chat(viewport=PHONE, is_mobile=True, has_touch=True).open()
    RESULTS.mkdir(parents=True, exist_ok=True)
    chat.page.screenshot(path=str(RESULTS / "widget-360-first-screen.png"))
    assert chat.page.locator(".haven-intro").is_visible()
    chat.say("someone is threatening to share my pics unless i pay")
    chat.page.wait_for_timeout(600)  # smooth scrolling settles
    chat.page.screenshot(path=str(RESULTS / "widget-360.png"))
    assert chat.axe_violations() == []


def test_typing_indicator_while_haven_answers(open_chat):
    chat = open_chat()
    held = []
    chat.route_sockets(held)
    chat.page.goto(chat.url)
    chat.page.wait_for_function("() => document.querySelector('.haven-typing')")
    typing = chat.page.locator(".haven-typing")
    typing.wait_for(state="visible")  # the greeting is on its way
    assert typing.get_attribute("aria-hidden") == "true"  # not read out on every message
    frame, send_on = held.pop()
    send_on(frame)
    chat.wait_until_answered()
    assert typing.is_hidden()
    chat.type("hello")
    typing.wait_for(state="visible")
    assert chat.page.locator(".haven-pending:visible").count() == 0  # sent, not "waiting to send"
    frame, send_on = held.pop()
    send_on(frame)
    chat.wait_until_answered()
    assert typing.is_hidden()


def test_talk_to_a_person(open_chat):
    chat = open_chat().open()
    before = len(chat.bot_texts())
    chat.page.get_by_role("button", name="Talk to a person").click()
    chat.wait_until_answered()
    assert (
        chat.page.locator(".haven-msg--user")
        .last.inner_text()
        .endswith("I want to talk to a person")
    )
    assert len(chat.bot_texts()) > before


def test_language_switch(open_chat):
    chat = open_chat().open()
    sent = []
    chat.page.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent.append(frame)))
    chat.page.reload()  # to watch the socket from its start
    chat.page.wait_for_selector(".haven-input")
    chat.page.select_option(".haven-language", "es")
    assert chat.page.locator(".haven-exit").inner_text() == "Salida rápida"
    assert chat.page.locator(".haven").get_attribute("lang") == "es"
    assert chat.page.get_by_label("Escribe tu mensaje").is_visible()
    chat.say("hola")
    assert any('"language":"es"' in str(frame) and "hola" in str(frame) for frame in sent)
    assert chat.session_storage()["haven.language"] == '"es"'
    assert chat.axe_violations() == []


def test_the_ngo_configures_colour_logo_name_language_and_exit(open_chat, haven):
    chat = open_chat(path="/ngo-page")
    base = f"http://127.0.0.1:{haven.rasa_port}"
    page = ngo_page(
        haven,
        color="#ffd700",
        name="Safe Kids NGO chat",
        logo=f"{base}/ngo-logo.png",
        language="es",
        exit_url=f"{base}/neutral",
    )
    serve(chat.context, f"{base}/ngo-page", page)
    serve(chat.context, f"{base}/ngo-logo.png", ONE_PIXEL_PNG, "image/png")
    serve(chat.context, f"{base}/neutral", NEUTRAL)
    chat.open()
    root = chat.page.locator(".haven")
    assert root.get_attribute("lang") == "es"
    assert chat.page.locator(".haven-title").inner_text() == "Safe Kids NGO chat"
    assert chat.page.locator(".haven-logo").get_attribute("src") == f"{base}/ngo-logo.png"
    colours = chat.page.evaluate(
        """() => { const s = getComputedStyle(document.querySelector('.haven-send'));
                   return [s.backgroundColor, s.color]; }"""
    )
    assert colours == ["rgb(255, 215, 0)", "rgb(17, 17, 17)"]  # dark text on a light colour
    assert chat.axe_violations() == []

    chat.page.get_by_role("button", name="Salida rápida").click()
    chat.page.wait_for_url(f"{base}/neutral")
    assert chat.page.title() == "Weather"


# --- quick exit and nothing on the device -----------------------------------------------------


def assert_nothing_left(chat: Chat) -> None:
    storage = chat.page.evaluate("() => [sessionStorage.length, localStorage.length]")
    assert storage == [0, 0]
    assert chat.context.cookies() == []


def test_quick_exit_button_replaces_the_page_and_clears_storage(open_chat, haven):
    chat = open_chat()
    base = f"http://127.0.0.1:{haven.rasa_port}"
    serve(chat.context, f"{base}/ngo-page", ngo_page(haven, exit_url=f"{base}/neutral"))
    serve(chat.context, f"{base}/neutral", NEUTRAL)
    chat.url = f"{base}/ngo-page"
    chat.open()
    chat.say("hi")
    assert chat.session_storage(), "the conversation id and token are in sessionStorage"
    assert chat.context.cookies() == []
    assert chat.page.evaluate("() => localStorage.length") == 0
    sockets_closed = []
    chat.page.on("websocket", lambda ws: sockets_closed.append(ws))  # none should open again

    entries = chat.page.evaluate("() => history.length")
    chat.page.get_by_role("button", name="Quick exit").click()
    chat.page.wait_for_url(f"{base}/neutral")
    assert_nothing_left(chat)
    assert chat.page.evaluate("() => history.length") == entries  # replaced, not added to
    chat.page.go_back()
    assert "ngo-page" not in chat.page.url
    assert sockets_closed == []


def test_esc_is_quick_exit_on_the_demo_page(open_chat):
    chat = open_chat().open()
    entries = chat.page.evaluate("() => history.length")
    chat.page.keyboard.press("Escape")
    chat.page.wait_for_url("https://www.google.com/")
    assert chat.page.title() == "Weather"
    assert chat.page.evaluate("() => history.length") == entries


def test_clear_chat_forgets_the_conversation_on_the_device(open_chat):
    chat = open_chat().open()
    chat.say("someone is blackmailing me with my pics")
    before = chat.session_storage()["haven.conversation"]
    chat.page.get_by_role("button", name="Clear chat").click()
    chat.wait_until_answered()
    assert chat.page.locator(".haven-msg--user").count() == 0
    assert len(chat.bot_texts()) == 1 and "automated assistant" in chat.bot_texts()[0]
    assert chat.session_storage()["haven.conversation"] != before
    assert chat.page.locator(".haven-status").inner_text().startswith("The chat was cleared")


# --- connection ------------------------------------------------------------------------------


def test_messages_typed_offline_arrive_in_order_once_back_online(open_chat):
    chat = open_chat().open()
    chat.context.set_offline(True)
    chat.page.wait_for_function(
        "() => document.querySelector('.haven-status').textContent.includes('offline')"
    )
    before = len(chat.bot_texts())
    for text in ("someone says he will post my pics unless i pay", "/step_done", "/step_done"):
        chat.type(text)
    assert chat.page.locator(".haven-pending:visible").count() == 3
    assert len(chat.bot_texts()) == before
    chat.context.set_offline(False)
    chat.wait_until_answered()
    replies = "\n".join(chat.bot_texts()[before:])
    assert replies.index("Step 1") < replies.index("Step 2") < replies.index("Step 3")


def test_a_dropped_connection_resumes_the_same_conversation(open_chat):
    chat = open_chat()
    sockets = chat.route_sockets()
    chat.open()
    chat.say("someone says he will post my pics unless i pay")
    conversation = chat.session_storage()["haven.conversation"]
    sockets[-1].close()  # the network drops without the browser noticing it is offline
    chat.page.wait_for_timeout(200)
    assert chat.click_reply("Done")[-1].startswith("Step 2")  # same conversation
    assert len(sockets) == 2
    stored = chat.session_storage()["haven.conversation"]
    assert stored.split('"token"')[0] == conversation.split('"token"')[0]


def test_a_reload_resumes_the_conversation(open_chat):
    chat = open_chat().open()
    chat.say("someone says he will post my pics unless i pay")
    chat.page.reload()
    chat.page.wait_for_selector(".haven-input")
    said = chat.say("/step_done")
    assert said[-1].startswith("Step 2")
    # What was said before the reload is not kept on the device, and the chat says so.
    assert chat.page.locator(".haven-msg--user").count() == 1
    assert "never kept on this device" in chat.page.locator(".haven-event").inner_text()


# --- nothing from the server or the user is HTML ---------------------------------------------


def test_html_from_the_user_and_from_the_server_renders_as_text(open_chat):
    chat = open_chat()
    sockets = chat.route_sockets()
    chat.open()
    chat.say(XSS)
    assert chat.page.locator(".haven-msg--user p").last.inner_text() == XSS

    bot_text = (
        f"{XSS} see https://example.org/help and javascript:alert(1) or takeitdown.ncmec.org."
        " Any country's address is a link: argentina.gob.ar/grooming, pdichile.cl or"
        " help.example.co.za."
    )
    sockets[-1].send(
        '42["bot_uttered",'
        + json.dumps({"text": bot_text, "buttons": [{"title": "<b>bold</b>", "payload": "/greet"}]})
        + "]"
    )
    chat.page.wait_for_function(
        """() => [...document.querySelectorAll('.haven-msg--bot')]
            .some(m => m.textContent.includes('onerror'))"""
    )
    last = chat.page.locator(".haven-msg--bot").last
    assert XSS in last.inner_text()
    assert chat.page.locator(".haven img").count() == 0
    assert chat.page.evaluate("() => window.__xss") is None
    links = last.locator("a")
    assert [links.nth(i).get_attribute("href") for i in range(links.count())] == [
        "https://example.org/help",
        "https://takeitdown.ncmec.org/",
        "https://argentina.gob.ar/grooming",
        "https://pdichile.cl/",
        "https://help.example.co.za/",
    ]
    assert all(
        links.nth(i).get_attribute("rel") == "noopener noreferrer" for i in range(links.count())
    )
    assert last.locator(".haven-reply").inner_text() == "<b>bold</b>"


# --- keyboard, small screens, motion ---------------------------------------------------------


def test_keyboard_only(open_chat):
    chat = open_chat().open()
    chat.page.keyboard.press("Tab")
    assert chat.page.evaluate("() => document.activeElement.className") == "haven-exit"
    order = []
    for _ in range(20):  # the greeting's quick replies include a button for each other language
        chat.page.keyboard.press("Tab")
        order.append(chat.page.evaluate("() => document.activeElement.className"))
    # Quick replies come before the message box, then Send, the actions and the language.
    assert order.index("haven-reply") < order.index("haven-input") < order.index("haven-send")
    assert order.index("haven-send") < order.index("haven-action") < order.index("haven-language")
    chat.page.focus(".haven-reply")
    before = len(chat.bot_texts())
    chat.page.keyboard.press("Enter")
    chat.wait_until_answered()
    assert len(chat.bot_texts()) > before


def test_320px_wide_with_the_on_screen_keyboard_open(open_chat):
    chat = open_chat(viewport={"width": 320, "height": 568}, is_mobile=True, has_touch=True)
    chat.open()
    overflow = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert chat.page.evaluate(overflow) <= 0
    chat.page.set_viewport_size({"width": 320, "height": 280})  # the keyboard takes the rest
    chat.page.focus(".haven-input")
    for selector in (".haven-exit", ".haven-input", ".haven-send"):
        box = chat.page.locator(selector).bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= 280, selector
        assert box["x"] >= 0 and box["x"] + box["width"] <= 320, selector
    assert chat.page.evaluate(overflow) <= 0


def test_reduced_motion_stops_the_typing_animation(open_chat):
    chat = open_chat(reduced_motion="reduce").open()
    animation = chat.page.evaluate(
        "() => getComputedStyle(document.querySelector('.haven-dot')).animationName"
    )
    assert animation == "none"


# --- the channel itself: ids, tokens, odd input, logs -----------------------------------------


def run_async(coroutine):
    """Runs a coroutine on its own loop in a thread (Playwright owns this thread's loop)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result(timeout=120)


async def _socket(haven):
    import socketio

    client = socketio.AsyncClient(reconnection=False)
    pushed = []
    client.on("bot_uttered", lambda message: pushed.append(message))
    await client.connect(
        f"http://127.0.0.1:{haven.rasa_port}", transports=["polling"], wait_timeout=10
    )
    return client, pushed


def _one_character_changed(session_id: str) -> str:
    """The id with its last character changed (always changed: the id may end in "A")."""
    return session_id[:-1] + ("B" if session_id.endswith("A") else "A")


def test_guessing_or_reusing_another_conversation_gets_nothing(haven):
    async def scenario():
        owner, _ = await _socket(haven)
        mine = await owner.call("session_request", {}, timeout=10)
        said = await owner.call(
            "user_uttered",
            {"message": "my ex says he'll post my pics unless i pay", "seq": 1},
            timeout=60,
        )
        assert "Step 1" in said["messages"][-1]["text"]

        intruder, pushed = await _socket(haven)
        other = await intruder.call("session_request", {}, timeout=10)
        attempts = [
            {"session_id": mine["session_id"]},
            {"session_id": mine["session_id"], "token": "x" * 43},
            {"session_id": mine["session_id"], "token": other["token"]},  # a real, other token
            {"session_id": _one_character_changed(mine["session_id"]), "token": mine["token"]},
        ]
        for claim in attempts:
            got = await intruder.call("session_request", claim, timeout=10)
            assert got["session_id"] != mine["session_id"] and got["resumed"] is False
        # Naming the conversation in the message does not help either.
        reply = await intruder.call(
            "user_uttered",
            {
                "message": "/step_done",
                "seq": 1,
                "session_id": mine["session_id"],
                "sender": mine["session_id"],
            },
            timeout=60,
        )
        assert not any("Step 2" in m["text"] for m in reply["messages"])
        # The owner's conversation is untouched: it goes on from Step 1.
        said = await owner.call("user_uttered", {"message": "/step_done", "seq": 2}, timeout=60)
        assert said["messages"][-1]["text"].startswith("Step 2")
        assert pushed == []
        # The owner can come back on a new connection with its token.
        back, _ = await _socket(haven)
        resumed = await back.call("session_request", mine, timeout=10)
        assert resumed["resumed"] is True and resumed["session_id"] == mine["session_id"]
        for client in (owner, intruder, back):
            await disconnect(client)

    run_async(scenario())


def test_odd_input_gets_kind_replies_and_the_channel_keeps_serving(haven):
    async def scenario():
        client, _ = await _socket(haven)
        no_session = await client.call("user_uttered", {"message": "hi", "seq": 1}, timeout=10)
        assert no_session == {"ok": False, "error": "no_session"}
        await client.call("session_request", "not a dict", timeout=10)
        replies = []
        for data in (None, "hi", [1, 2], {"message": "hi"}, {"message": "hi", "seq": "x"}):
            replies.append(await client.call("user_uttered", data, timeout=10))
        assert all(r["ok"] is False and r["error"] == "bad_request" for r in replies)
        assert all("didn't get any words" in r["messages"][0]["text"] for r in replies)
        seq = 0
        for data, expected in (
            ({"message": b"\x89PNG\x00\xff"}, "didn't get any words"),
            ({"message": 42}, "didn't get any words"),
            ({"message": "   "}, "Take your time"),
            ({"message": "a" * 10_001}, "shorter parts"),
        ):
            seq += 1
            reply = await client.call("user_uttered", {**data, "seq": seq}, timeout=30)
            assert reply["ok"] is True and expected in reply["messages"][0]["text"]
        seq += 1
        ok = await client.call("user_uttered", {"message": "hi", "seq": seq}, timeout=60)
        assert "automated assistant" in ok["messages"][0]["text"]
        # The same message sent again (a lost acknowledgement) is answered, not handled twice.
        again = await client.call("user_uttered", {"message": "hi", "seq": seq}, timeout=60)
        assert again == ok
        # Another text under the same number (a duplicated tab) is a new message, not a repeat.
        other = {"message": "/request_human", "seq": seq}
        assert (await client.call("user_uttered", other, timeout=60))["messages"] != ok["messages"]
        await disconnect(client)

    run_async(scenario())


def test_the_page_is_served_with_strict_headers(haven):
    with urllib.request.urlopen(f"http://127.0.0.1:{haven.rasa_port}/", timeout=10) as page:
        headers = page.headers
        assert b'src="/widget/haven.js"' in page.read()
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert "Set-Cookie" not in headers


def test_another_site_cannot_open_a_socket(haven):
    request = urllib.request.Request(
        f"http://127.0.0.1:{haven.rasa_port}/socket.io/?EIO=4&transport=polling",
        headers={"Origin": "https://evil.example"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    refused.value.close()
    assert refused.value.code == 400


def test_nothing_typed_in_the_web_chat_reaches_the_logs(haven, open_chat):
    chat = open_chat().open()
    chat.say("zebracanary my stepbrother has the photos")
    chat.context.close()
    logs = "".join(path.read_text(errors="replace") for path in haven.log_dir.glob("*.log"))
    assert "zebracanary" not in logs and XSS not in logs
