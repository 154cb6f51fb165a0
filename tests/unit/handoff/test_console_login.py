"""Logging in to the counselor console: Argon2id and the move from old scrypt hashes, logins off
the event loop, the second factor (TOTP), password change, sessions ended when the account
changes or goes, and the in-memory login limit's bounded memory."""

import asyncio
import os
import re
import time
import tracemalloc
from types import SimpleNamespace

import pyotp
import pytest
import sqlalchemy as sa
from sanic.request import RequestParameters

from haven.handoff.console import COOKIE
from haven.handoff.counselors import (
    AccountError,
    ConsoleSessions,
    CounselorAccounts,
    LoginLimiter,
    legacy_scrypt,
)
from haven.storage.crypto import KeyRing, generate_key_line
from tests.support.counselor_console import (
    NEW_PASSWORD,
    PASSWORD,
    Browser,
    cli,
    console_in_process,
    enrol,
    serve,
)
from tests.unit.handoff.test_console import redis_client  # noqa: F401 - the fixture


@pytest.fixture
def accounts(tmp_path):
    now = [1_700_000_000.0]
    made = CounselorAccounts(
        f"sqlite:///{tmp_path / 'a.db'}",
        clock=lambda: now[0],
        key_ring=KeyRing.parse(generate_key_line("k1")),
    )
    made.create_schema()
    made.now = now
    return made


# --- hashing ----------------------------------------------------------------------------


def test_passwords_are_argon2id_hashes_with_owasps_parameters(accounts):
    accounts.add("ana", PASSWORD)
    accounts.add("ben", PASSWORD)
    with accounts.engine.connect() as connection:
        rows = connection.execute(accounts.table.select()).all()
    hashes = [bytes(row.password_hash) for row in rows]
    assert all(h.startswith(b"$argon2id$v=19$m=19456,t=2,p=1$") for h in hashes)
    assert hashes[0] != hashes[1]  # each with its own salt
    assert PASSWORD.encode() not in b"".join(hashes)
    assert accounts.verify("ana", PASSWORD) and not accounts.verify("ana", "wrong password")
    assert not accounts.verify("nobody", PASSWORD)


def stored_hash(accounts, name):
    with accounts.engine.connect() as connection:
        row = connection.execute(
            sa.select(accounts.table).where(accounts.table.c.name == name)
        ).one()
    return bytes(row.salt), bytes(row.password_hash)


def test_an_account_with_an_old_scrypt_hash_logs_in_and_moves_to_argon2id(accounts):
    salt = os.urandom(16)
    with accounts.engine.begin() as connection:  # as `cli add` stored it before Argon2id
        connection.execute(
            sa.insert(accounts.table).values(
                name="old", salt=salt, password_hash=legacy_scrypt(PASSWORD, salt), last_seen=0
            )
        )
    assert not accounts.verify("old", "not the password")
    assert stored_hash(accounts, "old")[1] == legacy_scrypt(PASSWORD, salt)  # unchanged
    assert accounts.verify("old", PASSWORD)
    new_salt, rehashed = stored_hash(accounts, "old")
    assert rehashed.startswith(b"$argon2id$") and new_salt == b""
    assert accounts.verify("old", PASSWORD) and not accounts.verify("old", "not the password")


def test_an_argon2_hash_with_weaker_parameters_is_rehashed_at_login(accounts):
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with accounts.engine.begin() as connection:
        connection.execute(
            sa.insert(accounts.table).values(
                name="weak", salt=b"", password_hash=weak.encode(), last_seen=0
            )
        )
    assert accounts.verify("weak", PASSWORD)
    assert stored_hash(accounts, "weak")[1].startswith(b"$argon2id$v=19$m=19456,t=2,p=1$")


# --- off the event loop -----------------------------------------------------------------


def login_request(name, password, cookies=None, **form):
    fields = {"name": name, "password": password, **form}
    return SimpleNamespace(
        form=RequestParameters({key: [value] for key, value in fields.items()}),
        cookies=cookies or {},
        headers={},
        host="127.0.0.1:5005",
        ip="127.0.0.1",
        remote_addr="",
    )


