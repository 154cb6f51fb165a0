"""Faults in the production profile (deploy/endpoints.prod.yml) on the real PostgreSQL and Redis.

- PostgreSQL drops every connection of Haven (what a restart does to a running server; this
  machine gives no control over the PostgreSQL service, so the test ends the server-side
  connections instead): the next message still gets its answer and the conversation goes on
  from where it was, so nothing was lost.
- PostgreSQL fully down for some seconds, then back (Haven reaches it through a TCP proxy the
  test takes down and brings back, tests/support/tcp_proxy.py): every message meanwhile gets the
  kind service_error reply with the crisis lines within a few seconds, the server keeps serving, the
  log says once what is wrong (and once that it is back), without a word of what was typed; then
  the conversation goes on from where it was, so no turn was lost or half-saved.
- Redis unavailable (HAVEN_REDIS_URL names a closed port): the young person gets the kind
  service_error reply with the crisis lines, and the log says in one line that Redis is
  unavailable, without a word of what was typed.

The action server stopping mid-conversation is in test_server.py. Skips, saying why, where
PostgreSQL or Redis is absent.
"""

import os
import secrets
import signal
import time
import urllib.request
import uuid

import pytest

from haven.storage.crypto import generate_key_line
from tests.support.running_haven import Haven, free_port, new_sender, port_open, texts
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.server

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
REDIS = ("127.0.0.1", 6379)


@pytest.fixture(scope="module")
def postgres_schema():
    """A fresh schema and a unique application name, so only this Haven's connections are ended."""
    import sqlalchemy as sa

    if not port_open("127.0.0.1", 5432):
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432")
    schema = f"haven_faults_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_URL, future=True)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    yield admin, schema, generate_key_line("faults")
    with admin.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def production_env(
    schema: str, keys: str, application: str, redis_url: str, postgres_url: str = POSTGRES_URL
) -> dict[str, str]:
    return {
        "HAVEN_ENDPOINTS": "deploy/endpoints.prod.yml",
        "HAVEN_DB_URL": (
            f"{postgres_url}?options=-csearch_path%3D{schema}&application_name={application}"
        ),
        "HAVEN_KEYS": keys,
        "HAVEN_REDIS_URL": redis_url,
        "HAVEN_ACTION_SECRET": secrets.token_hex(32),
    }


def stop(haven: Haven) -> None:
    if haven.process.poll() is None:
        os.killpg(haven.process.pid, signal.SIGKILL)
        haven.process.wait(timeout=30)
    haven.output.close()


def end_connections(admin, application: str) -> int:
    import sqlalchemy as sa

    with admin.begin() as connection:
        ended = connection.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = 'test' AND application_name = :name AND pid <> pg_backend_pid()"
            ),
            {"name": application},
        ).all()
    return len(ended)


def test_postgres_dropping_every_connection_loses_nothing(postgres_schema, tmp_path):
    if not port_open(*REDIS):
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    admin, schema, keys = postgres_schema
    application = f"haven-faults-{uuid.uuid4().hex[:8]}"
    redis_url = f"redis://{REDIS[0]}:{REDIS[1]}/1"
    haven = Haven(tmp_path, **production_env(schema, keys, application, redis_url))
    try:
        sender = new_sender()
        assert haven.say(sender, "he says he'll post my nudes unless i pay")[-1]["text"].startswith(
            "Step 1"
        )
        assert haven.say(sender, "/step_done")[-1]["text"].startswith("Step 2")
        assert end_connections(admin, application) >= 1  # Haven's pooled connection(s)
        assert haven.say(sender, "/step_done")[-1]["text"].startswith("Step 3")
        assert end_connections(admin, application) >= 1
        left = texts(haven.say(sender, "what's left"))
        done, still = left.split("Still to do")
        assert "Step 1" in done and "Step 2" in done and "Step 3" in still
        assert "something went wrong" not in left
    finally:
        stop(haven)


