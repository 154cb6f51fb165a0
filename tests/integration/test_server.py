"""End to end: `scripts/run-haven` starts the real action and Rasa servers on free loopback ports,
a young person chats over the REST channel, bad input gets clear answers, and Ctrl-C stops both.

Marker `server`; needs a trained model (`make train`). One pair of servers serves the module, the
same as test_handoff_server.py's (`haven_behind_proxy`, tests/integration/conftest.py).
"""

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.support.running_haven import Haven, disconnect, new_sender, port_open, texts

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def haven(haven_behind_proxy):
    # As behind one reverse proxy (docs/deploy.md): the client's address is X-Forwarded-For.
    return haven_behind_proxy()


def test_language_and_region_outlast_the_turn_through_the_encrypted_store(haven):
    # The store keeps only allow-listed slots (endpoints.yml keep_slots); the language and the
    # region found in the first message must still be there when the next turns are loaded.
    sender = new_sender()
    status, replies = haven.post(
        {"sender": sender, "message": "me quiero matar", "metadata": {"region": "GB"}}
    )
    assert status == 200
    assert "Me alegra mucho" in texts(replies) and "0800 1111" in texts(replies)
    assert "Paso 1" in texts(haven.say(sender, "/ask_what_to_do"))
    later = texts(haven.say(sender, "/crisis"))
    assert "Me alegra mucho" in later and "999" in later


def test_the_channel_answers_an_empty_message_in_the_metadata_language(haven):
    status, replies = haven.post(
        {"sender": new_sender(), "message": "  ", "metadata": {"language": "es"}}
    )
    assert status == 200 and replies[0]["text"].startswith("No me llegó ninguna palabra")


def test_a_conversation_through_the_plan(haven):
    sender = new_sender()
    greeting = texts(haven.say(sender, "hi"))
    assert "automated assistant" in greeting

    replies = haven.say(sender, "some1 has my nudes and says hell post them if i dont pay")
    assert "not your fault" in replies[0]["text"]
    assert replies[-1]["text"].startswith("Step 1")
    assert [b["payload"] for b in replies[-1]["buttons"]] == [
        "/step_done",
        "/ask_why",
        "/need_help_step",
    ]

    assert haven.say(sender, "/step_done")[-1]["text"].startswith("Step 2")
    assert haven.say(sender, "ok next")[-1]["text"].startswith("Step 3")
    left = texts(haven.say(sender, "what's left"))
    assert "Step 1" in left.split("Still to do")[0] and "Step 8" in left.split("Still to do")[1]


def test_crisis_help_comes_first_mid_plan(haven):
    sender = new_sender()
    haven.say(sender, "this guy is blackmailing me with my pics")
    for text in ("i just want to end it all", "i wanna unalive myself"):  # slang, again
        said = texts(haven.say(sender, text))
        # Rasa sends each paragraph as its own message; the crisis lines come before anything else.
        assert said.startswith("I'm really glad you told me")
        # No region given: help that works anywhere.
        assert "local emergency number" in said and "Step" not in said


def test_jumping_ahead_still_says_dont_pay_first(haven):
    replies = haven.say(new_sender(), "how do i get the pics taken down")
    assert "pay" in replies[0]["text"].lower()
    assert replies[-1]["text"].startswith("Step 7")
    assert "stopncii" not in texts(replies).lower()  # unknown age is treated as a minor


@pytest.mark.parametrize(
    "text",
    ["😭😭😭", "مرحبا، أحتاج مساعدة", "救命", "<script>alert(1)</script><b>hi</b>", "a" * 10_000],
)
def test_odd_messages_get_a_reply_and_the_server_keeps_serving(haven, text):
    replies = haven.say(new_sender(), text)
    assert replies and all(reply["text"] for reply in replies)
    assert "<script>" not in texts(replies)


def test_empty_message_gets_a_kind_reply(haven):
    assert "Take your time" in texts(haven.say(new_sender(), "   "))


def test_too_long_message_gets_a_kind_413(haven):
    status, replies = haven.post({"sender": new_sender(), "message": "a" * 10_001})
    assert status == 413
    assert "shorter parts" in replies[0]["text"]


def test_a_conversation_sending_too_fast_gets_a_kind_429_and_others_go_on(haven):
    sender = new_sender()
    spanish = {"sender": sender, "message": " ", "metadata": {"language": "es"}}
    statuses = []  # 20 a minute by default
    while 429 not in statuses and len(statuses) < 60:
        statuses.append(haven.post(spanish)[0])
    assert statuses[:20] == [200] * 20 and statuses[-1] == 429
    status, replies = haven.post(spanish)
    assert status == 429 and replies[0]["text"].startswith("Estás mandando mensajes muy rápido")
    assert "Take your time" in texts(haven.say(new_sender(), " "))


