"""`python -m haven.handoff.cli`: accounts and the audit trail, with one-sentence failures."""

import pytest

from haven.handoff import cli as counselor_cli
from haven.handoff.queue import default_queue
from haven.storage.conversations import close_engines


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("HAVEN_DATA_DIR", str(tmp_path))
    from haven.storage.crypto import generate_key_line

    monkeypatch.setenv("HAVEN_KEYS", generate_key_line("k1"))
    monkeypatch.setenv("HAVEN_DB_URL", f"sqlite:///{tmp_path / 'haven.db'}")
    monkeypatch.setenv("HAVEN_COUNSELOR_PASSWORD", "twelve characters")
    yield
    close_engines()


def test_add_list_remove(env, capsys):
    assert counselor_cli.main(["add", "ana"]) == 0
    assert counselor_cli.main(["add", "ana"]) == 1
    assert "already a counselor called 'ana'" in capsys.readouterr().err
    assert counselor_cli.main(["list"]) == 0
    assert capsys.readouterr().out.strip() == "ana"
    assert counselor_cli.main(["remove", "ana"]) == 0
    assert counselor_cli.main(["list"]) == 0
    assert "No counselor accounts" in capsys.readouterr().out


def test_a_short_password_or_odd_name_is_refused(env, monkeypatch, capsys):
    monkeypatch.setenv("HAVEN_COUNSELOR_PASSWORD", "short")
    assert counselor_cli.main(["add", "ana"]) == 1
    assert "at least 12 characters" in capsys.readouterr().err
    monkeypatch.setenv("HAVEN_COUNSELOR_PASSWORD", "twelve characters")
    assert counselor_cli.main(["add", "Ana Smith"]) == 1
    assert "lowercase" in capsys.readouterr().err


def test_the_audit_trail_is_readable_with_the_keys(env, capsys):
    queue = default_queue()
    request = queue.request(
        "conv-1", language="en", region=None, age_band=None, steps_done=[], risk=False
    )
    queue.claim(request.request_id, "ana")
    queue.end(request.request_id, "ana", "end")
    assert counselor_cli.main(["audit"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[3:5] for line in lines] == [["ana", "claim"], ["ana", "end"]]


def test_the_audit_trail_shows_a_young_person_who_left_while_waiting(env, capsys):
    queue = default_queue()
    request = queue.request(
        "conv-2", language="en", region=None, age_band=None, steps_done=[], risk=False
    )
    queue.leave("conv-2")
    assert counselor_cli.main(["audit"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert line.split()[3:] == ["(young-person)", "left_waiting", request.request_id]


def accounts_of(env_keys=True):
    import os

    from haven.handoff.counselors import CounselorAccounts
    from haven.storage.crypto import KeyRing

    keys = KeyRing.parse(os.environ["HAVEN_KEYS"]) if env_keys else None
    return CounselorAccounts(os.environ["HAVEN_DB_URL"], key_ring=keys)


def test_a_second_factor_is_shown_once_and_stored_encrypted(env, capsys):
    import re

    import pyotp

    assert counselor_cli.main(["add", "ana", "--totp"]) == 0
    out = capsys.readouterr().out
    (secret,) = re.findall(r"type the key: ([A-Z2-7]{32})\n", out)
    assert f"otpauth://totp/Haven:ana?secret={secret}&issuer=Haven" in out
    accounts = accounts_of()
    assert accounts.has_totp("ana") and accounts.verify_totp("ana", pyotp.TOTP(secret).now())
    with accounts.engine.connect() as connection:
        stored = b"".join(
            bytes(row.body) for row in connection.execute(accounts.totp_table.select())
        )
    assert secret.encode() not in stored
    assert counselor_cli.main(["totp", "enable", "ana"]) == 0  # a new secret replaces it
    (again,) = re.findall(r"type the key: ([A-Z2-7]{32})\n", capsys.readouterr().out)
    assert again != secret
    assert counselor_cli.main(["totp", "disable", "ana"]) == 0
    assert not accounts.has_totp("ana")
    assert counselor_cli.main(["totp", "disable", "ana"]) == 0
    assert "has no second factor" in capsys.readouterr().out
    assert counselor_cli.main(["totp", "enable", "nobody"]) == 1
    assert "no counselor called 'nobody'" in capsys.readouterr().err


def test_a_new_password_from_the_command_line(env, monkeypatch, capsys):
    assert counselor_cli.main(["add", "ana"]) == 0
    monkeypatch.setenv("HAVEN_COUNSELOR_PASSWORD", "another twelve characters")
    before = accounts_of().session_stamp("ana")
    assert counselor_cli.main(["password", "ana"]) == 0
    assert "sessions have ended" in capsys.readouterr().out
    accounts = accounts_of()
    assert accounts.verify("ana", "another twelve characters")
    assert not accounts.verify("ana", "twelve characters")
    assert accounts.session_stamp("ana") != before
    monkeypatch.setenv("HAVEN_COUNSELOR_PASSWORD", "short")
    assert counselor_cli.main(["password", "ana"]) == 1
    assert "at least 12 characters" in capsys.readouterr().err
    assert counselor_cli.main(["password", "nobody"]) == 1


def test_a_supervisor_and_a_number_of_chats_are_set_and_listed(env, capsys):
    assert counselor_cli.main(["add", "sam", "--supervisor", "--chats", "4"]) == 0
    assert counselor_cli.main(["add", "ana"]) == 0
    capsys.readouterr()
    assert counselor_cli.main(["list"]) == 0
    assert capsys.readouterr().out.splitlines() == ["ana", "sam  supervisor  4 chats at once"]
    assert counselor_cli.main(["set", "sam", "--counselor", "--chats", "0"]) == 0
    assert capsys.readouterr().out.strip() == "sam"
    assert counselor_cli.main(["set", "nobody", "--supervisor"]) == 1
    assert "no counselor called 'nobody'" in capsys.readouterr().err
    assert counselor_cli.main(["set", "ana", "--chats", "99"]) == 1
    assert "from 1 to 20" in capsys.readouterr().err


def test_the_audit_trail_shows_a_transfer_and_end_tags(env, capsys):
    queue = default_queue()
    request = queue.request(
        "conv-3", language="en", region=None, age_band=None, steps_done=[], risk=False
    )
    queue.claim(request.request_id, "ana")
    queue.transfer(request.request_id, "ana", "ben")
    queue.end(request.request_id, "ben", "end", ("money_demand", "just_talking"))
    assert counselor_cli.main(["audit"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "transfer" in lines[1] and lines[1].endswith("to=ben")
    assert lines[2].endswith("tags=money_demand,just_talking")
