"""deploy/kubernetes/: what an NGO starts from must be closed by default.

Every manifest is parsed and checked for the rules docs/deploy.md promises: secrets only from the
Secret `haven-secrets` (and the example's placeholders are refused by Haven), images pinned, probes
on the cheap health paths, resources set, the action server reachable from the Rasa pods only and
never through the Ingress, TLS and address stickiness on the Ingress, telemetry off, pods that run
as the restricted Pod Security Standard asks. Each check runs on the files as written (with the
image pins of kustomization.yaml applied, as kustomize does) and, where `kubectl` is installed,
on what `kubectl kustomize` builds from them; without kubectl that half skips, saying so.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from haven.rasa_edge.action_server import OPEN_PATHS, ActionSecretError, action_secret
from haven.settings import StorageConfigError
from haven.storage.crypto import KeyRing
from haven.storage.redis_clients import redis_options
from tests.support import PROJECT

FOLDER = PROJECT / "deploy" / "kubernetes"
SECRET_NAME = "haven-secrets"  # noqa: S105 (the Secret object's name, not a secret)
SECRETS = {"HAVEN_KEYS", "HAVEN_DB_URL", "HAVEN_REDIS_URL", "HAVEN_ACTION_SECRET"}
OPTIONAL_SECRETS = {"HAVEN_METRICS_TOKEN"}
"""Secrets a pod starts without: the feature they open stays closed (README "For the NGO")."""
SECRET_LIKE = re.compile(r"SECRET|PASSWORD|TOKEN|KEYS?$|_URL$|CREDENTIAL")
RASA_HEALTH = "/webhooks/haven_widget/"  # the web chat channel's health route (the REST one is off)


def load_all(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc is not None]


def kustomization() -> dict[str, Any]:
    return load_all(FOLDER / "kustomization.yaml")[0]


def from_files() -> list[dict[str, Any]]:
    """The resources kustomization.yaml lists, with its image pins applied as kustomize does."""
    pins = {image["name"]: image for image in kustomization().get("images", [])}
    docs = [doc for name in kustomization()["resources"] for doc in load_all(FOLDER / name)]
    for container in containers(docs):
        pin = pins.get(container["image"])
        if pin is not None:
            name = pin.get("newName", pin["name"])
            container["image"] = (
                f"{name}@{pin['digest']}" if "digest" in pin else f"{name}:{pin['newTag']}"
            )
    return docs


def from_kustomize() -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed: the manifests were not built with kustomize")
    built = subprocess.run(
        [kubectl, "kustomize", str(FOLDER)], capture_output=True, text=True, timeout=60
    )
    assert built.returncode == 0, built.stderr
    return [doc for doc in yaml.safe_load_all(built.stdout) if doc is not None]


@pytest.fixture(params=["files", "kustomize"])
def manifests(request) -> list[dict[str, Any]]:
    return from_files() if request.param == "files" else from_kustomize()


def of_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [doc for doc in docs if doc["kind"] == kind]


def named(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    (found,) = [doc for doc in of_kind(docs, kind) if doc["metadata"]["name"] == name]
    return found


def pod_specs(docs: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for doc in docs:
        if doc["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
            yield doc["spec"]["template"]["spec"]


def containers(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        container
        for spec in pod_specs(docs)
        for container in spec.get("initContainers", []) + spec["containers"]
    ]


def pod_labels(docs: list[dict[str, Any]], deployment: str) -> dict[str, str]:
    return named(docs, "Deployment", deployment)["spec"]["template"]["metadata"]["labels"]


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    assert set(selector) <= {"matchLabels"}, "only matchLabels selectors are checked here"
    return all(labels.get(key) == value for key, value in selector.get("matchLabels", {}).items())


def secret_example() -> dict[str, str]:
    (secret,) = load_all(FOLDER / "secret.example.yaml")
    assert secret["kind"] == "Secret" and secret["metadata"]["name"] == SECRET_NAME
    return secret["stringData"]


def test_every_file_parses_and_is_accounted_for():
    listed = set(kustomization()["resources"])
    generated = {f for gen in kustomization()["configMapGenerator"] for f in gen["files"]}
    for path in sorted(FOLDER.iterdir()):
        assert path.suffix in (".yaml", ".yml"), f"{path.name}: only YAML belongs here"
        docs = load_all(path)  # every file parses
        opt_in = {"kustomization.yaml", "secret.example.yaml", "metrics.yaml"}
        assert path.name in listed | generated | opt_in
        if path.name in listed:
            for doc in docs:
                assert {"apiVersion", "kind", "metadata"} <= set(doc), path.name
                assert doc["metadata"].get("name"), path.name
    assert "secret.example.yaml" not in listed  # placeholders are never applied
    assert "metrics.yaml" not in listed  # the NGO's counts stay closed until you add it


def test_secrets_come_only_from_the_secret(manifests):
    keys = set(secret_example())
    assert keys == SECRETS
    for container in containers(manifests):
        assert "envFrom" not in container, "every variable is named, so none slips in"
        for variable in container.get("env", []):
            name = variable["name"]
            if name in SECRETS or SECRET_LIKE.search(name):
                assert "value" not in variable, f"{name} is written in the manifest"
                ref = variable["valueFrom"]["secretKeyRef"]
                optional = {"optional": True} if name in OPTIONAL_SECRETS else {}
                assert ref == {"name": SECRET_NAME, "key": name, **optional}, name
                assert ref["key"] in keys | OPTIONAL_SECRETS
    read = {
        c["name"]: {v["name"] for v in c.get("env", []) if "valueFrom" in v}
        for c in containers(manifests)
    }
    every = SECRETS | OPTIONAL_SECRETS
    assert read == {"rasa": every, "actions": every}


def test_no_secret_value_is_written_anywhere(manifests):
    assert not of_kind(manifests, "Secret"), "the Secret is made apart (secret.example.yaml)"
    text = "\n".join(
        path.read_text(encoding="utf-8")
        for path in FOLDER.iterdir()
        if path.name != "secret.example.yaml"
    ) + yaml.safe_dump_all(manifests)
    assert not re.search(r"\b\w+:[A-Za-z0-9+/]{43}=", text), "something like a key line"
    assert not re.search(r"://[^/\s:@]*:[^@\s]+@", text), "a URL with a password"
    assert not re.search(r"(?i)password\s*[:=]\s*\S", text)


def test_the_example_secret_holds_only_placeholders_haven_refuses():
    values = secret_example()
    with pytest.raises(StorageConfigError):
        KeyRing.parse(values["HAVEN_KEYS"])
    with pytest.raises(ActionSecretError):
        action_secret({"HAVEN_ACTION_SECRET": values["HAVEN_ACTION_SECRET"]})
    with pytest.raises(StorageConfigError):
        redis_options(values["HAVEN_REDIS_URL"])
    with pytest.raises(sa.exc.ArgumentError):
        sa.engine.make_url(values["HAVEN_DB_URL"])
    assert all(value.startswith("REPLACE ME") for value in values.values())


def test_images_are_pinned_by_tag_or_digest(manifests):
    for container in containers(manifests):
        image = container["image"]
        if "@sha256:" in image:
            continue
        name, _, tag = image.rpartition(":")
        assert name and "/" not in tag, f"{image} has no tag"
        assert tag != "latest", f"{image} is not pinned"


def test_every_container_has_probes_on_its_cheap_health_path(manifests):
    health = {"rasa": RASA_HEALTH, "actions": "/health"}
    assert "/health" in OPEN_PATHS  # answered without the action secret, so a probe can pass
    for container in containers(manifests):
        ports = {port["name"]: port["containerPort"] for port in container["ports"]}
        for probe in ("readinessProbe", "livenessProbe"):
            check = container[probe]["httpGet"]
            assert check["path"] == health[container["name"]], (container["name"], probe)
            assert check["port"] in ports
    rasa = next(c for c in containers(manifests) if c["name"] == "rasa")
    # Loading the model must not count as dead: the startup probe allows a few minutes.
    startup = rasa["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 120


def memory_bytes(quantity: str) -> int:
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "K": 10**3, "M": 10**6, "G": 10**9}
    number, unit = re.fullmatch(r"(\d+)([KMG]i?)?", quantity).groups()
    return int(number) * units.get(unit or "", 1)


def test_every_container_has_requests_and_limits(manifests):
    for container in containers(manifests):
        resources = container["resources"]
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(resources[kind]), (container["name"], kind)
        assert memory_bytes(resources["limits"]["memory"]) >= memory_bytes(
            resources["requests"]["memory"]
        )
    rasa = next(c for c in containers(manifests) if c["name"] == "rasa")
    # About 1 GB per Rasa server (issue 7's target; docs/benchmarks.md).
    assert memory_bytes(rasa["resources"]["requests"]["memory"]) >= 2**30


def test_the_action_server_is_never_exposed(manifests):
    services = {doc["metadata"]["name"]: doc for doc in of_kind(manifests, "Service")}
    assert services["haven-actions"]["spec"]["type"] == "ClusterIP"
    for service in services.values():
        assert service["spec"].get("type", "ClusterIP") == "ClusterIP", "only the Ingress is public"
    backends = {
        path["backend"]["service"]["name"]
        for ingress in of_kind(manifests, "Ingress")
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert backends == {"haven-rasa"}
    for spec in pod_specs(manifests):
        assert not spec.get("hostNetwork")
        for container in spec["containers"]:
            assert all("hostPort" not in port for port in container["ports"])


def test_only_the_rasa_pods_reach_the_action_server(manifests):
    policies = of_kind(manifests, "NetworkPolicy")
    actions, rasa = pod_labels(manifests, "haven-actions"), pod_labels(manifests, "haven-rasa")
    assert any(
        p["spec"]["podSelector"] == {} and "Ingress" in p["spec"]["policyTypes"] for p in policies
    ), "no default deny"
    guarding = [p for p in policies if selects(p["spec"]["podSelector"], actions)]
    allowed = [rule for p in guarding for rule in p["spec"].get("ingress", [])]
    assert allowed, "no policy lets anything reach the action server"
    for rule in allowed:
        for source in rule["from"]:
            assert set(source) == {"podSelector"}, "nothing outside the namespace may reach it"
            assert selects(source["podSelector"], rasa)
            assert not selects(source["podSelector"], actions)
        assert [port["port"] for port in rule["ports"]] == [5055]
    service = named(manifests, "Service", "haven-actions")
    assert selects({"matchLabels": service["spec"]["selector"]}, actions)


def test_the_action_server_reaches_the_database_and_redis_the_rasa_servers_use(manifests):
    # It files handoff requests where the console reads them: same secret keys, and no policy
    # that forbids its connections to PostgreSQL and Redis.
    def env(deployment: str) -> dict[str, Any]:
        (container,) = named(manifests, "Deployment", deployment)["spec"]["template"]["spec"][
            "containers"
        ]
        return {item["name"]: item.get("valueFrom") for item in container["env"]}

    shared = ("HAVEN_DB_URL", "HAVEN_KEYS", "HAVEN_REDIS_URL", "HAVEN_ACTION_SECRET")
    actions, rasa = env("haven-actions"), env("haven-rasa")
    assert {key: actions.get(key) for key in shared} == {key: rasa[key] for key in shared}
    labels = pod_labels(manifests, "haven-actions")
    for policy in of_kind(manifests, "NetworkPolicy"):
        if selects(policy["spec"]["podSelector"], labels):
            assert "Egress" not in policy["spec"]["policyTypes"], policy["metadata"]["name"]


def test_the_ingress_has_tls_and_sticks_to_an_address(manifests):
    (ingress,) = of_kind(manifests, "Ingress")
    hosts = {rule["host"] for rule in ingress["spec"]["rules"]}
    tls = ingress["spec"]["tls"]
    assert hosts <= {host for entry in tls for host in entry["hosts"]}
    assert all(entry["secretName"] for entry in tls)
    notes = ingress["metadata"]["annotations"]
    assert notes["nginx.ingress.kubernetes.io/force-ssl-redirect"] == "true"
    # The web chat's Socket.IO connection and a console session live in one Rasa server; the
    # stickiness is by address, since the web chat sets no cookie.
    assert notes["nginx.ingress.kubernetes.io/upstream-hash-by"] == "$remote_addr"
    assert "nginx.ingress.kubernetes.io/affinity" not in notes
    assert notes["nginx.ingress.kubernetes.io/enable-access-log"] == "false"


def test_the_rasa_servers_answer_only_the_ingress_host(manifests):
    (ingress,) = of_kind(manifests, "Ingress")
    hosts = {rule["host"] for rule in ingress["spec"]["rules"]}
    rasa = next(c for c in containers(manifests) if c["name"] == "rasa")
    env = {v["name"]: v.get("value") for v in rasa["env"]}
    assert set(env["HAVEN_PUBLIC_HOSTS"].split(",")) == hosts


def test_telemetry_is_off_and_rasas_http_api_stays_closed(manifests):
    for container in containers(manifests):
        env = {v["name"]: v.get("value") for v in container.get("env", [])}
        assert env.get("RASA_TELEMETRY_ENABLED") == "false", container["name"]
    rasa = next(c for c in containers(manifests) if c["name"] == "rasa")
    command = " ".join(rasa["command"])
    assert "deploy/endpoints.prod.yml" in command and "haven.storage.cli" in command
    assert "--enable-api" not in command and "--cors" not in command


def test_pods_run_unprivileged_on_a_read_only_file_system(manifests):
    for spec in pod_specs(manifests):
        assert spec["automountServiceAccountToken"] is False
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"]["drop"] == ["ALL"]


def test_the_web_chat_settings_follow_the_projects_and_allow_no_site_by_default():
    ours = load_all(FOLDER / "credentials.yml")[0]
    project = load_all(PROJECT / "credentials.yml")[0]
    # Production has the web chat only: the REST channel is for local testing (docs/deploy.md).
    assert ours == load_all(PROJECT / "deploy" / "credentials.prod.yml")[0]
    assert "haven.rasa_edge.rest_channel.HavenRestInput" not in ours
    assert ours.keys() == project.keys() - {"haven.rasa_edge.rest_channel.HavenRestInput"}
    widget = "haven.rasa_edge.widget_channel.HavenWidgetInput"
    assert ours[widget].keys() == project[widget].keys()
    assert ours[widget]["allowed_origins"] == []


def test_kustomize_puts_everything_in_havens_namespace():
    built = from_kustomize()
    for doc in built:
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == "haven", doc["metadata"]["name"]
    (config,) = of_kind(built, "ConfigMap")
    volumes = next(pod_specs([named(built, "Deployment", "haven-rasa")]))["volumes"]
    assert {"name": "credentials", "configMap": {"name": config["metadata"]["name"]}} in volumes
    assert named(built, "Deployment", "haven-rasa")["spec"]["replicas"] >= 2


def test_the_metrics_policy_is_opt_in_and_opens_only_the_two_ports_to_monitoring():
    # Not applied by default (test_every_file_parses_and_is_accounted_for); once added, it lets
    # one namespace reach the Rasa and action servers' ports, and nothing else.
    (policy,) = load_all(FOLDER / "metrics.yaml")
    assert policy["kind"] == "NetworkPolicy" and policy["spec"]["policyTypes"] == ["Ingress"]
    (rule,) = policy["spec"]["ingress"]
    (source,) = rule["from"]
    assert set(source) == {"namespaceSelector"}
    assert sorted(port["port"] for port in rule["ports"]) == [5005, 5055]
