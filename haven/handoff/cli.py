"""Command line for counselor accounts.

    python -m haven.handoff.cli add NAME      create an account (asks for the password twice)
    python -m haven.handoff.cli remove NAME   delete an account
    python -m haven.handoff.cli set NAME      change a counselor's role or number of chats
    python -m haven.handoff.cli list          list the accounts, their roles and chats at once
    python -m haven.handoff.cli audit         print the audit trail (who claimed, ended, when)

`add` and `set` take `--supervisor` (sees every live chat read-only, may join one, is alerted
when a counselor needs support; `set NAME --counselor` takes it back) and `--chats N` (chats this
counselor takes at once; `chats_per_counselor` of handoff.yml when not set, `--chats 0` to go
back to it).

The password can also come from the environment variable HAVEN_COUNSELOR_PASSWORD (for scripts
and tests); it is never accepted as an argument, so it does not land in the shell's history.
Every failure prints one sentence and exits with status 1.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from haven.handoff.counselors import AccountError, CounselorAccounts
from haven.handoff.status import CounselorDesk, DeskEntry, default_desk
from haven.settings import StorageConfigError, StorageSettings

YOUNG_PERSON = "(young-person)"
"""Shown in the counselor column for what the young person's side did (leaving while waiting)."""


def main(argv: list[str] | None = None) -> int:
    """Runs one command; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m haven.handoff.cli", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for command, what in (("add", "create an account"), ("set", "change role or chats")):
        sub = commands.add_parser(command, help=what)
        sub.add_argument("name")
        role = sub.add_mutually_exclusive_group()
        role.add_argument("--supervisor", action="store_true", default=None)
        role.add_argument("--counselor", dest="supervisor", action="store_false")
        sub.add_argument("--chats", type=int, default=None, metavar="N")
    commands.add_parser("remove", help="delete an account").add_argument("name")
    commands.add_parser("list", help="list the accounts")
    commands.add_parser("audit", help="print the audit trail (needs the keys)")
    args = parser.parse_args(argv)
    try:
        accounts = CounselorAccounts(StorageSettings.load().db_url)
        accounts.create_schema()
        desk = default_desk()
        if args.command == "add":
            accounts.add(args.name, _password())
            _set_desk(desk, args)
            print(f"Created the counselor account '{args.name}'.")
        elif args.command == "set":
            if args.name not in accounts.names():
                raise AccountError(f"There is no '{args.name}'.")
            _set_desk(desk, args)
            print(_describe(desk.entry(args.name), desk.chats_per_counselor))
        elif args.command == "remove":
            removed = accounts.remove(args.name)
            desk.remove(args.name)
            print(f"Removed '{args.name}'." if removed else f"There is no '{args.name}'.")
        elif args.command == "audit":
            print(_audit_lines() or "The audit trail is empty.")
        else:
            lines = [_describe(desk.entry(n), desk.chats_per_counselor) for n in accounts.names()]
            print("\n".join(lines) or "No counselor accounts yet.")
    except (AccountError, StorageConfigError, ValueError) as error:
        print(error, file=sys.stderr)
        return 1
    return 0


def _set_desk(desk: CounselorDesk, args: argparse.Namespace) -> None:
    if args.supervisor is not None:
        desk.set_role(args.name, args.supervisor)
    if args.chats is not None:
        desk.set_max_chats(args.name, args.chats or None)


def _describe(entry: DeskEntry, usual_chats: int) -> str:
    """The name, with the role and chats at once where they are not the usual."""
    extra = ["supervisor"] if entry.supervisor else []
    if entry.max_chats != usual_chats:
        extra.append(f"{entry.max_chats} chats at once")
    return "  ".join([entry.name, *extra])


def _audit_lines() -> str:
    from datetime import datetime, timezone

    from haven.handoff.queue import default_queue

    return "\n".join(
        f"{datetime.fromtimestamp(line['at'], timezone.utc):%Y-%m-%d %H:%M:%S} UTC  "
        f"{line['counselor'] or YOUNG_PERSON:<32} {line['action']:<16} {line['request'] or ''}"
        + "".join(f"  {key}={_shown(line[key])}" for key in sorted(line) if key not in _FIXED)
        for line in default_queue().audit_trail()
    )


_FIXED = {"counselor", "action", "request", "at"}


def _shown(value: object) -> str:
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)


def _password() -> str:
    given = os.environ.get("HAVEN_COUNSELOR_PASSWORD")
    if given:
        return given
    try:
        first = getpass.getpass("Password (at least 12 characters): ")
        again = getpass.getpass("The same password again: ")
    except (EOFError, KeyboardInterrupt):
        raise AccountError("No password was given; nothing was created.") from None
    if again != first:
        raise AccountError("The two passwords differ; nothing was created.")
    return first


if __name__ == "__main__":
    sys.exit(main())
