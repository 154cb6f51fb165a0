"""Shared fixtures (the project's domain, PostgreSQL schemas, the running servers that several test
modules use), and the end-of-run check that no test left a process running
(tests/leftover_processes.py)."""

import os
import uuid
from pathlib import Path

import pytest
import yaml

from tests.leftover_processes import MARKER, leftovers

PROJECT = Path(__file__).resolve().parent.parent


def pytest_configure(config):
    """Marks this run's environment, so every process a test starts can be found at the end."""
    os.environ[MARKER] = uuid.uuid4().hex


def pytest_sessionfinish(session, exitstatus):
    """Fails the run, naming them, if any process a test started is still running; kills them."""
    if not Path("/proc/self/environ").exists():
        return  # not Linux: the check reads /proc
    left = leftovers(os.environ[MARKER])
    if not left:
        return
    lines = [f"{len(left)} process(es) started by the tests were still running (now killed):"]
    lines += [f"  {pid}: {command}" for pid, command in sorted(left.items())]
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter:
        reporter.ensure_newline()
    for line in lines:
        reporter.write_line(line, red=True) if reporter else print(line)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True)
def _fresh_services_per_test():
    """Each test's adapters get a composition root (haven/services.py) read from the environment
    as that test left it, as each server process gets its own."""
    from haven.services import Services

    Services.forget_process()
    yield
    Services.forget_process()


@pytest.fixture(scope="session")
def domain() -> dict:
    """domain.yml as the action server receives it (a plain dict)."""
    with (PROJECT / "domain.yml").open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@pytest.fixture(scope="session")
def training_texts() -> list[str]:
    """Every example of data/nlu (never the held-out set), for checks that a faster reader
    reads what the plain one did."""
    texts = []
    for path in sorted((PROJECT / "data" / "nlu").rglob("*.yml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or ():
            lines = str(item.get("examples") or "").splitlines()
            texts += [line[2:].strip() for line in lines if line.startswith("- ")]
    return texts


def long_message(ending: str, length: int = 10_000) -> str:
    """A message of `length` characters of everyday worry that ends with `ending`."""
    filler = (
        "he found my account and started sending me messages every night, and now he wants "
        "money. i told my friend at school but she did not know what to do either. "
    )
    body = (filler * (length // len(filler) + 1))[: max(0, length - len(ending) - 1)]
    return f"{body} {ending}"


POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
"""The PostgreSQL the storage tests run against; each test gets its own schema, dropped after."""


@pytest.fixture
def postgres_url():
    """A URL whose tables land in a fresh PostgreSQL schema; skips if PostgreSQL is absent."""
    import uuid

    import sqlalchemy as sa

    admin = sa.create_engine(POSTGRES_URL, future=True)
    try:
        with admin.connect():
            pass
    except sa.exc.OperationalError:
        admin.dispose()
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_URL}")
    schema = f"haven_test_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    from haven.storage.conversations import close_engines

    close_engines()
    with admin.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """Each storage test runs on the embedded SQLite file and on the real PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'haven.db'}"
    else:
        yield request.getfixturevalue("postgres_url")


# Servers that several modules need alike, started once for the run, the first time a test asks,
# and stopped at its end: starting a Rasa server is most of what a server test waits for. The
# tests using one never rely on what another left there (fresh conversation ids, their own
# addresses and queue entries), so sharing lets none of them pass that would fail alone.


@pytest.fixture(scope="session")
def two_servers(tmp_path_factory):
    """The two Rasa servers on PostgreSQL and Redis of test_multi_instance.py, which
    test_handoff_multi_instance.py uses too."""
    from tests.test_multi_instance import two_servers_running

    yield from two_servers_running(tmp_path_factory)


@pytest.fixture(scope="session")
def haven_behind_proxy(tmp_path_factory):
    """A function giving a running Haven as behind one reverse proxy (SANIC_PROXIES_COUNT=1) with
    the counselor account ana (`haven_with_counselor`, tests/test_handoff_server.py), for
    test_server.py and test_handoff_server.py, which used to start one each, alike but for the
    account (test_server.py never logs in). Once a test has stopped it (test_server.py's Ctrl-C
    test does), the next call starts another."""
    from tests.test_counselor_console import PASSWORD
    from tests.test_handoff_server import haven_with_counselor

    started = []

    def running():
        if not started or started[-1].process.poll() is not None:
            tmp = tmp_path_factory.mktemp("behind-proxy")
            started.append(haven_with_counselor(tmp, "ana", PASSWORD))
        return started[-1]

    yield running
    for haven in started:
        haven.stop()