async def worst_tick_during(work, tick=0.005):
    """The longest the event loop took to come back to a coroutine that sleeps `tick` seconds
    over and over (as a young person's message waits for the loop), while `work` runs."""
    worst = 0.0
    running = True

    async def ticker():
        nonlocal worst
        while running:
            started = time.perf_counter()
            await asyncio.sleep(tick)
            worst = max(worst, time.perf_counter() - started - tick)

    ticking = asyncio.create_task(ticker())
    await asyncio.sleep(0.05)
    result = await work
    running = False
    await ticking
    return worst, result


def console_over(tmp_path):
    return console_in_process(tmp_path, *(f"counselor{index}" for index in range(10)))


def test_ten_logins_at_once_leave_the_event_loop_answering_within_100_ms(tmp_path):
    console = console_over(tmp_path)

    async def ten_logins():
        replies = await asyncio.gather(
            *(console.login(login_request(f"counselor{i}", PASSWORD)) for i in range(10))
        )
        return [reply.status for reply in replies]

    # The best of three rounds: a machine busy with other work can delay the loop's thread in
    # one round, while hashing on the loop would stall it in every round (below).
    stalls = []
    for _ in range(3):
        worst, statuses = asyncio.run(worst_tick_during(ten_logins()))
        assert statuses == [303] * 10
        stalls.append(worst)
        if worst < 0.100:
            break
    assert min(stalls) < 0.100, f"the event loop stalled {[round(s * 1000) for s in stalls]} ms"

    # The measure can fail: the same logins with the hashing on the loop stall it.
    async def on_the_loop(work, *arguments):
        return work(*arguments)

    console._blocking = on_the_loop
    worst, statuses = asyncio.run(worst_tick_during(ten_logins()))
    assert statuses == [303] * 10
    assert worst > 0.100, f"hashing on the loop stalled it only {worst * 1000:.0f} ms"


# --- the second factor ------------------------------------------------------------------


def code_at(secret, when):
    return pyotp.TOTP(secret).at(when)


def test_a_totp_code_logs_in_once_and_a_wrong_or_replayed_one_does_not(accounts):
    accounts.add("ana", PASSWORD)
    assert not accounts.has_totp("ana")
    enrolment = accounts.enable_totp("ana")
    assert accounts.has_totp("ana")
    assert enrolment.uri.startswith("otpauth://totp/Haven:ana?secret=" + enrolment.secret)
    now = accounts.now[0]
    right = code_at(enrolment.secret, now)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    assert not accounts.verify_totp("ana", wrong)
    assert not accounts.verify_totp("ana", "12345") and not accounts.verify_totp("ana", "abcdef")
    assert accounts.verify_totp("ana", right[:3] + " " + right[3:])  # as an app may show it
    assert not accounts.verify_totp("ana", right)  # replayed within its window
    accounts.now[0] += 30
    assert not accounts.verify_totp("ana", right)  # still in the window, still used
    assert accounts.verify_totp("ana", code_at(enrolment.secret, accounts.now[0]))
    # A code from before the last one used is refused, even within the window.
    accounts.now[0] += 30
    late = code_at(enrolment.secret, accounts.now[0] - 30)
    assert not accounts.verify_totp("ana", late)
    # The step before now is accepted (a phone a little behind), two steps before not.
    accounts.now[0] += 300
    assert not accounts.verify_totp("ana", code_at(enrolment.secret, accounts.now[0] - 60))
    assert accounts.verify_totp("ana", code_at(enrolment.secret, accounts.now[0] - 30))
    assert not accounts.verify_totp("nobody", right)


def test_the_totp_secret_is_stored_encrypted_and_bound_to_its_counselor(accounts):
    accounts.add("ana", PASSWORD)
    accounts.add("ben", PASSWORD)
    secret = accounts.enable_totp("ana").secret
    with accounts.engine.begin() as connection:
        row = connection.execute(accounts.totp_table.select()).one()
        assert secret.encode() not in bytes(row.body)
        # A row copied to another counselor does not open as theirs.
        connection.execute(
            sa.insert(accounts.totp_table).values(
                name="ben", key_id=row.key_id, nonce=row.nonce, body=row.body, last_step=0
            )
        )
    from haven.storage.crypto import TamperedRecordError

    with pytest.raises(TamperedRecordError):
        accounts.verify_totp("ben", code_at(secret, accounts.now[0]))
    without_keys = CounselorAccounts(str(accounts.engine.url))
    with pytest.raises(AccountError, match="storage keys"):
        without_keys.enable_totp("ana")


