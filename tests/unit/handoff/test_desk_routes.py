"""The console's team routes in-process (haven/handoff/desk_routes.py): a transfer tells the young
person, in their language, that another counselor is taking over; a refused transfer tells them
nothing; and the SQL of claim, take next, transfer, join and finish runs on the console's threads,
never on the event loop's own thread (the loop that serves the young people's messages)."""

import asyncio
import threading
from types import SimpleNamespace

import pytest

from haven.handoff.console import COOKIE
from haven.handoff.relay import NOTICE, HandoffRelay
from tests.support.counselor_console import console_in_process


class YoungPeople:
    """What the relay pushed to each young person's widget."""

    def __init__(self) -> None:
        self.pushed: list[tuple[str, dict]] = []

    async def push(self, conversation_id: str, message: dict) -> None:
        self.pushed.append((conversation_id, dict(message)))

    def notices_to(self, conversation_id: str) -> list[str]:
        return [m.get("notice") for c, m in self.pushed if c == conversation_id]

    def text_of(self, conversation_id: str, notice: str) -> str:
        return next(
            m["text"] for c, m in self.pushed if c == conversation_id and m.get("notice") == notice
        )


@pytest.fixture
def team(tmp_path):
    """A console over a fresh database: ana and ben counselors, sam a supervisor, each logged in
    and with their console connected; what reaches the young people is recorded."""
    relay = HandoffRelay()
    young = YoungPeople()
    relay.push_to_young_person = young.push
    console = console_in_process(tmp_path, "ana", "ben", "sam", relay=relay)
    logged_in = {}
    for name in ("ana", "ben", "sam"):
        console.desk.seen(name)
        token, session = console.sessions.start(name, console.accounts.session_stamp(name) or "")
        logged_in[name] = (token, session.csrf)
    console.desk.set_role("sam", supervisor=True)
    return SimpleNamespace(console=console, queue=console.queue, young=young, logged_in=logged_in)


def post(team, name, body=None):
    """A console POST by `name`, with their session cookie and CSRF token."""
    token, csrf = team.logged_in[name]
    return SimpleNamespace(
        json=body or {},
        headers={"x-csrf-token": csrf},
        cookies={COOKIE: token},
        host="127.0.0.1:5005",
        app=SimpleNamespace(ctx=SimpleNamespace()),  # no Rasa agent: the request's language
    )


def status_and_body(reply):
    import json

    return reply.status, json.loads(reply.body)


def ask(queue, conversation, language="en"):
    return queue.request(
        conversation, language=language, region=None, age_band=None, steps_done=[], risk=False
    )


def test_after_a_transfer_the_young_person_is_told_in_their_language(team):
    routes = team.console.desk_routes
    request = ask(team.queue, "conv-es", language="es")

    async def claim_then_transfer():
        claimed = await team.console.claim(post(team, "ana", {"id": request.request_id}))
        assert claimed.status == 200
        moved = await routes.transfer(post(team, "ana", {"to": "ben"}), request.request_id)
        return status_and_body(moved)

    assert asyncio.run(claim_then_transfer()) == (200, {"ok": True})
    assert team.young.notices_to("conv-es") == ["handoff_joined", None, "handoff_transferred"]
    told = team.young.text_of("conv-es", "handoff_transferred")
    spanish = team.console.renderer.channel_message(
        "handoff_transferred", language="es", region=None
    )
    english = team.console.renderer.channel_message(
        "handoff_transferred", language="en", region=None
    )
    assert told == spanish != english
    assert "{" not in told
    assert team.queue.live_chat(request.request_id).claimed_by == "ben"
    # The counselors' chat notes the transfer once, with both names (not a second notice).
    chat = team.console.relay.by_request(request.request_id)
    notes = [m for m in chat.messages if m["from"] == NOTICE]
    assert [m["text"] for m in notes] == ["handoff_joined", "transferred"]
    assert notes[-1]["by"] == "ana" and notes[-1]["to"] == "ben"
    assert chat.counselor == "ben"


def test_a_transfer_refused_tells_the_young_person_nothing(team):
    routes = team.console.desk_routes
    request = ask(team.queue, "conv-en")
    team.console.desk.seen("ben", connected=False)  # ben's console closed

    async def scenario():
        await team.console.claim(post(team, "ana", {"id": request.request_id}))
        pushed_before = len(team.young.pushed)
        nobody = status_and_body(
            await routes.transfer(post(team, "ana", {"to": "ben"}), request.request_id)
        )
        not_hers = status_and_body(
            await routes.transfer(post(team, "sam", {"to": "ana"}), request.request_id)
        )
        return nobody, not_hers, team.young.pushed[pushed_before:]

    nobody, not_hers, pushed = asyncio.run(scenario())
    assert nobody[0] == 400 and nobody[1]["error"] == "colleague" and nobody[1]["message"]
    assert not_hers == (404, {"error": "not found"})
    assert pushed == []
    assert team.queue.live_chat(request.request_id).claimed_by == "ana"


def test_the_team_routes_run_their_queue_calls_off_the_event_loop(team):
    console, routes, queue = team.console, team.console.desk_routes, team.queue
    calls = []
    for method in ("claim", "take_next", "chats_of", "transfer", "join", "end", "flag_support"):
        original = getattr(queue, method)

        def spying(*arguments, _method=method, _original=original, **options):
            calls.append((_method, threading.current_thread()))
            return _original(*arguments, **options)

        setattr(queue, method, spying)
    first, second = ask(queue, "conv-1"), ask(queue, "conv-2")

    async def every_route():
        loop_thread = threading.current_thread()
        replies = [
            await console.claim(post(team, "ana", {"id": first.request_id})),
            await routes.take_next(post(team, "ana")),
            await routes.transfer(post(team, "ana", {"to": "ben"}), first.request_id),
            await routes.support(post(team, "ben"), first.request_id),
            await routes.join(post(team, "sam"), first.request_id),
            await console.finish(post(team, "ben"), first.request_id, "end"),
            await console.finish(post(team, "ana"), second.request_id, "hand_back"),
        ]
        return loop_thread, [reply.status for reply in replies]

    loop_thread, statuses = asyncio.run(every_route())
    assert statuses == [200] * 7
    assert {method for method, _ in calls} == {
        "claim",
        "take_next",
        "chats_of",
        "transfer",
        "join",
        "end",
        "flag_support",
    }
    on_the_loop = [method for method, thread in calls if thread is loop_thread]
    assert on_the_loop == []
    assert all(thread.name.startswith("haven-console") for _, thread in calls), calls