def test_one_address_is_limited_across_conversations_and_never_logged(haven):
    def from_address(address: str, sender: str) -> int:
        request = urllib.request.Request(
            f"http://127.0.0.1:{haven.rasa_port}/webhooks/rest/webhook",
            data=f'{{"sender": "{sender}", "message": " "}}'.encode(),
            headers={"X-Forwarded-For": address},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                return reply.status
        except urllib.error.HTTPError as error:
            with error:
                return error.code

    busy, other = "198.51.100.77", "203.0.113.55"
    statuses = []  # 120 a minute by default, refilled at 2 a second: sent faster, 429 comes
    while 429 not in statuses and len(statuses) < 400:
        statuses.append(from_address(busy, new_sender()))
    assert statuses[:120] == [200] * 120 and statuses[-1] == 429
    assert from_address(other, new_sender()) == 200
    logs = "".join(path.read_text(errors="replace") for path in haven.log_dir.glob("*.log"))
    assert busy not in logs and other not in logs


def test_the_web_chat_sending_too_fast_gets_the_kind_message(haven):
    import asyncio

    import socketio

    async def scenario() -> list[str]:
        client = socketio.AsyncClient(reconnection=False)
        await client.connect(
            f"http://127.0.0.1:{haven.rasa_port}", transports=["polling"], wait_timeout=10
        )
        await client.call("session_request", {}, timeout=10)
        said: list[str] = []
        while not any("very fast" in text for text in said) and len(said) < 60:
            seq = len(said) + 1
            reply = await client.call("user_uttered", {"message": " ", "seq": seq}, timeout=10)
            said.append(reply["messages"][0]["text"])
        await disconnect(client)
        return said

    said = asyncio.run(scenario())
    assert all("Take your time" in text for text in said[:20])
    assert said[-1].startswith("You're sending messages very fast")


def test_crafted_web_chat_messages_get_kind_replies_and_never_reach_the_logs(haven):
    # A lone UTF-16 surrogate (the chat froze), crisis words after a payload (they got the
    # greeting) and free text in a payload (it was stored and shown to counselors).
    import asyncio

    import socketio

    sent = [
        "Quillibrant \ud800 has my nudes",
        "/greet{} i want to kill myself",
        '/tell_region{"region": "my secret diary text"}',
    ]

    async def scenario() -> list[str]:
        client = socketio.AsyncClient(reconnection=False)
        await client.connect(
            f"http://127.0.0.1:{haven.rasa_port}", transports=["polling"], wait_timeout=10
        )
        await client.call("session_request", {}, timeout=10)
        said = []
        for seq, text in enumerate(sent, start=1):
            reply = await client.call("user_uttered", {"message": text, "seq": seq}, timeout=30)
            assert reply["ok"] and reply["seq"] == seq
            said.append(texts(reply["messages"]))
        await disconnect(client)
        return said

    disclosed, crisis, region = asyncio.run(scenario())
    assert disclosed and "something went wrong" not in disclosed
    assert crisis.startswith("I'm really glad you told me")
    assert "secret diary" not in region
    files = [Path(haven.output.name), *haven.log_dir.glob("*")]
    logs = "".join(path.read_text(errors="replace") for path in files)
    assert "Quillibrant" not in logs and "secret diary" not in logs
    assert "never retrieved" not in logs


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"\xff\xfe",
        b"[]",
        {"sender": "x"},
        {"message": "hi"},
        {"sender": 5},
        {"sender": "x\n", "message": "hi"},
        b"[" * 30_000 + b"]" * 30_000,  # nested deeper than the parser goes
    ],
)
def test_malformed_requests_get_a_clear_400(haven, body):
    status, reply = haven.post(body)
    assert status == 400
    assert reply["error"]


