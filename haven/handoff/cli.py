"""Command line for counselor accounts.

    python -m haven.handoff.cli add NAME [--totp]   create an account (asks for the password
                                                    twice); --totp also sets up a second factor
    python -m haven.handoff.cli set NAME            change a counselor's role or number of chats
    python -m haven.handoff.cli password NAME       give an account a new password
    python -m haven.handoff.cli totp enable NAME    set up (or replace) the second factor
    python -m haven.handoff.cli totp disable NAME   remove the second factor
    python -m haven.handoff.cli remove NAME         delete an account
    python -m haven.handoff.cli list                list the accounts, their roles and chats at once
    python -m haven.handoff.cli audit               print the audit trail (who claimed, ended, when)

`add` and `set` take `--supervisor` (sees every live chat read-only, may join one, is alerted
when a counselor needs support; `set NAME --counselor` takes it back) and `--chats N` (chats this
counselor takes at once; `chats_per_counselor` of handoff.yml when not set, `--chats 0` to go
back to it).

The password can also come from the environment variable HAVEN_COUNSELOR_PASSWORD (for scripts
and tests; read in haven/settings.py); it is never accepted as an argument, so it does not land
in the shell's history. `password`, `totp` and `remove` end every console session the counselor
has, at its next request. The second factor's secret is printed once, as an otpauth:// URI for an
authenticator app and as text to type in; it is stored encrypted with the storage keys and never
shown again. The command is a process of its own: its composition root (haven/services.py) gives
it the accounts and the queue.
Every failure prints one sentence and exits with status 1.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from haven.handoff.counselors import AccountError, CounselorAccounts
from haven.handoff.status import CounselorDesk, DeskEntry
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
    for command, what in (("add", "create an account"), ("set", "change role or chats")):
        sub = commands.add_parser(command, help=what)
        sub.add_argument("name")
        role = sub.add_mutually_exclusive_group()
        role.add_argument("--supervisor", action="store_true", default=None)
        role.add_argument("--counselor", dest="supervisor", action="store_false")
        sub.add_argument("--chats", type=int, default=None, metavar="N")
        if command == "add":
            sub.add_argument("--totp", action="store_true", help="also set up a second factor")
    commands.add_parser("password", help="give an account a new password").add_argument("name")
    totp = commands.add_parser("totp", help="set up or remove an account's second factor")
    totp.add_argument("action", choices=["enable", "disable"])
    totp.add_argument("name")
    commands.add_parser("remove", help="delete an account").add_argument("name")
    commands.add_parser("list", help="list the accounts")
    commands.add_parser("audit", help="print the audit trail (needs the keys)")
    args = parser.parse_args(argv)
    try:
        services = Services.from_environ()
        needs_keys = args.command == "totp" or getattr(args, "totp", False)
        accounts = (
            services.counselor_accounts
            if needs_keys
            else services.counselor_accounts_without_keys()
        )
        desk = services.counselor_desk
        given = services.settings.counselor_password
        if args.command == "add":
            accounts.add(
                args.name, _password(given, accounts.min_password_chars, "nothing was created")
            )
            _set_desk(desk, args)
            print(f"Created the counselor account '{args.name}'.")
            if args.totp:
                _enrol(accounts, args.name)
        elif args.command == "set":
            _exists(accounts, args.name)
            _set_desk(desk, args)
            print(_describe(desk.entry(args.name), desk.chats_per_counselor))
        elif args.command == "password":
            _exists(accounts, args.name)
            accounts.set_password(args.name, _password(given, accounts.min_password_chars))
            print(f"Changed the password of '{args.name}'; their console sessions have ended.")
        elif args.command == "totp" and args.action == "enable":
            _enrol(accounts, args.name)
        elif args.command == "totp":
            _exists(accounts, args.name)
            removed = accounts.disable_totp(args.name)
            print(
                f"Removed the second factor of '{args.name}'."
                if removed
                else f"'{args.name}' has no second factor."
            )
        elif args.command == "remove":
            removed = accounts.remove(args.name)
            desk.remove(args.name)
            print(
                f"Removed '{args.name}'; their console sessions have ended."
                if removed
                else f"There is no '{args.name}'."
            )
        elif args.command == "audit":
            print(_audit_lines(services) or "The audit trail is empty.")
        else:
            lines = [_describe(desk.entry(n), desk.chats_per_counselor) for n in accounts.names()]
            print("\n".join(lines) or "No counselor accounts yet.")
    except (AccountError, StorageConfigError, ValueError) as error:
        print(error, file=sys.stderr)
        return 1
    return 0


def _exists(accounts: CounselorAccounts, name: str) -> None:
    if name not in accounts.names():
        raise AccountError(f"There is no counselor called '{name}'.")


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


def _enrol(accounts: CounselorAccounts, name: str) -> None:
    enrolment = accounts.enable_totp(name)
    print(
        f"Second factor for '{name}': add it to an authenticator app now; it is not shown again.\n"
        f"  {enrolment.uri}\n"
        f"  or type the key: {enrolment.secret}\n"
        "From now on the console asks for the app's 6-digit code after the password; "
        "their console sessions have ended."
    )


def _audit_lines(services: Services) -> str:
    from datetime import datetime, timezone

    return "\n".join(
        f"{datetime.fromtimestamp(line['at'], timezone.utc):%Y-%m-%d %H:%M:%S} UTC  "
        f"{line['counselor'] or YOUNG_PERSON:<32} {line['action']:<16} {line['request'] or ''}"
        + "".join(f"  {key}={_shown(line[key])}" for key in sorted(line) if key not in _FIXED)
        for line in services.handoff_queue.audit_trail()
    )


_FIXED = {"counselor", "action", "request", "at"}


def _shown(value: object) -> str:
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)


def _password(given: str | None, min_chars: int, unchanged: str = "nothing was changed") -> str:
    if given:
        return given
    try:
        first = getpass.getpass(f"Password (at least {min_chars} characters): ")
        again = getpass.getpass("The same password again: ")
    except (EOFError, KeyboardInterrupt):
        raise AccountError(f"No password was given; {unchanged}.") from None
    if again != first:
        raise AccountError(f"The two passwords differ; {unchanged}.")
    return first


if __name__ == "__main__":
    sys.exit(main())
