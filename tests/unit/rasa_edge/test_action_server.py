"""The action server answers only requests with the shared secret
(haven/rasa_edge/action_server.py).

The secret's rules run without a server; the 401s come from the real action server, started as
scripts/run-haven starts it, on a free loopback port (marker `server`).
"""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from haven.rasa_edge.action_server import SECRET_HEADER, ActionSecretError, action_secret
from tests.running_haven import free_port

PROJECT = Path(__file__).resolve().parent.parent
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


@pytest.fixture(scope="module")
def action_server(tmp_path_factory):
    port = free_port()
    log = (tmp_path_factory.mktemp("actions") / "actions.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "haven.rasa_edge.action_server",
            "--actions",
            "actions",
            "--port",
            str(port),
        ],
        cwd=PROJECT,
        env={**os.environ, "HAVEN_ACTION_SECRET": SECRET, "SANIC_HOST": "127.0.0.1"},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"{base}/health", timeout=2).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                os.killpg(process.pid, signal.SIGKILL)
                pytest.fail(f"the action server did not start: {Path(log.name).read_text()}")
            time.sleep(0.3)
    yield base
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    log.close()


def call(url: str, headers: dict[str, str], body: dict | None = None) -> tuple[int, object]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read() or b"null")


ACTION_CALL = {
    "next_action": "action_show_progress",
    "sender_id": "t1",
    "version": "3.6.2",
    "domain": {},
    "tracker": {"sender_id": "t1", "slots": {}, "latest_message": {}, "events": []},
}


@pytest.mark.server
@pytest.mark.parametrize(
    "headers", [{}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: SECRET[:-1]}, {"X-Other": SECRET}]
)
@pytest.mark.parametrize(("path", "body"), [("/webhook", ACTION_CALL), ("/actions", None)])
def test_calls_without_the_right_secret_get_401(action_server, headers, path, body):
    assert call(action_server + path, headers, body) == (401, {"error": "unauthorized"})


@pytest.mark.server
def test_the_health_check_needs_no_secret(action_server):
    assert call(f"{action_server}/health", {}) == (200, {"status": "ok"})


@pytest.mark.server
def test_calls_with_the_secret_are_served(action_server):
    status, actions = call(f"{action_server}/actions", {SECRET_HEADER: SECRET})
    assert status == 200 and {"name": "action_show_progress"} in actions


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
