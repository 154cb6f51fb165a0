"""One composition root per process (haven/services.py): nothing else reads the environment, and
every adapter Rasa builds gets the same services (the same key ring, engine, limiter, relay)."""

from __future__ import annotations

import ast
import socket
from pathlib import Path

import pytest

from haven.services import Services
from tests.support import PROJECT

SCANNED = ("haven", "actions")
ALLOWED = {"haven/settings.py", "haven/services.py"}
"""The only modules that may read the process's environment."""
ENVIRONMENT = {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}


def environment_reads(source: str) -> list[str]:
    """Each place `source` reaches the process's environment through `os`, as 'line: what'.

    `os.environ`, `os.getenv` and the like, under any alias of `os`, and the same names imported
    from `os`. A mapping that is merely called `environ` (the WSGI environ a Socket.IO handler is
    given) is not the process's, and is not counted.
    """
    tree = ast.parse(source)
    os_names: set[str] = set()
    imported: set[str] = set()
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            os_names |= {alias.asname or alias.name for alias in node.names if alias.name == "os"}
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            for alias in node.names:
                if alias.name in ENVIRONMENT or alias.name == "*":
                    imported.add(alias.asname or alias.name)
                    found.append(f"{node.lineno}: from os import {alias.name}")
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in ENVIRONMENT
            and isinstance(node.value, ast.Name)
            and node.value.id in os_names
        ):
            found.append(f"{node.lineno}: {node.value.id}.{node.attr}")
        elif isinstance(node, ast.Name) and node.id in imported and node.id != "*":
            found.append(f"{node.lineno}: {node.id}")
    return sorted(set(found), key=lambda entry: int(entry.split(":")[0]))


def modules() -> list[Path]:
    return sorted(path for folder in SCANNED for path in (PROJECT / folder).rglob("*.py"))


def test_nothing_but_settings_and_the_composition_root_reads_the_environment():
    assert len(modules()) > 50  # the scan sees the packages it is meant to
    reads = {
        str(path.relative_to(PROJECT)): environment_reads(path.read_text(encoding="utf-8"))
        for path in modules()
        if str(path.relative_to(PROJECT)) not in ALLOWED
    }
    assert {name: found for name, found in reads.items() if found} == {}


def test_settings_is_where_the_environment_is_read():
    # The scan would miss a read written some other way; here it finds the real ones.
    assert environment_reads((PROJECT / "haven/settings.py").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "planted",
    [
        'import os\nURL = os.environ.get("HAVEN_REDIS_URL")\n',
        'import os\nURL = os.environ["HAVEN_REDIS_URL"]\n',
        'import os as system\nURL = system.getenv("HAVEN_REDIS_URL")\n',
        'from os import environ\nURL = environ.get("HAVEN_REDIS_URL")\n',
        'from os import getenv as read\nURL = read("HAVEN_REDIS_URL")\n',
        "def f():\n    import os\n    return dict(os.environ)\n",
    ],
)
def test_a_planted_environment_read_is_found(planted, tmp_path):
    module = tmp_path / "planted.py"
    module.write_text(planted, encoding="utf-8")
    assert environment_reads(module.read_text(encoding="utf-8"))


def test_a_mapping_called_environ_is_not_the_process_environment():
    given = 'def connect(sid, environ):\n    return environ.get("sanic.request")\n'
    assert environment_reads(given) == []


# --- one services object per process -------------------------------------------------------


def redis_reachable() -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", 6379)) == 0


