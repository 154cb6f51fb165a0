"""The counselor console over HTTP: login, sessions, rate limit, CSRF, who sees which chat."""

import asyncio
import json
import time

import pytest
import yaml

from haven.handoff.counselors import ConsoleSessions, LoginLimiter
from haven.handoff.queue import HandoffQueue
from haven.storage.crypto import generate_key_line
from tests.support import PROJECT
from tests.support.counselor_console import PASSWORD, Browser, ask, serve
from tests.support.running_haven import free_port


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    """A running console with two counselors, ana and ben, and a queue."""
    yield from console_with_queue(tmp_path_factory.mktemp("console"))


@pytest.fixture(scope="module")
def remote_console(tmp_path_factory):
    """The same, open to other addresses (behind the HTTPS proxy): HAVEN_COUNSELOR_REMOTE=1."""
    yield from console_with_queue(tmp_path_factory.mktemp("remote"), HAVEN_COUNSELOR_REMOTE="1")


def console_with_queue(data, **extra_env):
    process, port, env = serve(data, "tests.support.console_app", **extra_env)
    from haven.storage.crypto import KeyRing

    queue = HandoffQueue(env["HAVEN_DB_URL"], KeyRing.parse(env["HAVEN_KEYS"]))
    yield port, queue
    process.terminate()
    process.wait(timeout=10)


def test_without_login_there_is_only_the_login_form(console):
    port, _ = console
    browser = Browser(port)
    reply, page = browser.request("GET", "/counselor")
    assert reply.status == 200 and 'action="/counselor/login"' in page
    csp = reply.getheader("Content-Security-Policy")
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    reply, _ = browser.request("GET", "/counselor/api/state")
    assert reply.status == 401


def test_a_wrong_password_is_refused_and_a_right_one_gets_a_strict_cookie(console):
    port, _ = console
    browser = Browser(port)
    reply, cookie = browser.login("ana", "wrong password here")
    assert reply.status == 401 and not cookie
    reply, cookie = browser.login("ana")
    assert reply.status == 303
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Secure" not in cookie  # on loopback the console works over plain HTTP
    reply, text = browser.request("GET", "/counselor/api/state")
    assert reply.status == 200 and json.loads(text)["counselor"] == "ana"


def test_opened_to_other_addresses_the_session_cookie_is_https_only(remote_console):
    # Reached through the Ingress or reverse proxy (HAVEN_COUNSELOR_REMOTE=1), over HTTPS: the
    # cookie must never travel in the clear.
    port, _ = remote_console
    reply, cookie = Browser(port).login("ana")
    assert reply.status == 303
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_too_many_failures_lock_the_account_even_with_the_right_password(console):
    port, _ = console
    browser = Browser(port)
    for _ in range(5):
        assert browser.login("ben", "not the password")[0].status == 401
    assert browser.login("ben")[0].status == 429


def test_a_forged_claim_without_the_csrf_token_is_refused(console):
    port, queue = console
    request = ask(queue, "forged-claim-conversation")
    browser = Browser(port)
    browser.login("ana")
    status, _ = browser.post("/counselor/api/claim", {"id": request.request_id}, csrf=False)
    assert status == 403
    reply, _ = browser.request(
        "POST",
        "/counselor/api/claim",
        body={"id": request.request_id},
        headers={"X-CSRF-Token": browser.csrf, "Origin": "https://evil.example"},
    )
    assert reply.status == 403
    assert queue.open_for("forged-claim-conversation").status == "waiting"
    queue.cancel("forged-claim-conversation")


