"""deploy/docker-compose.yml: closed by default, and accepted by Docker Compose.

The rules docs/deploy.md promises are checked on the file itself (PyYAML): only the TLS proxy
publishes ports, everything else sits on an internal network, every secret is required (`:?`,
no default) and listed empty in haven.env.example, images carry a tag, Rasa's HTTP API stays off.

`docker compose config` (or `docker-compose config`) then reads the file as Compose does, which
needs no Docker daemon: with every secret set it must be accepted, and with any one missing it
must refuse, naming it. Compose 1.x (Debian's docker-compose 1.29) predates the Compose
Specification's top-level `name`, so it gets a copy without that one line. Skips, saying why,
where neither is installed. Nothing is built or started.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support import PROJECT

COMPOSE_FILE = PROJECT / "deploy" / "docker-compose.yml"
ENV_EXAMPLE = PROJECT / "deploy" / "haven.env.example"
DUMMY_ENV = {
    "HAVEN_DOMAIN": "haven.example.org",
    "HAVEN_KEYS": "k1:not-a-real-key",
    "HAVEN_ACTION_SECRET": "not-a-real-secret-only-for-compose-config",
    "HAVEN_POSTGRES_PASSWORD": "not-a-real-password",
    "HAVEN_REDIS_PASSWORD": "not-a-real-password-either",
}
"""One value for each variable the compose file requires; none of them works for real."""


def compose_file() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def test_only_the_proxy_publishes_ports_and_the_rest_is_internal():
    compose = compose_file()
    services = compose["services"]
    publishing = {name for name, service in services.items() if "ports" in service}
    assert publishing == {"proxy", "prometheus"}
    # Prometheus, only with --profile metrics, on this machine's loopback only (seen over SSH).
    assert services["prometheus"]["profiles"] == ["metrics"]
    assert all(port.startswith("127.0.0.1:") for port in services["prometheus"]["ports"])
    assert compose["networks"]["backend"] == {"internal": True}
    for name, service in services.items():
        expected = ["backend", "public"] if name in publishing else ["backend"]
        assert sorted(service["networks"]) == expected, name


def test_every_secret_is_required_with_no_default():
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    used = re.findall(r"\$\{(\w+)(:?[?-])?", text)
    required = {name for name, how in used if how == ":?"}
    assert required == set(DUMMY_ENV)
    assert all(how in (":?", ":-") for _, how in used), "every variable says what if unset"
    defaulted = {name for name, how in used if how == ":-"}
    # Unset, the metrics token leaves /metrics closed (a 404): the only secret with a default.
    assert defaulted == {
        "HAVEN_RATE_PER_CONVERSATION",
        "HAVEN_RATE_PER_ADDRESS",
        "HAVEN_METRICS_TOKEN",
    }
    example = dict(
        line.split("=", 1)
        for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    )
    assert example == dict.fromkeys(required, ""), "haven.env.example lists each, empty"


def test_images_carry_a_tag_and_rasas_http_api_stays_off():
    services = compose_file()["services"]
    for name, service in services.items():
        image = service["image"]
        assert ":" in image and not image.endswith(":latest"), name
    for name in ("rasa-1", "rasa-2"):
        command = " ".join(services[name]["command"])
        assert "--enable-api" not in command and "--cors" not in command
        assert "haven.storage.cli" in command and "deploy/endpoints.prod.yml" in command


def test_the_rasa_servers_have_the_web_chat_only_and_answer_only_the_domain():
    services = compose_file()["services"]
    for name in ("rasa-1", "rasa-2"):
        (mounted,) = services[name]["volumes"]
        source, target = mounted.split(":")[:2]
        assert target == "/app/credentials.yml"
        channels = yaml.safe_load((COMPOSE_FILE.parent / source).read_text(encoding="utf-8"))
        assert list(channels) == [
            "haven.rasa_edge.widget_channel.HavenWidgetInput",
            "haven.rasa_edge.console_channel.CounselorConsoleInput",
            "haven.rasa_edge.metrics_channel.HavenMetricsInput",
        ]  # no REST channel
        hosts = services[name]["environment"]["HAVEN_PUBLIC_HOSTS"]
        assert hosts.startswith("${HAVEN_DOMAIN:?")
    caddy = (COMPOSE_FILE.parent / "Caddyfile").read_text(encoding="utf-8")
    assert "health_uri /webhooks/haven_widget/" in caddy
    assert "respond /metrics* 404" in caddy  # the counts never leave through the proxy


def test_prometheus_scrapes_every_haven_process_with_the_token():
    services = compose_file()["services"]
    config = yaml.safe_load((COMPOSE_FILE.parent / "prometheus.yml").read_text(encoding="utf-8"))
    (job,) = config["scrape_configs"]
    (targets,) = [group["targets"] for group in job["static_configs"]]
    assert sorted(targets) == ["actions:5055", "rasa-1:5005", "rasa-2:5005"]
    assert set(services["prometheus"]["depends_on"]) == {"rasa-1", "rasa-2", "actions"}
    token_file = job["authorization"]["credentials_file"]
    assert token_file in " ".join(services["prometheus"]["entrypoint"])
    for name in ("rasa-1", "rasa-2", "actions"):
        environment = services[name]["environment"]
        unset_is_closed = "${HAVEN_METRICS_TOKEN:-}"  # noqa: S105 (a compose default, empty)
        assert environment["HAVEN_METRICS_TOKEN"] == unset_is_closed
        assert environment["HAVEN_METRICS_REMOTE"] == "1"


def test_the_action_server_shares_the_database_keys_and_redis_with_the_rasa_servers():
    # It files handoff requests in the database the console reads, under the same keys, and
    # counts new requests in Redis: without these it would write to a file of its own.
    services = compose_file()["services"]
    shared = ("HAVEN_DB_URL", "HAVEN_KEYS", "HAVEN_REDIS_URL", "HAVEN_ACTION_SECRET")
    actions = services["actions"]["environment"]
    for name in ("rasa-1", "rasa-2"):
        rasa = services[name]["environment"]
        assert {key: actions.get(key) for key in shared} == {key: rasa[key] for key in shared}
    assert set(services["actions"]["depends_on"]) == {"postgres", "redis"}


def compose_command() -> tuple[list[str], bool]:
    """The Compose command here, and whether it reads the top-level `name` (Compose 2 does)."""
    docker = shutil.which("docker")
    if docker:
        plugin = subprocess.run([docker, "compose", "version"], capture_output=True, timeout=30)
        if plugin.returncode == 0:
            return [docker, "compose"], True
    legacy = shutil.which("docker-compose")
    if legacy:
        version = subprocess.run(
            [legacy, "version", "--short"], capture_output=True, text=True, timeout=30
        ).stdout.strip()
        return [legacy], not version.startswith("1.")
    pytest.skip(
        "neither `docker compose` (the Compose plugin) nor `docker-compose` is installed: "
        "deploy/docker-compose.yml was checked with PyYAML only"
    )


def compose_config(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command, knows_name = compose_command()
    source = COMPOSE_FILE
    if not knows_name:  # Compose 1.x: the same file without its project name
        source = tmp_path / "deploy" / "docker-compose.yml"
        source.parent.mkdir(exist_ok=True)
        text = COMPOSE_FILE.read_text(encoding="utf-8")
        source.write_text(re.sub(r"(?m)^name: haven\n", "", text), encoding="utf-8")
    env_file = tmp_path / "haven.env"
    env_file.write_text("".join(f"{key}={value}\n" for key, value in env.items()))
    # Only the env file may set the variables: none from this process's environment.
    clean = {key: value for key, value in os.environ.items() if not key.startswith("HAVEN_")}
    return subprocess.run(
        [*command, "-f", str(source), "--env-file", str(env_file), "config"],
        capture_output=True,
        text=True,
        timeout=60,
        env=clean,
        cwd=tmp_path,
    )


def test_compose_accepts_the_file_with_every_secret_set(tmp_path):
    done = compose_config(tmp_path, DUMMY_ENV)
    assert done.returncode == 0, done.stderr
    config = yaml.safe_load(done.stdout)
    assert set(config["services"]) == {"proxy", "rasa-1", "rasa-2", "actions", "postgres", "redis"}
    rasa = config["services"]["rasa-1"]["environment"]
    assert rasa["HAVEN_DB_URL"] == (
        f"postgresql://haven:{DUMMY_ENV['HAVEN_POSTGRES_PASSWORD']}@postgres:5432/haven"
    )
    assert rasa["HAVEN_REDIS_URL"].startswith(f"redis://:{DUMMY_ENV['HAVEN_REDIS_PASSWORD']}@")
    assert "${" not in done.stdout


@pytest.mark.parametrize("missing", sorted(DUMMY_ENV))
def test_compose_refuses_the_file_without_any_one_secret(tmp_path, missing):
    done = compose_config(tmp_path, {k: v for k, v in DUMMY_ENV.items() if k != missing})
    assert done.returncode != 0
    assert f"set {missing} in deploy/haven.env" in done.stderr