def test_a_second_factor_the_keys_cannot_open_is_a_clear_refusal(tmp_path, caplog):
    console = console_over(tmp_path)
    secret = console.accounts.enable_totp("counselor2").secret

    async def both_steps():
        first = await console.login(login_request("counselor2", PASSWORD))
        token = first.cookies[COOKIE].value
        csrf = re.search(r'name="csrf" value="([^"]+)"', first.body.decode()).group(1)
        console.accounts.key_ring = KeyRing.parse(generate_key_line("k1"))  # not the one it had
        code = pyotp.TOTP(secret).now()
        return await console.login(
            login_request("", "", {COOKIE: token}, step="code", code=code, csrf=csrf)
        )

    reply = asyncio.run(both_steps())
    assert reply.status == 503 and "cannot work right now" in reply.body.decode()
    assert "second factor cannot be read" in caplog.text and secret not in caplog.text


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    """A running console (in-memory sessions) with counselors made by the command line."""
    names = ("tia", "tom", "ted", "pat", "pia", "rem", "ron")
    process, port, env = serve(
        tmp_path_factory.mktemp("login"), "tests.support.console_app", counselors=names
    )
    yield port, env
    process.terminate()
    process.wait(timeout=10)


def password_step(browser, name, password=PASSWORD):
    """Posts name and password; returns the reply, the page and the code form's CSRF token."""
    reply, page = browser.request(
        "POST", "/counselor/login", form={"name": name, "password": password}
    )
    cookie = reply.getheader("Set-Cookie") or ""
    if cookie.startswith(COOKIE):
        browser.cookie = cookie.split(";")[0]
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    return reply, page, found.group(1) if found else ""


def code_step(browser, code, csrf):
    form = {"step": "code", "code": code, "csrf": csrf}
    reply, page = browser.request("POST", "/counselor/login", form=form)
    cookie = reply.getheader("Set-Cookie") or ""
    if reply.status == 303:
        browser.cookie = cookie.split(";")[0]
    return reply, page


def at_the_code_form(console, name):
    """A browser past the password of a counselor just given a second factor."""
    port, env = console
    secret = enrol(env, name)
    browser = Browser(port)
    reply, page, csrf = password_step(browser, name)
    assert reply.status == 200
    return browser, pyotp.TOTP(secret).now(), csrf, page


def test_with_a_second_factor_the_password_alone_opens_nothing(console):
    browser, code, csrf, page = at_the_code_form(console, "tia")
    assert 'id="code"' in page and 'autocomplete="one-time-code"' in page
    assert browser.request("GET", "/counselor/api/state")[0].status == 401  # only pending
    reply, page = code_step(browser, code, csrf)
    assert reply.status == 303
    assert browser.request("GET", "/counselor/api/state")[0].status == 200


def test_a_wrong_code_is_refused_and_counts_in_the_login_limit(console):
    browser, right, csrf, _ = at_the_code_form(console, "tom")
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    reply, page = code_step(browser, wrong, csrf)
    assert reply.status == 401 and "That code is not right" in page and 'id="code"' in page
    assert code_step(browser, "", csrf)[0].status == 401
    for _ in range(3):  # with the two above, five wrong codes: the name's limit here
        code_step(browser, wrong, csrf)
    reply, page = code_step(browser, right, csrf)
    assert reply.status == 429 and "Too many attempts" in page
    assert password_step(Browser(console[0]), "tom")[0].status == 429  # as wrong passwords


def test_a_code_used_once_is_refused_when_replayed(console):
    first, code, csrf, _ = at_the_code_form(console, "ted")
    assert code_step(first, code, csrf)[0].status == 303
    assert first.request("GET", "/counselor/api/state")[0].status == 200
    other = Browser(console[0])  # someone who saw the code over the counselor's shoulder
    _, _, csrf = password_step(other, "ted")
    reply, page = code_step(other, code, csrf)
    assert reply.status == 401 and "already used" in page
    assert other.request("GET", "/counselor/api/state")[0].status == 401


def test_a_code_form_without_its_pending_session_is_refused(console):
    port, _ = console
    reply, page = code_step(Browser(port), "123456", "made-up")
    assert reply.status == 401 and "Log in again" in page


# --- password change and sessions ended -------------------------------------------------


