"""`KeyRing`: AES-256-GCM encryption of stored conversations, and keyed conversation hashes.

A key ring holds one or more named 256-bit keys. The first key encrypts; every key decrypts, so
rows written with an older key stay readable until `python -m haven.storage.cli rotate` has
re-encrypted them. Keys are written as `id:base64` (standard base64 of 32 random bytes), several
joined by commas in `HAVEN_KEYS` or one per line in the key file.

From each key, HKDF-SHA256 derives three independent subkeys: one for AES-256-GCM, one for the
HMAC-SHA256 of conversation ids, and one for the tokens with which a web chat proves it owns a
conversation (haven/web/widget_protocol.py); the keys that name rate-limit buckets and login
counts in Redis are derived from the last (`rate_limit_key`, `login_limit_key`), here and nowhere
else. Every record gets a fresh random 12-byte nonce,
and the conversation hash is bound as associated data, so a record moved to another conversation
fails to decrypt instead of showing someone else's conversation.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from haven.settings import StorageConfigError

KEY_BYTES = 32
NONCE_BYTES = 12
KEY_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,32}\Z")
_AAD_PREFIX = b"haven-conversation-v1:"


class TamperedRecordError(RuntimeError):
    """A stored record failed authentication: it was altered, moved, or written with another key.

    The message names the key id only, never any content.
    """


def generate_key_line(key_id: str) -> str:
    """A new random key as one `id:base64` entry."""
    _check_key_id(key_id)
    return f"{key_id}:{base64.b64encode(os.urandom(KEY_BYTES)).decode('ascii')}"


def _check_key_id(key_id: str) -> None:
    if not KEY_ID_PATTERN.match(key_id):
        raise StorageConfigError(
            "A key id must be 1 to 32 letters, digits, '-' or '_' (the part before the colon)."
        )


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=purpose).derive(master)


@dataclass(frozen=True)
class _Key:
    key_id: str
    cipher: AESGCM
    id_key: bytes
    token_key: bytes


@dataclass(frozen=True)
class Sealed:
    """One encrypted record: which key sealed it, its nonce and the ciphertext with its tag."""

    key_id: str
    nonce: bytes
    ciphertext: bytes


class KeyRing:
    """Named keys; the first encrypts, all decrypt. Build it once per process and reuse it."""

    def __init__(self, entries: list[tuple[str, bytes]]) -> None:
        if not entries:
            raise StorageConfigError("No encryption key was given.")
        keys: dict[str, _Key] = {}
        for key_id, master in entries:
            _check_key_id(key_id)
            if key_id in keys:
                raise StorageConfigError(
                    f"The key id '{key_id}' appears twice; each key needs its own id."
                )
            if len(master) != KEY_BYTES:
                raise StorageConfigError(
                    f"Key '{key_id}' is {len(master)} bytes long; AES-256 needs exactly 32."
                )
            keys[key_id] = _Key(
                key_id,
                AESGCM(_derive(master, b"haven aes-256-gcm records")),
                _derive(master, b"haven hmac-sha256 conversation ids"),
                _derive(master, b"haven web chat conversation tokens"),
            )
        self._keys = keys
        self.current_key_id = entries[0][0]

    @classmethod
    def parse(cls, spec: str, source: str = "HAVEN_KEYS") -> KeyRing:
        """Builds a key ring from `id:base64` entries separated by commas or new lines.

        Lines starting with `#` are comments. Raises `StorageConfigError` naming `source` when
        an entry is malformed.
        """
        entries = []
        lines = [line for line in spec.splitlines() if not line.strip().startswith("#")]
        for raw in re.split(r"[,\n]", "\n".join(lines)):
            entry = raw.strip()
            if not entry:
                continue
            key_id, colon, encoded = entry.partition(":")
            if not colon:
                raise StorageConfigError(
                    f"{source} is malformed: each key must be written as id:base64key."
                )
            try:
                master = base64.b64decode(encoded.strip(), validate=True)
            except (binascii.Error, ValueError):
                raise StorageConfigError(
                    f"{source} is malformed: key '{key_id.strip()}' is not valid base64."
                ) from None
            entries.append((key_id.strip(), master))
        if not entries:
            raise StorageConfigError(f"{source} holds no key.")
        return cls(entries)

    @property
    def key_ids(self) -> list[str]:
        """Every key id, the encrypting one first."""
        return list(self._keys)

    def has_key(self, key_id: str) -> bool:
        """Whether this ring can decrypt records sealed with `key_id`."""
        return key_id in self._keys

    def conversation_hash(self, conversation_id: str, key_id: str | None = None) -> str:
        """HMAC-SHA256 of a conversation id (hex), with the given key or the current one."""
        key = self._keys[key_id or self.current_key_id]
        return hmac.new(key.id_key, conversation_id.encode("utf-8"), hashlib.sha256).hexdigest()

    def all_conversation_hashes(self, conversation_id: str) -> list[str]:
        """The conversation's hash under every key (rows not yet rotated carry an older one)."""
        return [self.conversation_hash(conversation_id, key_id) for key_id in self._keys]

    def token_keys(self) -> list[bytes]:
        """Keys for web chat conversation tokens: the current key's first, then the older ones."""
        return [key.token_key for key in self._keys.values()]

    def rate_limit_key(self) -> bytes:
        """The key of the hashes that name rate-limit buckets in Redis (haven/web/rate_limits.py):
        the same in every process, derived from the current key's token key, never its bytes."""
        token_key = self.token_keys()[0]
        return hashlib.blake2b(b"haven rate limits", key=token_key, digest_size=32).digest()

    def login_limit_key(self) -> bytes:
        """The key of the hashes of names and addresses in a shared login limit
        (haven/handoff/counselors.py), derived from the current key's token key."""
        return hmac.new(self.token_keys()[0], b"haven-console-login-limit", hashlib.sha256).digest()

    def seal(self, plaintext: bytes, conversation_hash: str) -> Sealed:
        """Encrypts with the current key and a fresh random nonce, bound to the conversation."""
        key = self._keys[self.current_key_id]
        nonce = os.urandom(NONCE_BYTES)
        ciphertext = key.cipher.encrypt(nonce, plaintext, _aad(conversation_hash))
        return Sealed(key.key_id, nonce, ciphertext)

    def open(self, sealed: Sealed, conversation_hash: str) -> bytes:
        """Decrypts a record; raises `TamperedRecordError` if it fails authentication.

        Raises `StorageConfigError` when the record's key is not in the ring.
        """
        key = self._keys.get(sealed.key_id)
        if key is None:
            raise StorageConfigError(
                f"A stored conversation is encrypted with key '{sealed.key_id}', "
                "which is not among the configured keys."
            )
        try:
            return key.cipher.decrypt(sealed.nonce, sealed.ciphertext, _aad(conversation_hash))
        except InvalidTag:
            raise TamperedRecordError(
                f"A stored conversation (key '{sealed.key_id}') failed its integrity check: it "
                "was changed outside Haven, or the key with that id is not the one it was "
                "written with."
            ) from None


