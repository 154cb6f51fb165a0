"""The action server answers only requests with the shared secret
(haven/rasa_edge/action_server.py).

The secret's rules, without a server; the 401s of the real action server are checked in
tests/integration/test_action_server.py.
"""

import os
import subprocess
import sys

import pytest

from haven.rasa_edge.action_server import ActionSecretError, action_secret
from tests.support import PROJECT
from tests.support.running_haven import free_port

SECRET = "s3cret-" + "x" * 40


@pytest.mark.parametrize("value", [None, "", "   ", "short-secret"])
def test_a_missing_or_short_secret_is_refused_in_one_sentence(value):
    environ = {} if value is None else {"HAVEN_ACTION_SECRET": value}
    with pytest.raises(ActionSecretError, match=r"^HAVEN_ACTION_SECRET must be set .*\.$"):
        action_secret(environ)


def test_a_long_secret_is_used_as_given():
    assert action_secret({"HAVEN_ACTION_SECRET": f" {SECRET} "}) == SECRET


def test_the_action_server_does_not_start_without_a_secret():
    env = {k: v for k, v in os.environ.items() if k != "HAVEN_ACTION_SECRET"}
    done = subprocess.run(
        [sys.executable, "-m", "haven.rasa_edge.action_server", "--port", str(free_port())],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "HAVEN_ACTION_SECRET must be set" in done.stderr


def test_a_flood_of_refused_requests_writes_one_log_line_not_one_each(caplog):
    import asyncio
    import logging
    from types import SimpleNamespace

    from haven.rasa_edge.action_server import secret_check

    check = secret_check(SECRET)
    request = SimpleNamespace(path="/webhook", method="POST", headers={})

    async def flood():
        return [(await check(request)).status for _ in range(1000)]

    with caplog.at_level(logging.INFO, logger="haven.rasa_edge.action_server"):
        assert set(asyncio.run(flood())) == {401}
    assert len([r for r in caplog.records if r.name == "haven.rasa_edge.action_server"]) == 1