def test_the_queue_is_risk_first_and_only_the_claimer_opens_the_chat(console):
    port, queue = console
    calm = ask(queue, "calm-conversation")
    urgent = ask(queue, "urgent-conversation", risk=True)
    ana = Browser(port)
    ana.login("ana")
    _, text = ana.request("GET", "/counselor/api/state")
    assert [item["id"] for item in json.loads(text)["queue"]] == [
        urgent.request_id,
        calm.request_id,
    ]
    status, reply = ana.post("/counselor/api/claim", {"id": urgent.request_id})
    assert status == 200 and reply["id"] == urgent.request_id
    reply, _ = ana.request("GET", f"/counselor/api/chats/{urgent.request_id}")
    assert reply.status == 200

    intruder = Browser(port)  # not logged in
    queue.claim(calm.request_id, "someone-else")
    reply, _ = ana.request("GET", f"/counselor/api/chats/{calm.request_id}")
    assert reply.status == 404
    status, _ = ana.post(f"/counselor/api/chats/{calm.request_id}/send", {"text": "hi"})
    assert status == 404
    status, _ = ana.post(f"/counselor/api/chats/{calm.request_id}/end")
    assert status == 404
    assert intruder.request("GET", f"/counselor/api/chats/{urgent.request_id}")[0].status == 401
    status, _ = ana.post(f"/counselor/api/chats/{urgent.request_id}/hand_back")
    assert status == 200
    assert queue.open_for("urgent-conversation") is None


def test_a_chat_claimed_before_a_restart_goes_on_when_opened(console):
    port, queue = console
    request = ask(queue, "restart-conversation")
    queue.claim(request.request_id, "ana")  # as if claimed before this server started
    ana = Browser(port)
    ana.login("ana")
    _, text = ana.request("GET", "/counselor/api/state")
    (mine,) = [c for c in json.loads(text)["chats"] if c["id"] == request.request_id]
    assert mine["live"] is False
    reply, text = ana.request("GET", f"/counselor/api/chats/{request.request_id}")
    assert reply.status == 200 and json.loads(text)["live"] is True
    assert ana.post(f"/counselor/api/chats/{request.request_id}/end")[0] == 200


def test_a_session_expires_after_the_idle_time():
    now = [1000.0]
    sessions = ConsoleSessions(idle_minutes=30, clock=lambda: now[0])
    token, _ = sessions.start("ana")
    now[0] += 29 * 60
    assert sessions.get(token).counselor == "ana"  # activity extends it
    now[0] += 29 * 60
    assert sessions.get(token) is not None
    now[0] += 31 * 60
    assert sessions.get(token) is None
    assert sessions.get("made-up-token") is None


def test_the_limit_counts_per_address_too():
    limiter = LoginLimiter(max_failures=5, max_per_address=3, clock=lambda: 0.0)
    for name in ("a1", "a2", "a3"):
        limiter.failed(name, "10.0.0.9")
    assert not limiter.allowed("a4", "10.0.0.9")
    assert limiter.allowed("a4", "10.0.0.10")


def test_failures_for_a_name_lock_that_name_only_from_the_address_that_failed():
    limiter = LoginLimiter(clock=lambda: 0.0)
    for _ in range(50):
        limiter.failed("ana", "203.0.113.9")  # someone who knows ana's name
    assert not limiter.allowed("ana", "203.0.113.9")
    assert limiter.allowed("ana", "10.0.0.2")  # ana herself, and the rest of the team
    assert limiter.allowed("ben", "10.0.0.3")


def test_guessing_from_many_addresses_never_locks_a_name_out_where_it_logged_in_before():
    now = [0.0]
    limiter = LoginLimiter(clock=lambda: now[0])
    limiter.succeeded("ana", "10.0.0.2")  # ana's usual place
    for index in range(100):
        limiter.failed("ana", f"198.51.100.{index}")
    assert not limiter.allowed("ana", "192.0.2.1")  # a new place waits while the guessing lasts
    assert limiter.allowed("ana", "10.0.0.2")
    now[0] += 901
    assert limiter.allowed("ana", "192.0.2.1")  # and not longer


def test_the_limits_memory_is_bounded_and_holds_no_name_or_address():
    from haven.handoff.counselors import MAX_TRACKED_LOGIN_KEYS

    limiter = LoginLimiter(clock=lambda: 0.0)
    for index in range(MAX_TRACKED_LOGIN_KEYS):
        limiter.failed(f"name-{index}", f"10.{index // 65536}.{index // 256 % 256}.{index % 256}")
    store = limiter.store
    assert len(store._times) <= MAX_TRACKED_LOGIN_KEYS
    assert all(len(times) <= limiter.max_per_name for times in store._times.values())
    keys = b"".join(store._times)
    assert all(len(key) == 16 for key in store._times)
    assert b"name-1" not in keys and b"10.0." not in keys


def test_a_name_too_long_is_refused_before_anything_is_counted(console):
    port, _ = console
    reply, _ = Browser(port).login("x" * 100_000, "wrong")
    assert reply.status == 400
    assert Browser(port).login("ana")[0].status == 303


