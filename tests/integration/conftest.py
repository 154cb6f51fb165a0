"""The running servers that several server tests share."""

import pytest

# Servers that several modules need alike, started once for the run, the first time a test asks,
# and stopped at its end: starting a Rasa server is most of what a server test waits for. The
# tests using one never rely on what another left there (fresh conversation ids, their own
# addresses and queue entries), so sharing lets none of them pass that would fail alone.


@pytest.fixture(scope="session")
def two_servers(tmp_path_factory):
    """The two Rasa servers on PostgreSQL and Redis of test_multi_instance.py, which
    test_handoff_multi_instance.py uses too."""
    from tests.integration.test_multi_instance import two_servers_running

    yield from two_servers_running(tmp_path_factory)


@pytest.fixture(scope="session")
def haven_behind_proxy(tmp_path_factory):
    """A function giving a running Haven as behind one reverse proxy (SANIC_PROXIES_COUNT=1) with
    the counselor account ana (`haven_with_counselor`, tests/support/running_haven.py), for
    test_server.py and test_handoff_server.py, which used to start one each, alike but for the
    account (test_server.py never logs in). Once a test has stopped it (test_server.py's Ctrl-C
    test does), the next call starts another."""
    from tests.support.counselor_console import PASSWORD
    from tests.support.running_haven import haven_with_counselor

    started = []

    def running():
        if not started or started[-1].process.poll() is not None:
            tmp = tmp_path_factory.mktemp("behind-proxy")
            started.append(haven_with_counselor(tmp, "ana", PASSWORD))
        return started[-1]

    yield running
    for haven in started:
        haven.stop()
