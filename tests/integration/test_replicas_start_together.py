"""Two Haven servers started at the same moment on a new PostgreSQL database both come up.

What a Kubernetes deployment with two replicas does on its first start: both find no tables and
create them at once. The production profile (deploy/endpoints.prod.yml) is started twice through
scripts/run-haven, on a fresh schema, without waiting for the first; both must serve. The race
itself is tested many times over in tests/unit/storage/test_schema.py; this is the whole start,
once.
Needs the real PostgreSQL and Redis of this machine; skips, saying why, where they are absent.
"""

import secrets
import uuid

import pytest

from haven.storage.crypto import generate_key_line
from tests.integration.test_multi_instance import POSTGRES_URL, REDIS, reachable
from tests.support.running_haven import Haven, new_sender, texts

pytestmark = pytest.mark.server


def test_two_servers_started_together_on_a_new_database_both_serve(tmp_path):
    import sqlalchemy as sa

    if not reachable("127.0.0.1", 5432):
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432")
    if not reachable(*REDIS):
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    schema = f"haven_together_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_URL, future=True)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    env = {
        "HAVEN_ENDPOINTS": "deploy/endpoints.prod.yml",
        "HAVEN_DB_URL": f"{POSTGRES_URL}?options=-csearch_path%3D{schema}",
        "HAVEN_KEYS": generate_key_line("together"),
        "HAVEN_REDIS_URL": f"redis://{REDIS[0]}:{REDIS[1]}/1",
        "HAVEN_ACTION_SECRET": secrets.token_hex(32),
    }
    servers = []
    try:
        for name in ("first", "second"):
            (tmp_path / name).mkdir()
            servers.append(Haven(tmp_path / name, wait=False, **env))
        for server in servers:
            server.wait_until_ready()
        for server in servers:
            assert "Step 1" in texts(
                server.say(new_sender(), "some guy says he'll post my nudes unless i pay")
            )
    finally:
        for server in servers:
            server.stop()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
