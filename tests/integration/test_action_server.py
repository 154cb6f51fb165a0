"""The real action server (haven/rasa_edge/action_server.py), started as scripts/run-haven starts
it, on a free loopback port: 401 without the shared secret, served with it. The secret's own
rules are checked without a server in tests/unit/rasa_edge/test_action_server.py.
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

from haven.rasa_edge.action_server import SECRET_HEADER
from tests.support import PROJECT
from tests.support.running_haven import free_port

pytestmark = pytest.mark.server

SECRET = "s3cret-" + "x" * 40


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


@pytest.mark.parametrize(
    "headers", [{}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: SECRET[:-1]}, {"X-Other": SECRET}]
)
@pytest.mark.parametrize(("path", "body"), [("/webhook", ACTION_CALL), ("/actions", None)])
def test_calls_without_the_right_secret_get_401(action_server, headers, path, body):
    assert call(action_server + path, headers, body) == (401, {"error": "unauthorized"})


def test_the_health_check_needs_no_secret(action_server):
    assert call(f"{action_server}/health", {}) == (200, {"status": "ok"})


def test_calls_with_the_secret_are_served(action_server):
    status, actions = call(f"{action_server}/actions", {SECRET_HEADER: SECRET})
    assert status == 200 and {"name": "action_show_progress"} in actions