@pytest.fixture
def process_environment(tmp_path, monkeypatch):
    """The environment of a production-like process: its own data folder and keys, and Redis."""
    from haven.storage.crypto import generate_key_line

    monkeypatch.setenv("HAVEN_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("HAVEN_DB_URL", raising=False)
    monkeypatch.setenv("HAVEN_KEYS", generate_key_line("k1"))
    if redis_reachable():
        monkeypatch.setenv("HAVEN_REDIS_URL", "redis://127.0.0.1:6379")
    else:
        monkeypatch.delenv("HAVEN_REDIS_URL", raising=False)
    Services.forget_process()
    yield
    Services.forget_process()


def test_every_adapter_rasa_builds_shares_the_process_services(process_environment):
    import actions.handoff
    from haven.rasa_edge.console_channel import CounselorConsoleInput
    from haven.rasa_edge.nlg import ContentPackNLG
    from haven.rasa_edge.rest_channel import HavenRestInput
    from haven.rasa_edge.tracker_store import EncryptedTrackerStore
    from haven.rasa_edge.widget_channel import HavenWidgetInput

    # As Rasa builds them: each from its own entry in the YAML files, with nothing passed in.
    store = EncryptedTrackerStore()
    nlg = ContentPackNLG()
    rest = HavenRestInput.from_credentials({})
    widget = HavenWidgetInput.from_credentials({})
    console_channel = CounselorConsoleInput.from_credentials({})
    console = console_channel.build_console()
    desk = actions.handoff.desk()

    services = Services.for_process()
    assert all(
        adapter.services is services for adapter in (store, nlg, rest, widget, console_channel)
    )
    assert console is not None
    # One key ring, one engine, one queue.
    assert store.conversations.key_ring is services.key_ring is console.queue.key_ring
    assert store.conversations.engine is services.engine is console.queue.engine
    assert console.accounts.engine is services.engine
    assert store._handoffs() is console.queue is desk.queue is services.handoff_queue
    assert desk.accounts is console.accounts
    assert widget.tokens is services.tokens
    from haven.web.widget_protocol import ConversationTokens

    conversation = widget.tokens.new_conversation_id()  # keyed by the store's key ring
    by_ring = ConversationTokens(store.conversations.key_ring.token_keys())
    assert by_ring.owns(conversation, widget.tokens.token_for(conversation))
    # One limiter for both channels (an address gets one allowance), one relay for the web chat
    # and the console (what a counselor sends reaches the young person), one renderer.
    assert rest.limiter is widget.limiter is services.message_limiter
    assert widget.relay is console_channel.relay is console.relay is services.relay
    assert nlg.renderer is services.renderer


@pytest.mark.skipif(not redis_reachable(), reason="no Redis at 127.0.0.1:6379")
def test_every_redis_client_comes_from_one_factory_with_one_database(process_environment):
    from haven.rasa_edge.console_channel import CounselorConsoleInput
    from haven.rasa_edge.lock_store import RedisUrlLockStore
    from haven.rasa_edge.rest_channel import HavenRestInput

    lock_store = RedisUrlLockStore()
    limiter = HavenRestInput().limiter
    console = CounselorConsoleInput().build_console()
    assert console is not None
    relay = Services.for_process().relay
    pools = [
        lock_store.red.connection_pool,
        limiter.red.connection_pool,  # type: ignore[attr-defined]
        console.sessions.redis.connection_pool,  # type: ignore[attr-defined]
        relay.redis.connection_pool,  # type: ignore[attr-defined]
    ]
    settings = [(pool.connection_kwargs["db"], pool.connection_kwargs["port"]) for pool in pools]
    assert settings == [(1, 6379)] * 4
    assert all(pool.connection_kwargs["socket_timeout"] for pool in pools)
    assert all(pool.connection_kwargs["socket_connect_timeout"] for pool in pools)


def test_a_test_builds_its_own_services_from_a_given_environment(tmp_path):
    from haven.storage.crypto import generate_key_line

    keys = generate_key_line("k1")
    one = Services.from_environ({"HAVEN_DATA_DIR": str(tmp_path), "HAVEN_KEYS": keys})
    two = Services.from_environ({"HAVEN_DATA_DIR": str(tmp_path), "HAVEN_KEYS": keys})
    assert one is not two and one.key_ring is one.key_ring and one.key_ring is not two.key_ring
    assert one.redis is None  # no HAVEN_REDIS_URL: Haven keeps its shared state in memory
    assert Services.for_process() is Services.for_process()


def test_the_settings_are_a_snapshot_of_the_environment(monkeypatch):
    monkeypatch.setenv("HAVEN_RATE_PER_ADDRESS", "7")
    services = Services.for_process()
    monkeypatch.setenv("HAVEN_RATE_PER_ADDRESS", "9")
    assert services.settings.rate_per_address == 7


def test_background_tasks_run_once_by_name_and_stop_together():
    import asyncio

    from haven.services import BackgroundTasks

    started: list[str] = []

    async def purge(name: str) -> None:
        started.append(name)
        await asyncio.sleep(3600)

    async def scenario() -> list[str]:
        tasks = BackgroundTasks()
        tasks.start("conversation purge", lambda: purge("conversations"))
        tasks.start("conversation purge", lambda: purge("conversations"))  # a second adapter
        tasks.start("handoff purge", lambda: purge("handoffs"))
        await asyncio.sleep(0)
        running = tasks.running()
        await tasks.stop()
        assert tasks.running() == []
        return running

    assert asyncio.run(scenario()) == ["conversation purge", "handoff purge"]
    assert started == ["conversations", "handoffs"]
