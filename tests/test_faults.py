"""Faults in the production profile (deploy/endpoints.prod.yml) on the real PostgreSQL and Redis.

- PostgreSQL drops every connection of Haven (what a restart does to a running server; this
  machine gives no control over the PostgreSQL service, so the test ends the server-side
  connections instead): the next message still gets its answer and the conversation goes on
  from where it was, so nothing was lost.
- Redis unavailable (HAVEN_REDIS_URL names a closed port): the young person gets the kind
  service_error reply with the crisis lines, and the log says in one line that Redis is
  unavailable, without a word of what was typed.

The action server stopping mid-conversation is in test_server.py. Skips, saying why, where
PostgreSQL or Redis is absent.
"""

import os
import secrets
import signal
import uuid

import pytest

from bot.crypto import generate_key_line
from tests.running_haven import Haven, free_port, new_sender, port_open, texts

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


def production_env(schema: str, keys: str, application: str, redis_url: str) -> dict[str, str]:
    return {
        "HAVEN_ENDPOINTS": "deploy/endpoints.prod.yml",
        "HAVEN_DB_URL": (
            f"{POSTGRES_URL}?options=-csearch_path%3D{schema}&application_name={application}"
        ),
        "HAVEN_KEYS": keys,
        "HAVEN_REDIS_URL": redis_url,
        "HAVEN_ACTION_SECRET": secrets.token_hex(32),
    }


def stop(haven: Haven) -> None:
    if haven.process.poll() is None:
        os.killpg(haven.process.pid, signal.SIGKILL)
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


def test_without_redis_a_message_gets_the_kind_reply_and_the_log_says_why(
    postgres_schema, tmp_path
):
    from bot.channels import load_channel_messages

    _, schema, keys = postgres_schema
    closed = f"redis://127.0.0.1:{free_port()}/1"
    haven = Haven(tmp_path, **production_env(schema, keys, "haven-faults-noredis", closed))
    typed = "zebrafish marmalade blackmail"
    try:
        status, replies = haven.post({"sender": new_sender(), "message": typed})
        assert status == 500
        assert [reply["text"] for reply in replies] == [load_channel_messages()["service_error"]]
        assert "childhelplineinternational.org" in replies[0]["text"]
        # The crisis reply cannot come either: no message is handled out of order.
        status, _ = haven.post({"sender": new_sender(), "message": "i want to die"})
        assert status == 500
    finally:
        stop(haven)
    log = (haven.log_dir / "rasa.log").read_text(encoding="utf-8", errors="replace")
    assert "Redis (the lock store, HAVEN_REDIS_URL) at 127.0.0.1:" in log
    assert "is unavailable" in log
    for word in typed.split() + ["die"]:
        assert word not in log
