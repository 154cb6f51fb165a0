"""Shared fixtures: the project's domain, loaded once."""

from pathlib import Path

import pytest
import yaml

PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def domain() -> dict:
    """domain.yml as the action server receives it (a plain dict)."""
    with (PROJECT / "domain.yml").open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


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
    from bot.conversations import close_engines

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
