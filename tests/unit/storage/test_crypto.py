"""The key ring: key format, AES-256-GCM sealing bound to the conversation, key files."""

import base64
import os

import pytest

from haven.settings import StorageConfigError
from haven.storage.crypto import (
    KeyRing,
    TamperedRecordError,
    add_key_to_file,
    create_key_file,
    generate_key_line,
    load_key_ring,
    remove_keys_from_file,
)


def ring(*key_ids: str) -> KeyRing:
    return KeyRing.parse(",".join(generate_key_line(key_id) for key_id in key_ids))


def test_the_first_key_encrypts_and_every_key_decrypts():
    old = generate_key_line("old")
    sealed = KeyRing.parse(old).seal(b"events", "hash-a")
    both = KeyRing.parse(generate_key_line("new") + "," + old)
    assert both.current_key_id == "new" and both.key_ids == ["new", "old"]
    assert both.open(sealed, "hash-a") == b"events"
    assert both.seal(b"events", "hash-a").key_id == "new"


def test_ciphertext_hides_the_plaintext_and_nonces_never_repeat():
    keys = ring("k1")
    sealed = [keys.seal(b"my secret words", "hash-a") for _ in range(50)]
    assert all(b"secret" not in s.ciphertext and len(s.nonce) == 12 for s in sealed)
    assert len({s.nonce for s in sealed}) == 50


def test_a_record_bound_to_one_conversation_does_not_open_for_another():
    keys = ring("k1")
    sealed = keys.seal(b"events", "hash-a")
    with pytest.raises(TamperedRecordError):
        keys.open(sealed, "hash-b")


def test_a_record_from_another_key_with_the_same_id_raises():
    sealed = ring("k1").seal(b"events", "hash-a")
    with pytest.raises(TamperedRecordError, match="key 'k1'"):
        ring("k1").open(sealed, "hash-a")


def test_an_unknown_key_id_is_a_configuration_error():
    sealed = ring("k1").seal(b"events", "hash-a")
    with pytest.raises(StorageConfigError, match="'k1', which is not among"):
        ring("k2").open(sealed, "hash-a")


def test_conversation_hashes_are_keyed_and_stable():
    keys = ring("k1", "k2")
    assert keys.conversation_hash("alice") == keys.conversation_hash("alice")
    assert keys.conversation_hash("alice") != keys.conversation_hash("bob")
    assert keys.conversation_hash("alice") != ring("k1").conversation_hash("alice")
    assert len(keys.all_conversation_hashes("alice")) == 2
    assert "alice" not in keys.conversation_hash("alice")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("k1:" + base64.b64encode(os.urandom(16)).decode(), "exactly 32"),
        ("k1:not base64!", "not valid base64"),
        ("justakey", "id:base64key"),
        ("bad id:" + base64.b64encode(os.urandom(32)).decode(), "key id must be"),
        (" , ", "holds no key"),
    ],
)
def test_malformed_keys_fail_with_one_sentence(spec, message):
    with pytest.raises(StorageConfigError, match=message) as caught:
        KeyRing.parse(spec)
    assert str(caught.value).count(". ") == 0 and spec.split(":")[-1] not in str(caught.value)


def test_the_same_key_id_twice_is_refused():
    with pytest.raises(StorageConfigError, match="appears twice"):
        KeyRing.parse(generate_key_line("k1") + "," + generate_key_line("k1"))


def test_the_key_file_is_created_once_with_mode_0600(tmp_path):
    key_file = tmp_path / "var" / "haven.keys"
    assert create_key_file(key_file) is True
    first = key_file.read_text()
    assert create_key_file(key_file) is False
    assert key_file.read_text() == first
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert load_key_ring(None, key_file).key_ids == ["k1"]


def test_a_missing_or_shared_key_file_fails_with_a_clear_sentence(tmp_path):
    key_file = tmp_path / "haven.keys"
    with pytest.raises(StorageConfigError, match="make keys"):
        load_key_ring(None, key_file)
    create_key_file(key_file)
    key_file.chmod(0o644)
    with pytest.raises(StorageConfigError, match="chmod 600"):
        load_key_ring(None, key_file)


def test_haven_keys_wins_over_the_key_file(tmp_path):
    assert load_key_ring(generate_key_line("env"), tmp_path / "absent").key_ids == ["env"]


def test_a_new_key_goes_first_and_unused_keys_can_be_removed(tmp_path):
    key_file = tmp_path / "haven.keys"
    create_key_file(key_file)
    add_key_to_file(key_file, "k2")
    assert load_key_ring(None, key_file).key_ids == ["k2", "k1"]
    assert remove_keys_from_file(key_file, keep=["k2"]) == ["k1"]
    assert load_key_ring(None, key_file).key_ids == ["k2"]
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