def logged_in(port, name, password=PASSWORD):
    browser = Browser(port)
    assert browser.login(name, password)[0].status == 303
    return browser


def change(browser, current, new, again=None):
    form = {"csrf": browser.csrf, "current": current, "new": new, "again": again or new}
    reply, page = browser.request("POST", "/counselor/password", form=form)
    cookie = reply.getheader("Set-Cookie") or ""
    if cookie.startswith(COOKIE) and reply.status == 200:
        browser.cookie = cookie.split(";")[0]
    return reply, page


def test_a_counselor_changes_their_password_and_their_other_sessions_end(console):
    port, _ = console
    here, elsewhere = logged_in(port, "pat"), logged_in(port, "pat")
    reply, page = here.request("GET", "/counselor/password")
    assert reply.status == 200 and 'id="current"' in page and 'minlength="12"' in page
    assert "At least 12 characters" in page
    old_cookie = here.cookie
    reply, page = change(here, "not my password", NEW_PASSWORD)
    assert reply.status == 401 and "current password is not right" in page
    reply, page = change(here, PASSWORD, NEW_PASSWORD, "another new passphrase")
    assert reply.status == 400 and "not the same" in page
    reply, page = change(here, PASSWORD, "too short")
    assert reply.status == 400 and "needs at least 12 characters" in page
    assert Browser(port).login("pat")[0].status == 303  # nothing changed so far
    elsewhere_too = logged_in(port, "pat")

    reply, page = change(here, PASSWORD, NEW_PASSWORD)
    assert reply.status == 200 and "Your password is changed" in page
    assert here.cookie != old_cookie
    assert here.request("GET", "/counselor/api/state")[0].status == 200  # this browser stays
    for gone in (elsewhere, elsewhere_too):
        assert gone.request("GET", "/counselor/api/state")[0].status == 401
    here.cookie = old_cookie
    assert here.request("GET", "/counselor/api/state")[0].status == 401
    assert Browser(port).login("pat")[0].status == 401
    assert Browser(port).login("pat", NEW_PASSWORD)[0].status == 303


def test_the_password_form_needs_a_session_and_its_csrf_token(console):
    port, _ = console
    reply, _ = Browser(port).request("GET", "/counselor/password")
    assert reply.status == 303  # to the login form
    browser = logged_in(port, "pia")
    browser.csrf = "forged"
    assert change(browser, PASSWORD, NEW_PASSWORD)[0].status == 403
    assert Browser(port).login("pia")[0].status == 303  # unchanged


def test_a_session_from_before_an_admin_removes_the_account_is_refused(console):
    port, env = console
    browser = logged_in(port, "rem")
    assert browser.request("GET", "/counselor/api/state")[0].status == 200
    done = cli(env, "remove", "rem")
    assert done.returncode == 0 and "sessions have ended" in done.stdout
    assert browser.request("GET", "/counselor/api/state")[0].status == 401
    reply, page = browser.request("GET", "/counselor")
    assert 'action="/counselor/login"' in page
    # Made again with the same name and password, the old cookie still opens nothing.
    assert cli(env, "add", "rem", password=PASSWORD).returncode == 0
    assert browser.request("GET", "/counselor/api/state")[0].status == 401


def test_a_new_password_from_the_command_line_ends_the_counselors_sessions(console):
    port, env = console
    browser = logged_in(port, "ron")
    done = cli(env, "password", "ron", password=NEW_PASSWORD)
    assert done.returncode == 0, done.stderr
    assert browser.request("GET", "/counselor/api/state")[0].status == 401
    assert Browser(port).login("ron", NEW_PASSWORD)[0].status == 303
    assert cli(env, "password", "nobody", password=NEW_PASSWORD).returncode == 1


