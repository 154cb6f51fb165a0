"""What the waiting tests of two tiers share (tests/unit/handoff/test_widget_waiting.py,
tests/browser/test_waiting.py): the web chat without a model, started with a counselor online, and
recent claims seeded as the waits table keeps them."""

import contextlib
import time
from types import SimpleNamespace

import sqlalchemy as sa

from haven.handoff.queue import HandoffQueue
from haven.storage.crypto import KeyRing
from tests.support.console_live import CounselorOnline
from tests.support.counselor_console import Browser, serve

GRACE_SECONDS = 30.0
SLOW_WATCH_SECONDS = 120.0  # longer than any test: what arrives was pushed, not polled
FAST_WATCH_SECONDS = 1.0
KEEP_SECONDS = 3.0


@contextlib.contextmanager
def running(data, watch_seconds, **extra_env):
    """The web chat without a model, with ana logged in and her live console open (so a counselor
    can take a chat now); stopped, console and all, when the block ends."""
    with (data / "server.log").open("w") as log:
        process, port, env = serve(
            data,
            "tests.support.widget_app",
            GRACE_SECONDS,
            watch_seconds,
            counselors=("ana",),
            output=log,
            **extra_env,
        )
        try:
            queue = HandoffQueue(env["HAVEN_DB_URL"], KeyRing.parse(env["HAVEN_KEYS"]))
            counselor = Browser(port)
            assert counselor.login("ana")[0].status == 303
            with CounselorOnline(port, counselor.cookie):
                yield SimpleNamespace(port=port, queue=queue, env=env, counselor=counselor)
        finally:
            process.terminate()
            process.wait(timeout=10)


def seed_claims(queue, every_seconds, waited_seconds, count=3):
    """Recent claims as the table keeps them, the last one now."""
    now = int(time.time())
    with queue.engine.begin() as connection:
        connection.execute(sa.delete(queue.waits.table))
        for i in reversed(range(count)):
            connection.execute(
                sa.insert(queue.waits.table).values(
                    claimed_at=now - i * every_seconds, waited_seconds=waited_seconds
                )
            )
