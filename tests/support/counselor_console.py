"""The counselor console as the tests start and use it: `serve` runs a console (or any module
that serves one) with counselor accounts made by the command line, `console_in_process` builds
one in the test's own process as the composition root does, `Browser` is one counselor's
browser, `ask` puts a young person's request in the queue. Used by the unit tests of the console
and the encrypted tables, the server tests of a handoff and the browser tests."""

import http.client
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse

from haven.handoff.relay import HandoffRelay
from haven.services import Services
from haven.storage.crypto import generate_key_line
from tests.support import PROJECT
from tests.support.running_haven import free_port, port_open

PASSWORD = "correct horse battery"  # noqa: S105 - a test account's password
NEW_PASSWORD = "a brand new passphrase"  # noqa: S105 - a test account's password


def serve(data, module, *args, counselors=("ana", "ben"), output=subprocess.DEVNULL, **extra_env):
    """Starts `python -m module PORT *args` on storage in `data`, with counselor accounts made by
    the command line; returns the process, its port and its environment."""
    env = {**os.environ, "HAVEN_DATA_DIR": str(data), "HAVEN_KEYS": generate_key_line("k1")}
    env["HAVEN_DB_URL"] = f"sqlite:///{data / 'haven.db'}"
    env.pop("HAVEN_COUNSELOR_REMOTE", None)
    env.update(extra_env)
    for name in counselors:
        subprocess.run(
            [sys.executable, "-m", "haven.handoff.cli", "add", name],
            cwd=PROJECT,
            env={**env, "HAVEN_COUNSELOR_PASSWORD": PASSWORD},
            check=True,
            capture_output=True,
        )
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", module, str(port), *map(str, args)],
        cwd=PROJECT,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT if output is not subprocess.DEVNULL else subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not port_open("127.0.0.1", port):
        assert process.poll() is None and time.monotonic() < deadline, f"{module} did not start"
        time.sleep(0.2)
    return process, port, env


def console_in_process(data, *counselors, relay=None):
    """The console as the composition root builds it (haven/services.py), in this process, over
    SQLite in `data` with sessions and the login limit in memory; `counselors` are added with
    `PASSWORD`. For tests that call its handlers directly (no server, no socket)."""
    services = Services.from_environ(
        {
            "HAVEN_DATA_DIR": str(data),
            "HAVEN_DB_URL": f"sqlite:///{data / 'haven.db'}",
            "HAVEN_KEYS": generate_key_line("k1"),
        }
    )
    console = services.counselor_console(relay or HandoffRelay())
    for name in counselors:
        console.accounts.add(name, PASSWORD)
    return console


class Browser:
    """One counselor's browser: keeps the session cookie, sends the CSRF token when told to."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookie = ""
        self.csrf = ""

    def request(self, method, path, body=None, form=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        sent = dict(headers or {})
        if self.cookie:
            sent["Cookie"] = self.cookie
        data = None
        if form is not None:
            data = urllib.parse.urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body)
            sent["Content-Type"] = "application/json"
        connection.request(method, path, body=data, headers=sent)
        reply = connection.getresponse()
        text = reply.read().decode()
        connection.close()
        return reply, text

    def login(self, name, password=PASSWORD):
        reply, text = self.request(
            "POST", "/counselor/login", form={"name": name, "password": password}
        )
        cookie = reply.getheader("Set-Cookie") or ""
        if reply.status == 303:
            self.cookie = cookie.split(";")[0]
            _, page = self.request("GET", "/counselor")
            self.csrf = page.split('name="haven-csrf" content="')[1].split('"')[0]
        return reply, cookie

    def post(self, path, body=None, csrf=True):
        headers = {"X-CSRF-Token": self.csrf} if csrf else {}
        reply, text = self.request("POST", path, body=body or {}, headers=headers)
        return reply.status, json.loads(text) if text.startswith("{") else text


def ask(queue, conversation, risk=False):
    return queue.request(
        conversation, language="en", region="uk", age_band=None, steps_done=[], risk=risk
    )


def cli(env, *args, password=None):
    extra = {"HAVEN_COUNSELOR_PASSWORD": password} if password else {}
    return subprocess.run(
        [sys.executable, "-m", "haven.handoff.cli", *args],
        cwd=PROJECT,
        env={**env, **extra},
        capture_output=True,
        text=True,
        check=False,
    )


def enrol(env, name):
    done = cli(env, "totp", "enable", name)
    assert done.returncode == 0, done.stderr
    (secret,) = re.findall(r"type the key: ([A-Z2-7]+)", done.stdout)
    assert f"otpauth://totp/Haven:{name}?secret={secret}" in done.stdout
    return secret
