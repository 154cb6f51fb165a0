"""Two Rasa servers sharing PostgreSQL (encrypted tracker store) and Redis (lock store).

The production profile (deploy/endpoints.prod.yml) is started twice through scripts/run-haven on
loopback; the second process uses the first one's action server. One conversation's turns go
alternately to each server, and many conversations do so at once: every conversation must get
exactly the replies a single server gives, so no event was lost or reordered between processes.
The per-conversation rate limit, kept in Redis, holds across both servers.
Needs the real PostgreSQL and Redis of this machine; skips, saying why, where they are absent.
"""

import concurrent.futures
import secrets
import socket
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from haven.storage.crypto import generate_key_line
from tests.support.running_haven import Haven, new_sender

pytestmark = pytest.mark.server

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
REDIS = ("127.0.0.1", 6379)
SCRIPT = [
    "hi",
    "some guy says he'll post my nudes unless i pay",
    "/step_done",
    "why",
    "/step_done",
    "what's left",
    "i already paid him",
    "/go_back",
    "im in the uk",
    "i want to die",
]


def reachable(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex((host, port)) == 0


def two_servers_running(tmp_path_factory):
    """The two servers (first, second), stopped when the generator is closed; the fixture
    `two_servers` (tests/integration/conftest.py) shares them with
    test_handoff_multi_instance.py."""
    import sqlalchemy as sa

    if not reachable("127.0.0.1", 5432):
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432")
    if not reachable(*REDIS):
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    schema = f"haven_multi_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_URL, future=True)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    env = {
        "HAVEN_ENDPOINTS": "deploy/endpoints.prod.yml",
        "HAVEN_DB_URL": f"{POSTGRES_URL}?options=-csearch_path%3D{schema}",
        "HAVEN_KEYS": generate_key_line("multi"),
        "HAVEN_REDIS_URL": f"redis://{REDIS[0]}:{REDIS[1]}/1",
        "HAVEN_ACTION_SECRET": secrets.token_hex(32),
        # Every test message comes from 127.0.0.1, and the limit per address is now shared by
        # both servers (in Redis): raised, so only the per-conversation limit is met here.
        "HAVEN_RATE_PER_ADDRESS": "100000",
    }
    # Started side by side (the second needs the first's action server only for messages).
    first = Haven(tmp_path_factory.mktemp("first"), wait=False, **env)
    second = None
    try:
        second = Haven(
            tmp_path_factory.mktemp("second"),
            wait=False,
            HAVEN_START_ACTION_SERVER="0",
            HAVEN_ACTION_PORT=str(first.action_port),
            **env,
        )
        for server in (first, second):
            server.wait_until_ready()
        first.env = second.env = env  # for tests that reach the shared database themselves
        yield first, second
    finally:
        for server in (second, first):
            if server:
                server.stop()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def conversation(servers, sender: str) -> list[list[dict]]:
    """The replies to SCRIPT, turn i sent to servers[i % len(servers)]."""
    replies = []
    for turn, text in enumerate(SCRIPT):
        said = servers[turn % len(servers)].say(sender, text)
        replies.append([{k: v for k, v in r.items() if k != "recipient_id"} for r in said])
    return replies


def test_alternating_servers_answer_exactly_like_one_server(two_servers):
    first, second = two_servers
    alone = conversation([first], new_sender())
    assert alone[1][-1]["text"].startswith("Step 1")  # the script reaches the plan
    assert conversation([first, second], new_sender()) == alone
    assert conversation([second, first], new_sender()) == alone


def test_many_conversations_at_once_across_both_servers(two_servers):
    first, second = two_servers
    alone = conversation([first], new_sender())
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        runs = [
            pool.submit(conversation, [first, second] if i % 2 else [second, first], new_sender())
            for i in range(8)
        ]
        results = [run.result(timeout=600) for run in runs]
    assert all(result == alone for result in results)


def test_one_conversation_hit_on_both_servers_at_once_keeps_every_message(two_servers):
    first, second = two_servers
    sender = new_sender()
    first.say(sender, "some guy says he'll post my nudes unless i pay")
    # Two "done" messages at the same moment, one to each server: the Redis lock makes them
    # run one after the other, so the plan moves two steps, not one.
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        both = [pool.submit(server.say, sender, "/step_done") for server in (first, second)]
        headlines = sorted(future.result(timeout=120)[-1]["text"][:6] for future in both)
    assert headlines == ["Step 2", "Step 3"]


def test_the_rate_limit_of_a_conversation_holds_across_both_servers(two_servers):
    from haven.packs.channel_messages import load_channel_messages
    from haven.web.rate_limits import DEFAULT_PER_CONVERSATION

    first, second = two_servers
    sender = new_sender()
    # 12 on each server at once: each alone would allow 20. Sent together, so that the bucket
    # refills (20 a minute) by less than a message while they arrive, however slow the machine.
    sent = DEFAULT_PER_CONVERSATION + 4
    with ThreadPoolExecutor(max_workers=sent) as pool:
        answers = list(
            pool.map(
                lambda turn: two_servers[turn % 2].post({"sender": sender, "message": "hi"}),
                range(sent),
            )
        )
    refused = [replies for status, replies in answers if status == 429]
    assert len(refused) >= 3, [status for status, _ in answers]
    assert all(
        [reply["text"] for reply in replies] == [load_channel_messages()["too_fast"]]
        for replies in refused
    )
    assert first.say(new_sender(), "hi")  # another conversation has its own allowance