def test_postgres_fully_down_gets_the_kind_reply_and_then_the_conversation_goes_on(
    postgres_schema, tmp_path
):
    from haven.packs.channel_messages import load_channel_messages

    if not port_open(*REDIS):
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    _, schema, keys = postgres_schema
    redis_url = f"redis://{REDIS[0]}:{REDIS[1]}/1"
    service_error = load_channel_messages()["service_error"]
    typed_while_down = ["zebrafish", "marmalade", "i want to die"]
    with TcpProxy("127.0.0.1", 5432) as proxy:
        via_proxy = f"postgresql://postgres@127.0.0.1:{proxy.port}/test"
        env = production_env(schema, keys, "haven-faults-down", redis_url, via_proxy)
        haven = Haven(tmp_path, **env)
        try:
            sender, other = new_sender(), new_sender()
            first = haven.say(sender, "he says he'll post my nudes unless i pay")
            assert first[-1]["text"].startswith("Step 1")
            assert haven.say(sender, "/step_done")[-1]["text"].startswith("Step 2")
            assert haven.say(other, "someone has my pics and wants money")[-1]["text"].startswith(
                "Step 1"
            )

            proxy.down()
            down_since = time.monotonic()
            for text in ["/step_done", *typed_while_down]:
                asked = time.monotonic()
                status, replies = haven.post({"sender": sender, "message": text})
                assert time.monotonic() - asked < 5, "a message hung while the database was down"
                assert status == 503, (text, replies)
                assert [reply["text"] for reply in replies] == [service_error]
                assert "childhelplineinternational.org" in replies[0]["text"]
            with urllib.request.urlopen(
                f"http://127.0.0.1:{haven.rasa_port}/webhooks/rest/", timeout=5
            ) as health:
                assert health.status == 200  # the server itself keeps serving
            time.sleep(max(0.0, 5 - (time.monotonic() - down_since)))  # down for 5 s at least
            status, _ = haven.post({"sender": other, "message": "/step_done"})
            assert status == 503
            assert haven.process.poll() is None

            proxy.up()
            # The failed turns left no trace: the plan goes on from Step 2, for both.
            assert haven.say(sender, "/step_done")[-1]["text"].startswith("Step 3")
            assert haven.say(other, "/step_done")[-1]["text"].startswith("Step 2")
            done, still = texts(haven.say(sender, "what's left")).split("Still to do")
            assert "Step 1" in done and "Step 2" in done and "Step 3" in still
        finally:
            stop(haven)
    log = (haven.log_dir / "rasa.log").read_text(encoding="utf-8", errors="replace")
    # Each record is in rasa.log twice (Rasa's console format and its file format); count one.
    said = [
        line for line in log.splitlines() if "haven.rasa_edge.tracker_store  - The database" in line
    ]
    assert len(said) == 2, log[-3000:]  # once when it went, once when it came back
    where = f"postgresql at 127.0.0.1:{proxy.port}/test"
    assert f"{where}) is unavailable (OperationalError)" in said[0]
    assert "crisis lines" in said[0]
    assert said[1].endswith(" seconds.") and "reachable again" in said[1]
    assert "InMemoryTrackerStore" not in log  # Rasa's silent fallback would answer out of context
    assert "Traceback" not in log
    for word in ["zebrafish", "marmalade", "die"]:
        assert word not in log


def test_without_redis_a_message_gets_the_kind_reply_and_the_log_says_why(
    postgres_schema, tmp_path
):
    from haven.packs.channel_messages import load_channel_messages

    _, schema, keys = postgres_schema
    closed = f"redis://127.0.0.1:{free_port()}/1"
    haven = Haven(tmp_path, **production_env(schema, keys, "haven-faults-noredis", closed))
    typed = "zebrafish marmalade blackmail"
    try:
        status, replies = haven.post({"sender": new_sender(), "message": typed})
        assert status == 503
        assert [reply["text"] for reply in replies] == [load_channel_messages()["service_error"]]
        assert "childhelplineinternational.org" in replies[0]["text"]
        # The crisis reply cannot come either: no message is handled out of order.
        status, _ = haven.post({"sender": new_sender(), "message": "i want to die"})
        assert status == 503
    finally:
        stop(haven)
    log = (haven.log_dir / "rasa.log").read_text(encoding="utf-8", errors="replace")
    assert "Redis (the lock store, HAVEN_REDIS_URL) at 127.0.0.1:" in log
    assert "is unavailable" in log
    for word in typed.split() + ["die"]:
        assert word not in log
