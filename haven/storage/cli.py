"""Command line for Haven's conversation store: keys, checks, rotation and purging.

    python -m haven.storage.cli init-keys   create the embedded key file (var/haven.keys), once
    python -m haven.storage.cli new-key ID  put a new key first in the key file (or print one
                                          for HAVEN_KEYS with --print)
    python -m haven.storage.cli check       can the configured keys open every stored row?
    python -m haven.storage.cli rotate      re-encrypt every encrypted table with the first key
    python -m haven.storage.cli retire-keys remove keys no stored row uses from the key file
    python -m haven.storage.cli purge       delete conversations older than the retention period

Encrypted rows live in several tables (conversations, handoff requests, the audit trail);
check, rotate and retire-keys cover every one of them (haven/storage/encrypted_tables.py).
Settings come from the environment and endpoints.yml, as for the server (`haven.settings`); the
command is a process of its own, with its own composition root (haven/services.py).
Every failure prints one sentence and exits with status 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

from haven.services import Services
from haven.settings import PROJECT_ROOT, StorageConfigError, StorageSettings
from haven.storage.crypto import (
    TamperedRecordError,
    add_key_to_file,
    create_key_file,
    generate_key_line,
    remove_keys_from_file,
)


def tracker_store_options(endpoints: Path) -> dict[str, Any]:
    """The options under `tracker_store` in endpoints.yml, without `type` and `url`."""
    with endpoints.open(encoding="utf-8") as handle:
        section = (yaml.safe_load(handle) or {}).get("tracker_store") or {}
    return {key: value for key, value in section.items() if key not in ("type", "url")}


def main(argv: list[str] | None = None) -> int:
    """Runs one command; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m haven.storage.cli", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--endpoints", type=Path, default=PROJECT_ROOT / "endpoints.yml")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("init-keys", help="create the key file for the embedded database")
    new_key = commands.add_parser("new-key", help="add a new first key")
    new_key.add_argument("key_id")
    new_key.add_argument("--print", action="store_true", help="print it for HAVEN_KEYS instead")
    commands.add_parser("check", help="check that the keys open every stored row")
    rotate = commands.add_parser("rotate", help="re-encrypt everything with the first key")
    rotate.add_argument("--batch-size", type=int, default=200)
    commands.add_parser("retire-keys", help="remove keys no stored row uses from the key file")
    commands.add_parser("purge", help="delete expired conversations")
    args = parser.parse_args(argv)
    try:
        print(_run(args))
    except (StorageConfigError, TamperedRecordError) as error:
        print(error, file=sys.stderr)
        return 1
    return 0


def _run(args: argparse.Namespace) -> str:
    if args.command == "new-key" and args.print:
        return generate_key_line(args.key_id)
    services = Services.from_environ()
    settings = services.settings.storage(**tracker_store_options(args.endpoints))
    if args.command == "init-keys":
        if settings.keys_spec or not settings.embedded:
            return "HAVEN_KEYS is set, so no key file is needed."
        if create_key_file(settings.key_file):
            return (
                f"Created {settings.key_file} (mode 0600). Back it up: without it, stored "
                "conversations cannot be read."
            )
        return f"{settings.key_file} already exists; it was left as it is."
    if args.command == "new-key":
        _require_key_file(settings, "new-key")
        add_key_to_file(settings.key_file, args.key_id)
        return (
            f"Key '{args.key_id}' now encrypts (after a restart). Run `make rotate-keys` to "
            "re-encrypt what is stored with it."
        )

    from haven.storage.conversations import ConversationStore
    from haven.storage.encrypted_tables import encrypted_tables

    key_ring = services.key_ring
    tables = encrypted_tables(settings, key_ring)
    tables.create_schema()
    if args.command == "check":
        tables.check_keys(every_row=True)
        return "Keys OK: they open every stored row. " + _describe(tables.key_usage())
    if args.command == "rotate":
        tables.check_keys()
        counts = tables.rotate(batch_size=args.batch_size)
        done = ", ".join(f"{count} {noun}" for noun, count in counts.items())
        return f"Re-encrypted with key '{key_ring.current_key_id}': {done}. " + _describe(
            tables.key_usage()
        )
    if args.command == "retire-keys":
        _require_key_file(settings, "retire-keys")
        in_use = [key_ring.current_key_id, *tables.keys_in_use()]
        removed = remove_keys_from_file(settings.key_file, in_use)
        return f"Removed keys: {', '.join(removed) or 'none'}. Restart Haven to stop using them."
    if args.command == "purge":
        count = ConversationStore(settings, key_ring).purge_expired()
        return f"Deleted {count} conversations older than {settings.retention_days:g} days."
    raise AssertionError(args.command)  # argparse only lets known commands through


def _require_key_file(settings: StorageSettings, command: str) -> None:
    if settings.keys_spec or not settings.embedded:
        raise StorageConfigError(
            f"{command} edits the embedded key file; with HAVEN_KEYS, edit that variable instead."
        )


def _describe(usage: dict[str, dict[str, int]]) -> str:
    if not any(usage.values()):
        return "Nothing encrypted is stored."
    tables = "; ".join(
        f"{noun} " + (", ".join(f"{k}={n}" for k, n in sorted(counts.items())) or "none")
        for noun, counts in usage.items()
    )
    return f"Rows per key: {tables}."


if __name__ == "__main__":
    sys.exit(main())
