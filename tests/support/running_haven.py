"""`Haven`: the real action and Rasa servers, started by `scripts/run-haven` as `make run` does,
on free loopback ports, for the end-to-end tests (tests/integration/, tests/browser/). Extra
environment variables choose a profile (tests/integration/test_multi_instance.py).
`haven_with_counselor` is one with a counselor account, made with the command line.

`disconnect` is how a test closes a web chat socket (the Socket.IO client over long polling).

`stop_process_group` is how every test stops a server it started: a test run may itself run
where SIGINT is ignored (a background job, `nohup`, some service managers), and a signal ignored
when a shell starts cannot be trapped by it, so SIGINT alone would leave run-haven running.
"""

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from tests.support import PROJECT


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop_process_group(process: subprocess.Popen, timeout: float = 30) -> int:
    """Stops a server started with `start_new_session=True` and everything it started.

    SIGTERM to the leader first (run-haven traps it and stops its servers cleanly), then SIGTERM
    to the whole group if it did not stop in time, and finally SIGKILL to whatever of the group
    is left, so nothing stays behind whatever happened. Returns the leader's exit code.
    """
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _signal_group(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
    _signal_group(process.pid, signal.SIGKILL)
    return process.wait()


def _signal_group(group: int, signum: int) -> None:
    try:
        os.killpg(group, signum)
    except (ProcessLookupError, PermissionError):
        pass  # nobody left in the group


def default_sigint() -> None:
    """In the child, before exec: SIGINT as a terminal gives it, so run-haven can trap Ctrl-C
    even when the test run itself ignores SIGINT (a background job)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def ignore_sigint() -> None:
    """In the child, before exec: SIGINT ignored, as for a job a shell starts with `&`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def port_open(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


class Haven:
    """A running Haven, started by scripts/run-haven as `make run` does."""

    def __init__(self, tmp: Path, sigint: bool = True, wait: bool = True, **extra_env: str) -> None:
        """Starts run-haven; `sigint=False` starts it with SIGINT ignored, as a background job
        of a shell is (then only SIGTERM stops it); with `wait` False, returns at once (then
        call `wait_until_ready`)."""
        self.rasa_port = free_port()
        self.action_port = int(extra_env.get("HAVEN_ACTION_PORT") or free_port())
        self.log_dir = tmp / "log"
        env = {
            **os.environ,
            "HAVEN_RASA_PORT": str(self.rasa_port),
            "HAVEN_ACTION_PORT": str(self.action_port),
            "HAVEN_LOG_DIR": str(self.log_dir),
            "HAVEN_DATA_DIR": str(tmp / "data"),
            # Long enough for test_server.py to see the action server down (a message or two)
            # before run-haven starts it again, which then takes some seconds more.
            "HAVEN_ACTION_RESTART_SECONDS": "5",
            **extra_env,
        }
        self.output = (tmp / "run-haven.out").open("w")
        self.process = subprocess.Popen(
            [str(PROJECT / "scripts" / "run-haven")],
            cwd=PROJECT,
            env=env,
            stdout=self.output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=default_sigint if sigint else ignore_sigint,
        )
        self.started_in = self.wait_until_ready() if wait else None

    def wait_until_ready(self, timeout: float = 240) -> float:
        """Seconds until run-haven said it is running; raises if it exited or took too long."""
        start = time.monotonic()
        printed = Path(self.output.name)
        while time.monotonic() - start < timeout:
            if "Haven is running" in printed.read_text():
                return time.monotonic() - start
            if self.process.poll() is not None:
                raise RuntimeError(f"run-haven exited early:\n{printed.read_text()[-3000:]}")
            time.sleep(0.1)
        raise RuntimeError(f"run-haven was not ready in {timeout} s")

    def post(self, body: bytes | dict) -> tuple[int, object]:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.rasa_port}/webhooks/rest/webhook",
            data=raw,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                return reply.status, json.loads(reply.read())
        except urllib.error.HTTPError as error:
            with error:  # closed here, not left to the GC (a ResourceWarning, an error in tests)
                return error.code, json.loads(error.read())

    def say(self, sender: str, text: str) -> list[dict]:
        status, replies = self.post({"sender": sender, "message": text})
        assert status == 200, replies
        return replies

    def interrupt(self) -> int:
        """Ctrl-C: SIGINT to run-haven, as a terminal sends it; its exit code."""
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=30)
        finally:
            self.stop()

    def stop(self) -> int:
        """Stops run-haven and every process it started (`stop_process_group`); its exit code.
        Safe to call more than once."""
        try:
            return stop_process_group(self.process)
        finally:
            self.output.close()


def texts(replies: list[dict]) -> str:
    return "\n".join(reply.get("text", "") for reply in replies)


def new_sender() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


async def disconnect(client) -> None:
    """`await client.disconnect()` for a python-socketio client on the polling transport, without
    waiting out its long poll.

    The client's disconnect sends the Socket.IO DISCONNECT and the Engine.IO CLOSE in one POST,
    then waits for the GET it holds open to end. The server does not answer that GET on a CLOSE
    (python-engineio closes the socket with abort=True), so every disconnect waited the GET's
    timeout, max(ping_interval, ping_timeout) + 5 = 20 s (haven/rasa_edge/widget_channel.py): more
    than half of the server tests' time. Here the POST is awaited as before (when it returns, the
    server has handled the CLOSE, and with it the disconnect), then the client's HTTP session is
    closed, which ends the held GET at once, and the client finishes its disconnect as it always
    does.
    """
    eio = client.eio
    writing = eio.write_loop_task
    leaving = asyncio.ensure_future(client.disconnect())
    if writing is not None:
        await writing  # the DISCONNECT and CLOSE are sent and the server has answered
    if eio.http is not None and not eio.http.closed:
        await eio.http.close()
    await leaving


def haven_with_counselor(tmp, name: str, password: str) -> Haven:
    """A running Haven in `tmp` with one counselor account, made with the command line."""
    # As behind the proxy: each young person's address is their X-Forwarded-For (young_person).
    running = Haven(tmp, SANIC_PROXIES_COUNT="1")
    subprocess.run(
        [sys.executable, "-m", "haven.handoff.cli", "add", name],
        cwd=PROJECT,
        env={
            **os.environ,
            "HAVEN_DATA_DIR": str(tmp / "data"),
            "HAVEN_COUNSELOR_PASSWORD": password,
        },
        check=True,
        capture_output=True,
    )
    running.tmp = tmp
    return running