class Tracker:
    def __init__(self, slots):
        self.slots = slots

    def get_slot(self, name):
        return self.slots.get(name)


def app_with_slots(slots=None, fails=False):
    """A stand-in for the Rasa server's app, whose tracker store holds one conversation."""
    from types import SimpleNamespace

    async def retrieve(conversation_id):
        if fails:
            raise OSError("database away")
        return Tracker(slots) if slots is not None else None

    store = SimpleNamespace(retrieve=retrieve)
    return SimpleNamespace(ctx=SimpleNamespace(agent=SimpleNamespace(tracker_store=store)))


def test_texts_during_a_handoff_use_the_young_persons_region_and_language():
    import asyncio

    from haven.handoff.console import conversation_locale
    from haven.packs.channel_messages import load_channel_messages

    def locale(app, known=None):
        return asyncio.run(conversation_locale(app, "c1", known))

    widget = {"language": "en"}
    chosen = locale(app_with_slots({"region": "au", "language": "es", "region_hint": "us"}), widget)
    assert chosen == {"language": "es", "region": "au"}
    crisis = load_channel_messages(chosen)["handoff_crisis"]
    assert "000" in crisis and "Kids Helpline" in crisis and crisis.startswith("La persona")
    hinted = locale(app_with_slots({"region_hint": "us", "language_hint": "es"}), widget)
    assert hinted == {"language": "es", "region": "us"}
    # Unknown in the slots: what is known otherwise, then the deployment's default.
    assert locale(app_with_slots({}), {"language": "es", "region": None}) == {"language": "es"}
    assert locale(app_with_slots(None), widget) == widget
    assert locale(app_with_slots(fails=True), widget) == widget
    assert locale(None, None) == {}
    default = load_channel_messages({})["handoff_crisis"]
    assert "Kids Helpline" not in default and default.startswith("The counselor")


def console_texts_of(page: str) -> dict:
    """The texts the console's script reads: the JSON in the page's #console-texts."""
    start = page.index('id="console-texts">') + len('id="console-texts">')
    return json.loads(page[start : page.index("</script>", start)])


def pack_texts(language: str) -> dict:
    path = PROJECT / "content" / "languages" / language / "console.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))["texts"]


@pytest.fixture(scope="module")
def spanish_console(tmp_path_factory):
    """A running console configured in Spanish, as an NGO would: HAVEN_CONSOLE_LANGUAGE=es."""
    yield from console_with_queue(tmp_path_factory.mktemp("es"), HAVEN_CONSOLE_LANGUAGE="es")


def test_configured_in_spanish_the_console_speaks_spanish(spanish_console):
    port, queue = spanish_console
    spanish = pack_texts("es")
    browser = Browser(port)
    _, page = browser.request("GET", "/counselor")
    assert '<html lang="es">' in page
    assert "<title>Consola de consejería de Haven: iniciar sesión</title>" in page
    assert ">Contraseña</label>" in page and ">Iniciar sesión</button>" in page
    _, page = browser.request("POST", "/counselor/login", form={"name": "ana", "password": "no"})
    assert "El nombre o la contraseña no son correctos." in page

    browser.login("ana")
    _, page = browser.request("GET", "/counselor")
    assert '<html lang="es">' in page and "Sesión iniciada como <strong>ana</strong>" in page
    assert 'aria-label="Mensajes"' in page and ">Devolver a Haven</button>" in page
    assert console_texts_of(page) == spanish  # every text the script shows, in Spanish
    assert "{{" not in page and "Log out" not in page

    request = ask(queue, "gone-in-spanish")
    queue.cancel("gone-in-spanish")
    status, reply = browser.post("/counselor/api/claim", {"id": request.request_id})
    assert status == 409 and reply["message"] == spanish["claim_gone"]


def test_by_default_the_console_is_in_english(console):
    port, _ = console
    browser = Browser(port)
    _, page = browser.request("GET", "/counselor")
    assert '<html lang="en">' in page and "<title>Haven counselor console: log in</title>" in page
    browser.login("ana")
    _, page = browser.request("GET", "/counselor")
    assert console_texts_of(page) == pack_texts("en")
    assert "Logged in as <strong>ana</strong>" in page


