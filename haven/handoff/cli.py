"""Command line for counselor accounts.

    python -m haven.handoff.cli add NAME      create an account (asks for the password twice)
    python -m haven.handoff.cli remove NAME   delete an account
    python -m haven.handoff.cli list          list the accounts
    python -m haven.handoff.cli audit         print the audit trail (who claimed, ended, when)

The password can also come from the environment variable HAVEN_COUNSELOR_PASSWORD (for scripts
and tests; read in haven/settings.py); it is never accepted as an argument, so it does not land
in the shell's history. The command is a process of its own: its composition root
(haven/services.py) gives it the accounts and the queue.
Every failure prints one sentence and exits with status 1.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from haven.handoff.counselors import AccountError
from haven.services import Services
from haven.settings import StorageConfigError

YOUNG_PERSON = "(young-person)"
"""Shown in the counselor column for what the young person's side did (leaving while waiting)."""


def main(argv: list[str] | None = None) -> int:
    """Runs one command; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m haven.handoff.cli", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("add", help="create an account").add_argument("name")
    commands.add_parser("remove", help="delete an account").add_argument("name")
    commands.add_parser("list", help="list the accounts")
    commands.add_parser("audit", help="print the audit trail (needs the keys)")
    args = parser.parse_args(argv)
    try:
        services = Services.from_environ()
        accounts = services.counselor_accounts
        if args.command == "add":
            accounts.add(args.name, _password(services.settings.counselor_password))
            print(f"Created the counselor account '{args.name}'.")
        elif args.command == "remove":
            removed = accounts.remove(args.name)
            print(f"Removed '{args.name}'." if removed else f"There is no '{args.name}'.")
        elif args.command == "audit":
            print(_audit_lines(services) or "The audit trail is empty.")
        else:
            print("\n".join(accounts.names()) or "No counselor accounts yet.")
    except (AccountError, StorageConfigError) as error:
        print(error, file=sys.stderr)
        return 1
    return 0


def _audit_lines(services: Services) -> str:
    from datetime import datetime, timezone

    return "\n".join(
        f"{datetime.fromtimestamp(line['at'], timezone.utc):%Y-%m-%d %H:%M:%S} UTC  "
        f"{line['counselor'] or YOUNG_PERSON:<32} {line['action']:<12} {line['request'] or ''}"
        for line in services.handoff_queue.audit_trail()
    )


def _password(given: str | None) -> str:
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
