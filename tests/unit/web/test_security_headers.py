"""The Host check against DNS rebinding and the hidden Rasa version (haven/web/security_headers.py),
without a server; tests/integration/test_server.py checks them on a running Haven."""

import asyncio
from types import SimpleNamespace

import pytest
from sanic import response

from haven.settings import public_hosts
from haven.web.security_headers import RASA_GREETING, hide_rasa_version, host_check


def ask(check, host, path="/webhooks/rest/webhook", method="POST"):
    request = SimpleNamespace(headers={"host": host} if host is not None else {}, path=path)
    request.method = method
    return asyncio.run(check(request))


@pytest.mark.parametrize(
    "host", ["127.0.0.1:5005", "localhost:5005", "[::1]:5005", "LOCALHOST", "haven.example.org"]
)
def test_loopback_and_configured_names_are_answered(host):
    check = host_check(public_hosts({"HAVEN_PUBLIC_HOSTS": "haven.example.org"}))
    assert ask(check, host) is None


@pytest.mark.parametrize(
    "host", ["rebind.attacker.example:5005", "haven.example.org.evil", "", None, "10.0.0.5:5005"]
)
def test_any_other_name_gets_421(host):
    check = host_check(public_hosts({"HAVEN_PUBLIC_HOSTS": "haven.example.org"}))
    refused = ask(check, host)
    assert refused is not None and refused.status == 421


def test_only_loopback_names_without_configuration():
    assert public_hosts({}) == {"localhost", "127.0.0.1", "::1"}


@pytest.mark.parametrize("path", ["/webhooks/rest/", "/webhooks/haven_widget/", "/webhooks/rest"])
def test_health_checks_answer_probes_that_call_by_address(path):
    assert ask(host_check(public_hosts({})), "10.1.2.3:5005", path=path, method="GET") is None


@pytest.mark.parametrize("value", ["https://haven.example.org", "haven.example.org:443", "a b"])
def test_a_malformed_public_host_is_refused_in_one_sentence(value):
    with pytest.raises(ValueError, match="HAVEN_PUBLIC_HOSTS must list host names"):
        public_hosts({"HAVEN_PUBLIC_HOSTS": value})


def test_rasas_root_route_does_not_tell_its_version():
    request = SimpleNamespace(path="/")
    hidden = asyncio.run(hide_rasa_version(request, response.text(RASA_GREETING.decode())))
    assert hidden.status == 404 and b"Rasa" not in hidden.body
    demo = response.html("<p>demo</p>")
    assert asyncio.run(hide_rasa_version(request, demo)) is None  # the demo page stays