def test_the_minimum_password_length_is_a_setting(tmp_path):
    from haven.settings import HandoffSettings, StorageConfigError

    assert HandoffSettings.load(tmp_path / "none.yml", {}).password_min_chars == 12
    (tmp_path / "handoff.yml").write_text("password_min_chars: 16\n", encoding="utf-8")
    assert HandoffSettings.load(tmp_path / "handoff.yml", {}).password_min_chars == 16
    for wrong in ("7", "twelve", "true"):
        (tmp_path / "handoff.yml").write_text(f"password_min_chars: {wrong}\n", encoding="utf-8")
        with pytest.raises(StorageConfigError, match="password_min_chars"):
            HandoffSettings.load(tmp_path / "handoff.yml", {})
    accounts = CounselorAccounts(f"sqlite:///{tmp_path / 'a.db'}", min_password_chars=16)
    accounts.create_schema()
    with pytest.raises(AccountError, match="at least 16 characters"):
        accounts.add("ana", "fifteen chars..")
    accounts.add("ana", "sixteen chars...")
    with pytest.raises(AccountError, match="at least 16 characters"):
        accounts.set_password("ana", "fifteen chars..")


# --- the in-memory limit's memory -------------------------------------------------------


def test_100k_distinct_names_and_addresses_keep_the_limits_memory_within_its_cap():
    from haven.handoff.counselors import MAX_TRACKED_LOGIN_KEYS

    limiter = LoginLimiter(clock=lambda: 0.0)

    def fail(start, stop):
        for index in range(start, stop):
            address = f"10.{index // 65536}.{index // 256 % 256}.{index % 256}"
            limiter.failed(f"name-{index}", address)
            limiter.succeeded(f"name-{index}", address)

    tracemalloc.start()
    try:
        fail(0, MAX_TRACKED_LOGIN_KEYS)  # the tables full
        full = tracemalloc.get_traced_memory()[0]
        fail(MAX_TRACKED_LOGIN_KEYS, 100_000)
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    store = limiter.store
    assert len(store._times) <= MAX_TRACKED_LOGIN_KEYS
    assert len(store._trusted) <= MAX_TRACKED_LOGIN_KEYS
    assert after < full * 1.1, f"{full / 1e6:.1f} MB at the cap, {after / 1e6:.1f} MB after"
    # The newest are kept: the latest attempts still count.
    assert limiter.store.count(limiter._key("addr", "10.1.134.159"), -1.0) == 1


def test_a_pending_session_lasts_five_minutes_and_opens_nothing_else():
    now = [1000.0]
    sessions = ConsoleSessions(idle_minutes=60, clock=lambda: now[0])
    token, pending = sessions.start("ana", "stamp", pending=True)
    now[0] += 299
    assert sessions.get(token).pending
    now[0] += 2
    assert sessions.get(token) is None


def test_the_console_reads_its_accounts_sessions_and_limit_off_the_event_loop(tmp_path):
    import threading

    console = console_over(tmp_path)
    threads = []

    def spy(owner, method):
        original = getattr(owner, method)

        def spying(*arguments):
            threads.append((method, threading.current_thread().name))
            return original(*arguments)

        setattr(owner, method, spying)

    for owner, method in (
        (console.accounts, "verify"),
        (console.accounts, "session_stamp"),
        (console.limiter, "allowed"),
        (console.limiter, "succeeded"),
        (console.sessions, "start"),
        (console.sessions, "get"),
    ):
        spy(owner, method)

    async def log_in_then_look():
        reply = await console.login(login_request("counselor1", PASSWORD))
        token = reply.cookies[COOKIE].value
        return await console._session(SimpleNamespace(cookies={COOKIE: token}))

    assert asyncio.run(log_in_then_look()).counselor == "counselor1"
    assert {method for method, _ in threads} == {
        "verify",
        "session_stamp",
        "allowed",
        "succeeded",
        "start",
        "get",
    }
    assert all(name.startswith("haven-console") for _, name in threads), threads


def test_in_redis_a_session_keeps_its_stamp_and_a_pending_one_its_five_minutes(
    redis_client,  # noqa: F811 - the fixture
):
    from haven.handoff.counselors import RedisConsoleSessions

    sessions = RedisConsoleSessions(redis_client, idle_minutes=60, prefix=redis_client.test_prefix)
    token, _ = sessions.start("ana", "the-stamp", pending=True)
    (key,) = redis_client.keys(f"{redis_client.test_prefix}*")
    assert 0 < redis_client.pttl(key) <= 300_000
    seen = sessions.get(token)
    assert seen.pending and seen.stamp == "the-stamp"
    assert redis_client.pttl(key) <= 300_000  # not renewed to the hour
    token, _ = sessions.start("ana", "the-stamp")
    seen = sessions.get(token)
    assert not seen.pending and seen.stamp == "the-stamp"