def _aad(conversation_hash: str) -> bytes:
    return _AAD_PREFIX + conversation_hash.encode("ascii")


def load_key_ring(keys_spec: str | None, key_file: Path) -> KeyRing:
    """The key ring from `HAVEN_KEYS` if given, otherwise from the embedded default's key file.

    Raises `StorageConfigError` (one sentence) when no key is found, the file is readable by other
    users, or an entry is malformed.
    """
    if keys_spec:
        return KeyRing.parse(keys_spec, source="HAVEN_KEYS")
    if not key_file.exists():
        raise StorageConfigError(
            f"No encryption key: set HAVEN_KEYS, or create {key_file} with `make keys`."
        )
    if key_file.stat().st_mode & 0o077:
        raise StorageConfigError(
            f"The key file {key_file} can be read by other users; run `chmod 600 {key_file}`."
        )
    return KeyRing.parse(key_file.read_text(encoding="ascii"), source=f"The key file {key_file}")


def create_key_file(key_file: Path, key_id: str = "k1") -> bool:
    """Creates the key file with one new key, readable by its owner only (mode 0600).

    Returns False, leaving the file untouched, if it already exists: replacing a key would make
    every stored conversation unreadable.
    """
    key_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(
            "# Haven's encryption keys, one id:base64 per line; the first one encrypts.\n"
            "# Losing this file makes every stored conversation unreadable.\n"
        )
        handle.write(generate_key_line(key_id) + "\n")
    return True


def add_key_to_file(key_file: Path, key_id: str) -> None:
    """Puts a new key first in the key file (it encrypts from the next start on)."""
    ring = load_key_ring(None, key_file)
    if ring.has_key(key_id):
        raise StorageConfigError(f"The key file already holds a key with id '{key_id}'.")
    lines = key_file.read_text(encoding="ascii").splitlines()
    comments = [line for line in lines if line.startswith("#")]
    keys = [line for line in lines if line.strip() and not line.startswith("#")]
    _write_private(key_file, [*comments, generate_key_line(key_id), *keys])


def remove_keys_from_file(key_file: Path, keep: list[str]) -> list[str]:
    """Removes every key not in `keep` from the key file; returns the removed ids."""
    lines = key_file.read_text(encoding="ascii").splitlines()
    kept, removed = [], []
    for line in lines:
        key_id = line.partition(":")[0].strip()
        if line.strip() and not line.startswith("#") and key_id not in keep:
            removed.append(key_id)
        else:
            kept.append(line)
    _write_private(key_file, kept)
    return removed


def _write_private(path: Path, lines: list[str]) -> None:
    # Write beside it and rename, so a crash never leaves a half-written key file.
    temporary = path.with_name(path.name + ".new")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write("\n".join(lines) + "\n")
    os.replace(temporary, path)
