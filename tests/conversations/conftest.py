"""The trained model in-process with Haven's NLG and a real action server on a free loopback
port, for every conversation test of this folder (marker `model`; needs `make train`). Each test
module gets its own action server and agent (module scope); `tests.support.chat.Chat` talks to
the agent."""

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.support import PROJECT

MODEL = PROJECT / "models" / "haven.tar.gz"


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def action_server(tmp_path_factory):
    """The URL of a running action server's webhook. What it stores (the handoff queue, in the
    embedded SQLite file) goes to a fresh temporary folder under a fresh key, never to var/."""
    from haven.storage.crypto import generate_key_line

    port = free_port()
    folder = tmp_path_factory.mktemp("actions")
    log = (folder / "actions.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
        cwd=PROJECT,
        env={
            **os.environ,
            "RASA_TELEMETRY_ENABLED": "false",
            "HAVEN_DATA_DIR": str(folder),
            "HAVEN_KEYS": generate_key_line("k1"),
        },
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2):
                break
        except OSError:
            if process.poll() is not None:
                raise RuntimeError("the action server stopped") from None
            time.sleep(0.5)
    else:
        raise RuntimeError("the action server did not start in 90 s")
    yield f"{url}/webhook"
    process.terminate()
    process.wait(timeout=20)
    log.close()


@pytest.fixture(scope="module")
def agent(action_server):
    """The trained model with Haven's NLG (content/languages/) and the action server above."""
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` first")
    from rasa.core.agent import Agent
    from rasa.utils.endpoints import EndpointConfig

    return Agent.load(
        str(MODEL),
        action_endpoint=EndpointConfig(url=action_server),
        generator=EndpointConfig(type="haven.rasa_edge.nlg.ContentPackNLG"),
    )