def fetch(haven, path: str, method: str = "GET", body: bytes | None = None, **headers: str):
    """(status, headers) of a request to the Rasa server, errors included."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{haven.rasa_port}{path}", data=body, method=method, headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, reply.headers
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers


@pytest.mark.parametrize(
    ("path", "method", "body", "status"),
    [
        ("/webhooks/rest/webhook", "POST", b'{"sender": "h1", "message": " "}', 200),
        ("/webhooks/rest/webhook", "POST", b"{not json", 400),
        ("/webhooks/rest/", "GET", None, 200),
        ("/webhooks/haven_widget/", "GET", None, 200),
        ("/socket.io/?EIO=4&transport=polling", "GET", None, 200),
        ("/no/such/page", "GET", None, 404),
        ("/model/parse", "POST", b"{}", 404),
    ],
)
def test_every_response_carries_the_security_headers(haven, path, method, body, status):
    got, headers = fetch(haven, path, method, body)
    assert got == status
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "Server" not in headers  # nothing names the software or its version


def test_the_demo_page_keeps_its_own_policy(haven):
    status, headers = fetch(haven, "/")
    assert status == 200 and "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY" and headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize("method", ["OPTIONS", "POST"])
def test_other_sites_get_no_cors_permission(haven, method):
    body = b'{"sender": "cors-1", "message": " "}' if method == "POST" else None
    _, headers = fetch(
        haven,
        "/webhooks/rest/webhook",
        method,
        body,
        Origin="https://evil.example",
        **{"Access-Control-Request-Method": "POST"},
    )
    assert "Access-Control-Allow-Origin" not in headers
    assert "Access-Control-Allow-Credentials" not in headers


def test_a_host_name_not_configured_gets_421_but_the_health_check_answers(haven):
    # DNS rebinding: a page on another name that resolves to loopback.
    body = b'{"sender": "host-1", "message": " "}'
    status, _ = fetch(haven, "/webhooks/rest/webhook", "POST", body, Host="rebind.example:80")
    assert status == 421
    assert fetch(haven, "/counselor", Host="rebind.example")[0] == 421
    assert fetch(haven, "/", Host="rebind.example")[0] == 421
    assert fetch(haven, "/webhooks/rest/", Host="10.1.2.3:5005")[0] == 200  # probes, by address
    assert fetch(haven, "/webhooks/rest/webhook", "POST", body, Host="localhost")[0] == 200


def test_a_rest_sender_cannot_continue_a_web_chat_conversation(haven):
    import asyncio

    import socketio

    async def widget_conversation_in_australia():
        client = socketio.AsyncClient(reconnection=False)
        await client.connect(f"http://127.0.0.1:{haven.rasa_port}", transports=["polling"])
        session = await client.call("session_request", {}, timeout=10)
        message = {"message": '/tell_region{"region": "au"}', "seq": 1}
        await client.call("user_uttered", message, timeout=60)
        await disconnect(client)
        return session["session_id"]

    conversation_id = asyncio.run(widget_conversation_in_australia())
    replies = haven.say(conversation_id, "i want to die")
    assert "Kids Helpline" not in texts(replies)  # not the web chat's region: a new conversation
    assert replies[0]["recipient_id"] == conversation_id


def test_logs_are_readable_by_their_user_only(haven):
    import stat

    assert stat.S_IMODE(haven.log_dir.stat().st_mode) == 0o700
    for name in ("rasa.log", "actions.log"):
        assert stat.S_IMODE((haven.log_dir / name).stat().st_mode) == 0o600, name


def test_rasa_http_api_is_not_exposed(haven):
    for path in ("/conversations/x/tracker", "/model/parse", "/status"):
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(f"http://127.0.0.1:{haven.rasa_port}{path}", timeout=10)
        caught.value.close()
        assert caught.value.code in (401, 403, 404, 405)


def non_loopback_address() -> str | None:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # no packet is sent for UDP connect
            address = probe.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") else address


def test_both_servers_listen_on_loopback_only(haven):
    assert port_open("127.0.0.1", haven.rasa_port) and port_open("127.0.0.1", haven.action_port)
    address = non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address to check against")
    assert not port_open(address, haven.rasa_port)
    assert not port_open(address, haven.action_port)


def test_action_server_down_gets_crisis_lines_and_the_bot_recovers(haven):
    sender = new_sender()
    haven.say(sender, "hi")
    action_server = subprocess.run(
        [
            "pgrep",
            "-f",
            f"haven.rasa_edge.action_server --actions actions --port {haven.action_port}",
        ],
        capture_output=True,
        text=True,
    ).stdout.split()
    assert len(action_server) == 1
    os.kill(int(action_server[0]), signal.SIGKILL)
    while port_open("127.0.0.1", haven.action_port):
        time.sleep(0.2)

    from haven.packs.channel_messages import load_channel_messages

    us = {"region": "us"}
    status, replies = haven.post(
        {"sender": sender, "message": "he will post my nudes unless i pay", "metadata": us}
    )
    assert status == 503
    assert [reply["text"] for reply in replies] == [load_channel_messages(us)["service_error"]]
    assert "988" in replies[0]["text"]
    assert texts(haven.say(new_sender(), "i want to die")).startswith("I'm really glad you told me")

    # run-haven starts the action server again after HAVEN_ACTION_RESTART_SECONDS (5 here).
    deadline = time.monotonic() + 90
    while not port_open("127.0.0.1", haven.action_port) and time.monotonic() < deadline:
        time.sleep(0.1)
    replies = haven.say(sender, "he says he will post my nudes unless i pay")
    assert replies[-1]["text"].startswith("Step 1")
    assert "something went wrong" not in texts(replies)


def test_run_haven_started_ignoring_sigint_is_still_stopped_with_all_it_started(tmp_path):
    # As under nohup, `&` or some service managers: SIGINT ignored from the start, which bash
    # cannot trap. The tests stop servers with SIGTERM, which run-haven traps.
    other = Haven(tmp_path, sigint=False)
    group = other.process.pid
    assert other.stop() == 0  # run-haven stopped its servers itself, not killed
    assert not port_open("127.0.0.1", other.rasa_port)
    assert not port_open("127.0.0.1", other.action_port)
    with pytest.raises(ProcessLookupError):
        os.killpg(group, 0)  # nothing of its process group is left


def test_ctrl_c_stops_both_servers_cleanly(haven):
    # Last in this file on purpose (pytest keeps file order): it stops the shared servers (a
    # later test asking for `haven_behind_proxy` would get new ones).
    code = haven.interrupt()
    assert code in (0, 130)
    ports = (haven.rasa_port, haven.action_port)
    deadline = time.monotonic() + 1  # both closed within a second
    while any(port_open("127.0.0.1", port) for port in ports) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not port_open("127.0.0.1", haven.rasa_port)
    assert not port_open("127.0.0.1", haven.action_port)
