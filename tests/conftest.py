"""Fixtures of every tier (the project's domain, the training texts, PostgreSQL schemas), and the
end-of-run check that no test left a process running (tests/support/leftover_processes.py). The
servers that several server tests share are in tests/integration/conftest.py."""

import os
import uuid
from pathlib import Path

import pytest
import yaml

from tests.support import PROJECT
from tests.support.leftover_processes import MARKER, leftovers


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