def test_pack_texts_cannot_add_html_to_the_console(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from haven.handoff import console as counselor_console
    from haven.handoff.console import COOKIE, CounselorConsole

    evil = '</script><script>alert(1)</script><b title="x">'
    monkeypatch.setattr(
        counselor_console,
        "load_console_texts",
        lambda language: {
            **pack_texts("en"),
            "console_title": evil,
            "logged_in_as": evil + "{name}",
        },
    )
    sessions = ConsoleSessions(idle_minutes=60)
    accounts = SimpleNamespace(touch=lambda *args, **kwargs: None, session_stamp=lambda name: "s")
    console = CounselorConsole(
        None, SimpleNamespace(clock=time.time), accounts, sessions, SimpleNamespace(), None
    )
    token, _ = sessions.start("ana", "s")
    request = SimpleNamespace(cookies={COOKIE: token})
    page = asyncio.run(console.page(request)).body.decode()
    assert "<script>alert" not in page and "<b " not in page
    assert page.count("</script>") == 4  # the texts' and the three scripts' own
    assert console_texts_of(page)["console_title"] == evil  # the script still gets the text


def test_the_console_language_is_a_setting_with_a_clear_error(tmp_path):
    from haven.settings import HandoffSettings, StorageConfigError

    assert HandoffSettings.load(tmp_path / "none.yml", {}).console_language == "en"
    (tmp_path / "handoff.yml").write_text("console_language: es\n", encoding="utf-8")
    assert HandoffSettings.load(tmp_path / "handoff.yml", {}).console_language == "es"
    for wrong in ("it", "../en", "EN"):  # "it": no Italian folder
        with pytest.raises(StorageConfigError, match="console_language"):
            HandoffSettings.load(tmp_path / "none.yml", {"HAVEN_CONSOLE_LANGUAGE": wrong})


REDIS_URL = "redis://127.0.0.1:6379/3"  # a database of its own for these tests


@pytest.fixture
def redis_client():
    import secrets

    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    client.test_prefix = f"haven-test-{secrets.token_hex(6)}:"
    yield client
    for key in client.scan_iter(f"{client.test_prefix}*"):
        client.delete(key)
    client.close()


def test_sessions_in_redis_are_shared_by_processes_and_hold_only_hashes(redis_client):
    from haven.handoff.counselors import RedisConsoleSessions

    prefix = redis_client.test_prefix
    one = RedisConsoleSessions(redis_client, idle_minutes=30, prefix=prefix)
    other = RedisConsoleSessions(redis_client, idle_minutes=30, prefix=prefix)
    token, session = one.start("ana")
    seen = other.get(token)
    assert (seen.counselor, seen.csrf) == ("ana", session.csrf)
    other.touched(token, seen, 12345.0)
    assert one.get(token).last_touch == 12345.0  # "online" noted once for all processes
    (key,) = redis_client.keys(f"{prefix}*")
    assert token.encode() not in key and token.encode() not in redis_client.get(key)
    assert 0 < redis_client.pttl(key) <= 30 * 60 * 1000
    one.end(token)
    assert other.get(token) is None and redis_client.keys(f"{prefix}*") == []
    assert other.get("made-up-token") is None and other.get(None) is None


def test_sessions_in_redis_expire_when_idle_and_after_12_hours(redis_client):
    import time as real_time

    from haven.handoff.counselors import RedisConsoleSessions

    now = [1000.0]
    sessions = RedisConsoleSessions(
        redis_client, idle_minutes=1.5 / 60, clock=lambda: now[0], prefix=redis_client.test_prefix
    )
    token, _ = sessions.start("ana")
    real_time.sleep(1.0)
    assert sessions.get(token) is not None  # activity renews the 1.5 s
    real_time.sleep(1.0)
    assert sessions.get(token) is not None
    real_time.sleep(2.0)
    assert sessions.get(token) is None
    token, _ = sessions.start("ana")
    now[0] += 12 * 3600
    assert sessions.get(token) is None


def test_the_login_limit_in_redis_counts_across_processes(redis_client):
    from haven.handoff.counselors import RedisLoginLimiter

    now = [1_700_000_000.0]

    def limiter():
        return RedisLoginLimiter(
            redis_client, b"k" * 32, clock=lambda: now[0], prefix=redis_client.test_prefix
        )

    one, other = limiter(), limiter()
    for attempt in range(5):
        (one if attempt % 2 else other).failed("ben", "10.0.0.7")
    assert not one.allowed("ben", "10.0.0.7") and not other.allowed("ben", "10.0.0.7")
    assert one.allowed("ben", "10.0.0.8")  # locked for the address that failed, not for others
    assert one.allowed("ana", "10.0.0.7")
    keys = redis_client.keys(f"{redis_client.test_prefix}*")
    assert b"ben" not in b"".join(keys) and b"10.0.0.7" not in b"".join(keys)
    assert all(0 < redis_client.pttl(key) <= 900_000 for key in keys)
    now[0] += 901
    assert other.allowed("ben", "10.0.0.7")  # the window has passed
    for _ in range(5):
        one.failed("carla", "10.0.0.9")
    other.succeeded("carla", "10.0.0.9")
    assert one.allowed("carla", "10.0.0.9")


def test_the_environment_chooses_where_sessions_live(tmp_path):
    from haven.handoff.counselors import RedisConsoleSessions, RedisLoginLimiter
    from haven.services import Services

    env = {"HAVEN_DATA_DIR": str(tmp_path), "HAVEN_KEYS": generate_key_line("k1")}
    console = Services.from_environ(env).counselor_console()
    assert type(console.sessions) is ConsoleSessions and type(console.limiter) is LoginLimiter
    # A URL without a database: the console's Redis is the one of the lock store and the rate
    # limits (database 1), and it gives up after a timeout instead of hanging.
    env["HAVEN_REDIS_URL"] = "redis://127.0.0.1:6379"
    console = Services.from_environ(env).counselor_console()
    assert isinstance(console.sessions, RedisConsoleSessions)
    assert isinstance(console.limiter, RedisLoginLimiter)
    connection = console.sessions.redis.connection_pool.connection_kwargs
    assert (
        connection["db"] == 1
        and connection["socket_timeout"]
        and connection["socket_connect_timeout"]
    )


def test_two_console_processes_share_logins_through_redis(tmp_path, redis_client):
    first, first_port, env = serve(tmp_path, "tests.support.console_app", HAVEN_REDIS_URL=REDIS_URL)
    shared = {"HAVEN_REDIS_URL": REDIS_URL, "HAVEN_KEYS": env["HAVEN_KEYS"]}
    second, second_port, _ = serve(tmp_path, "tests.support.console_app", counselors=(), **shared)
    try:
        ana = Browser(first_port)
        assert ana.login("ana")[0].status == 303
        ana.port = second_port  # the load balancer sends the next request elsewhere
        reply, text = ana.request("GET", "/counselor/api/state")
        assert reply.status == 200 and json.loads(text)["counselor"] == "ana"
        reply, _ = ana.request("POST", "/counselor/logout", form={"csrf": ana.csrf})
        assert reply.status == 303
        ana.port = first_port
        assert ana.request("GET", "/counselor/api/state")[0].status == 401

        for attempt in range(5):
            ben = Browser(first_port if attempt % 2 else second_port)
            assert ben.login("ben", "not the password")[0].status == 401
        assert Browser(first_port).login("ben")[0].status == 429
        assert Browser(second_port).login("ben")[0].status == 429
    finally:
        for process in (first, second):
            process.terminate()
            process.wait(timeout=10)
        for key in redis_client.scan_iter("haven:console:*"):
            redis_client.delete(key)


def test_without_its_redis_the_console_says_so_and_lets_nobody_in(tmp_path):
    away = f"redis://127.0.0.1:{free_port()}/3"  # nothing listens there
    log = (tmp_path / "server.log").open("w")
    process, port, _ = serve(
        tmp_path, "tests.support.console_app", output=log, HAVEN_REDIS_URL=away
    )
    try:
        form = {"name": "ana", "password": PASSWORD}
        reply, text = Browser(port).request("POST", "/counselor/login", form=form)
        assert reply.status == 503 and "Try again in a minute" in text
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
    logged = (tmp_path / "server.log").read_text()
    assert "cannot reach Redis (HAVEN_REDIS_URL): ConnectionError" in logged
    assert "Traceback" not in logged
