"""Haven's settings, the only place the environment is read: storage, handoff, and the rest.

Storage: where conversations are kept, with which keys, and for how long. Everything the
conversation store, its command line (`haven.storage.cli`) and the log safety net
need is read here and nowhere else. Secrets and addresses come from the environment; policy
(how long to keep, which slots to keep) comes from the `tracker_store` section of `endpoints.yml`.

| Variable                 | Default            | Meaning                                          |
|--------------------------|--------------------|--------------------------------------------------|
| `HAVEN_DATA_DIR`         | `var/`             | folder of the embedded SQLite file and key file  |
| `HAVEN_DB_URL`           | SQLite in data dir | any SQLAlchemy URL, e.g. `postgresql://...`      |
| `HAVEN_KEYS`             | the key file       | `id:base64key,id:base64key`; the first encrypts  |
| `HAVEN_ALLOW_DEBUG_LOGS` | unset              | `1` lets debug logs (they hold user text) out    |
| `HAVEN_PUBLIC_HOSTS`     | unset              | names the server answers to, besides loopback    |
| `HAVEN_METRICS_TOKEN`    | unset (closed)     | the bearer token `/metrics` asks for             |
| `HAVEN_METRICS_REMOTE`   | unset              | `1` lets `/metrics` answer beyond loopback       |

`Settings` holds every other variable a Haven process reads (Redis, rate limits, the action
server's secret and host, the console's remote switch, the counselor command line's password),
from one snapshot of the environment taken when the process's composition root
(haven/services.py) is built; nothing else in haven/ or actions/ reads the environment
(tests/test_composition_root.py checks it).

The key file (`<data dir>/haven.keys`) is used only with the embedded SQLite default: a
production database must get its keys from the environment, never from a file beside the data.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATABASE_FILE_NAME = "haven.db"
KEY_FILE_NAME = "haven.keys"
DEFAULT_TABLE = "haven_conversations"
DEFAULT_RETENTION_DAYS = 30.0
DEFAULT_PURGE_INTERVAL_MINUTES = 60.0
DEFAULT_KEEP_SLOTS = (
    "plan_step",
    "steps_done",
    "steps_seen",
    "age_band",
    "language",
    "language_hint",
    "region",
    "region_hint",
)
"""Slots whose values dialogue needs in later turns; every other slot value is never stored."""
DEFAULT_KEEP_METADATA = ("language", "region", "locale")
"""The only message metadata kept (the REST channel already drops everything else)."""
FORGET_ACTION = "action_forget_me"
"""When this action ran in a conversation, the store deletes the conversation instead of saving."""


class StorageConfigError(RuntimeError):
    """A setting or key that makes safe storage impossible; the message is one clear sentence.

    Its message never contains user text, so it is safe to log and to show at start.
    """


@dataclass(frozen=True)
class StorageSettings:
    """Where and how conversations are stored (see the module docstring for the variables)."""

    data_dir: Path
    db_url: str
    embedded: bool
    keys_spec: str | None
    key_file: Path
    table: str = DEFAULT_TABLE
    retention_days: float = DEFAULT_RETENTION_DAYS
    purge_interval_minutes: float = DEFAULT_PURGE_INTERVAL_MINUTES
    keep_slots: tuple[str, ...] = DEFAULT_KEEP_SLOTS
    keep_metadata: tuple[str, ...] = DEFAULT_KEEP_METADATA
    forget_action: str = FORGET_ACTION

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None, **options: Any) -> StorageSettings:
        """Reads the environment and the `tracker_store` options of endpoints.yml.

        Raises `StorageConfigError` for an unknown option or a value out of range.
        """
        env = os.environ if environ is None else environ
        unknown = set(options) - _OPTION_NAMES
        if unknown:
            raise StorageConfigError(
                f"Unknown tracker_store option(s) in endpoints.yml: {', '.join(sorted(unknown))}."
            )
        data_dir = Path(env.get("HAVEN_DATA_DIR") or PROJECT_ROOT / "var").resolve()
        db_url = (env.get("HAVEN_DB_URL") or "").strip()
        embedded = not db_url
        if embedded and options.get("require_db_url"):
            raise StorageConfigError(
                "HAVEN_DB_URL must be set: this profile (require_db_url in the endpoints file) "
                "stores conversations in PostgreSQL, never in the embedded SQLite file."
            )
        if embedded:
            db_url = f"sqlite:///{data_dir / DATABASE_FILE_NAME}"
        keys_spec = (env.get("HAVEN_KEYS") or "").strip() or None
        if keys_spec is None and not embedded:
            raise StorageConfigError(
                "HAVEN_KEYS must be set when HAVEN_DB_URL is: a production database never "
                "uses the embedded key file."
            )
        return cls(
            data_dir=data_dir,
            db_url=db_url,
            embedded=embedded,
            keys_spec=keys_spec,
            key_file=data_dir / KEY_FILE_NAME,
            table=_table_name(options.get("table", DEFAULT_TABLE)),
            retention_days=_positive(options, "retention_days", DEFAULT_RETENTION_DAYS),
            purge_interval_minutes=_positive(
                options, "purge_interval_minutes", DEFAULT_PURGE_INTERVAL_MINUTES
            ),
            keep_slots=_names(options, "keep_slots", DEFAULT_KEEP_SLOTS),
            keep_metadata=_names(options, "keep_metadata", DEFAULT_KEEP_METADATA),
            forget_action=str(options.get("forget_action", FORGET_ACTION)),
        )

    @property
    def retention_seconds(self) -> float:
        """How long a conversation is kept after its last message."""
        return self.retention_days * 86_400

    @property
    def purge_interval_seconds(self) -> float:
        """How often a running server deletes expired conversations."""
        return self.purge_interval_minutes * 60


_OPTION_NAMES = {
    "table",
    "retention_days",
    "purge_interval_minutes",
    "keep_slots",
    "keep_metadata",
    "forget_action",
    "require_db_url",
}


LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


def public_hosts(environ: Mapping[str, str] | None = None) -> frozenset[str]:
    """The host names the Rasa server answers to: the loopback names, and the comma-separated
    names of `HAVEN_PUBLIC_HOSTS` (e.g. `haven.example.org`; lower case, no port).

    Raises `ValueError` for a value that is not a host name, in one sentence.
    """
    env = os.environ if environ is None else environ
    names = [name.strip().lower() for name in (env.get("HAVEN_PUBLIC_HOSTS") or "").split(",")]
    names = [name for name in names if name]
    for name in names:
        if not _HOST_NAME.fullmatch(name):
            raise ValueError(
                f"HAVEN_PUBLIC_HOSTS must list host names like haven.example.org, separated by "
                f"commas, without a scheme or port; {name!r} is not one."
            )
    return frozenset((*LOOPBACK_HOSTS, *names))


_HOST_NAME = re.compile(
    r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*"
)


MIN_METRICS_TOKEN_CHARS = 24


@dataclass(frozen=True)
class MetricsSettings:
    """Who may read the NGO's counts at `/metrics` (haven/metrics/endpoint.py).

    `token` is `HAVEN_METRICS_TOKEN` (None: the endpoint is closed, a 404); `allow_remote` is
    `HAVEN_METRICS_REMOTE=1` (without it only loopback addresses are answered).
    """

    token: str | None = None
    allow_remote: bool = False

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None) -> MetricsSettings:
        """Reads the environment; raises `ValueError` for a token shorter than 24 characters."""
        env = os.environ if environ is None else environ
        token = (env.get("HAVEN_METRICS_TOKEN") or "").strip() or None
        if token is not None and len(token) < MIN_METRICS_TOKEN_CHARS:
            raise ValueError(
                f"HAVEN_METRICS_TOKEN must be a random string of at least "
                f"{MIN_METRICS_TOKEN_CHARS} characters (e.g. from `openssl rand -hex 32`), or "
                f"unset to keep /metrics closed."
            )
        return cls(token=token, allow_remote=env.get("HAVEN_METRICS_REMOTE", "").strip() == "1")


def debug_logs_allowed(environ: Mapping[str, str] | None = None) -> bool:
    """Whether an operator explicitly let debug logs (which contain user text) through."""
    env = os.environ if environ is None else environ
    return env.get("HAVEN_ALLOW_DEBUG_LOGS", "").strip() == "1"


def _table_name(value: Any) -> str:
    name = str(value)
    if not name.replace("_", "").isalnum() or not name[0].isalpha() or len(name) > 63:
        raise StorageConfigError(
            "tracker_store option 'table' must be a letter followed by up to 62 letters, "
            "digits or underscores."
        )
    return name


def _positive(options: Mapping[str, Any], key: str, default: float) -> float:
    value = options.get(key, default)
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = -1.0
    if not number > 0:
        raise StorageConfigError(f"tracker_store option '{key}' must be a positive number.")
    return number


def _names(options: Mapping[str, Any], key: str, default: Iterable[str]) -> tuple[str, ...]:
    value = options.get(key, default)
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise StorageConfigError(f"tracker_store option '{key}' must be a list of names.")
    return tuple(value)


HANDOFF_FILE = PROJECT_ROOT / "handoff.yml"
CONTENT_LANGUAGES = PROJECT_ROOT / "content" / "languages"
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class HandoffSettings:
    """Counselor handoff: duty hours, the usual wait, how long requests and sessions last.

    Read from `handoff.yml`; `HAVEN_HANDOFF_KEEP_MINUTES` overrides `keep_minutes` and
    `HAVEN_CONSOLE_LANGUAGE` overrides `console_language` (the counselor console's language, a
    folder of `content/languages/`; English when not set).
    """

    timezone: str = "UTC"
    days: tuple[str, ...] = DAY_NAMES
    opens: str = "00:00"
    closes: str = "24:00"
    usual_wait_minutes: int = 5
    keep_minutes: float = 60.0
    session_minutes: float = 60.0
    leave_grace_minutes: float = 5.0
    console_language: str = "en"  # the deployment's default language, DEFAULT_LANGUAGE
    # New requests for a person (`new_requests:` in handoff.yml), so nobody can fill the queue.
    new_requests_per_address: int = 5
    new_requests_overall: int = 30
    new_requests_window_minutes: float = 10.0
    # The shortest password a counselor account may have (`password_min_chars`), 8 or more.
    password_min_chars: int = 12
    # The counselor console (haven/handoff/status.py, haven/handoff/live.py).
    chats_per_counselor: int = 2
    end_tags: tuple[str, ...] = ()

    @classmethod
    def load(
        cls, path: Path = HANDOFF_FILE, environ: Mapping[str, str] | None = None
    ) -> HandoffSettings:
        """Reads the file (defaults if missing); raises `StorageConfigError` on a bad value."""
        import yaml

        env = os.environ if environ is None else environ
        data: dict[str, Any] = {}
        if path.exists():
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        hours = data.get("hours") or {}
        days = tuple(str(day).lower()[:3] for day in hours.get("days", DAY_NAMES))
        if not set(days) <= set(DAY_NAMES):
            raise StorageConfigError(f"{path.name}: hours.days must be names like mon, tue.")
        opens, closes = str(hours.get("from", "00:00")), str(hours.get("to", "24:00"))
        for value in (opens, closes):
            if not _clock_time(value):
                raise StorageConfigError(f"{path.name}: hours must be written as HH:MM.")
        keep = env.get("HAVEN_HANDOFF_KEEP_MINUTES") or data.get("keep_minutes", 60)
        options = {
            "keep_minutes": keep,
            "session_minutes": data.get("session_minutes", 60),
            "usual_wait_minutes": data.get("usual_wait_minutes", 5),
            "leave_grace_minutes": data.get("leave_grace_minutes", 5),
        }
        new_requests = data.get("new_requests") or {}
        limits = {
            "per_address": new_requests.get("per_address", 5),
            "overall": new_requests.get("overall", 30),
            "window_minutes": new_requests.get("window_minutes", 10),
        }
        from haven.packs.language_packs import DEFAULT_LANGUAGE, is_crisis_only

        console_language = str(
            env.get("HAVEN_CONSOLE_LANGUAGE") or data.get("console_language") or DEFAULT_LANGUAGE
        ).strip()
        if not (
            console_language.isalpha()
            and console_language.islower()
            and (CONTENT_LANGUAGES / console_language).is_dir()
            and not is_crisis_only(CONTENT_LANGUAGES / console_language)
        ):
            raise StorageConfigError(
                f"{path.name}: console_language {console_language!r} (or HAVEN_CONSOLE_LANGUAGE) "
                "must be a language of content/languages/, like en or es."
            )
        return cls(
            timezone=str(hours.get("timezone", "UTC")),
            days=days,
            opens=opens,
            closes=closes,
            usual_wait_minutes=int(_positive(options, "usual_wait_minutes", 5)),
            keep_minutes=_positive(options, "keep_minutes", 60),
            session_minutes=_positive(options, "session_minutes", 60),
            leave_grace_minutes=_positive(options, "leave_grace_minutes", 5),
            console_language=console_language,
            new_requests_per_address=_whole(limits, "per_address", path.name),
            new_requests_overall=_whole(limits, "overall", path.name),
            new_requests_window_minutes=_window_minutes(limits["window_minutes"], path.name),
            password_min_chars=_password_min_chars(data.get("password_min_chars", 12), path.name),
            chats_per_counselor=_chats_per_counselor(data.get("chats_per_counselor", 2), path.name),
            end_tags=_end_tags(data.get("end_tags") or [], path.name),
        )

    def on_duty(self, when: float) -> bool:
        """Whether `when` (Unix time) is within the configured hours."""
        from datetime import datetime
        from zoneinfo import ZoneInfo

        local = datetime.fromtimestamp(when, ZoneInfo(self.timezone))
        if DAY_NAMES[local.weekday()] not in self.days:
            return False
        now = local.strftime("%H:%M")
        return self.opens <= now < self.closes


def _whole(options: Mapping[str, Any], key: str, file_name: str) -> int:
    value = options.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise StorageConfigError(
            f"{file_name}: new_requests.{key} must be a whole number, 1 or more."
        )
    return value


def _password_min_chars(value: Any, file_name: str) -> int:
    # NIST SP 800-63B: at least 8 characters for a password used with a second factor.
    if isinstance(value, bool) or not isinstance(value, int) or not 8 <= value <= 1024:
        raise StorageConfigError(
            f"{file_name}: password_min_chars must be a whole number from 8 to 1024."
        )
    return value


def _chats_per_counselor(value: Any, file_name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 20:
        raise StorageConfigError(f"{file_name}: chats_per_counselor must be a whole number, 1-20.")
    return value


def _end_tags(value: Any, file_name: str) -> tuple[str, ...]:
    """End-of-chat tags: short names a counselor picks from (never free text)."""
    if not isinstance(value, list) or not all(
        isinstance(tag, str) and re.fullmatch(r"[a-z][a-z0-9_]{0,39}", tag) for tag in value
    ):
        raise StorageConfigError(
            f"{file_name}: end_tags must be a list of short names like money_demand."
        )
    return tuple(dict.fromkeys(value))


def _window_minutes(value: Any, file_name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise StorageConfigError(
            f"{file_name}: new_requests.window_minutes must be a positive number."
        )
    return float(value)


def _clock_time(value: str) -> bool:
    hours, colon, minutes = value.partition(":")
    return bool(colon and hours.isdigit() and minutes.isdigit() and len(minutes) == 2) and (
        int(hours) < 24 and int(minutes) < 60 or value == "24:00"
    )


DEFAULT_RATE_PER_CONVERSATION = 20
DEFAULT_RATE_PER_ADDRESS = 120
"""Higher than one chatter needs: a school's pupils may share one address (NAT)."""
DEFAULT_SANIC_HOST = "127.0.0.1"


class Settings:
    """Everything a Haven process reads from its environment, from one snapshot of it.

    | Variable                      | Default     | Meaning                                       |
    |-------------------------------|-------------|-----------------------------------------------|
    | `HAVEN_REDIS_URL`             | unset       | Redis for locks, rate limits, console, relay  |
    | `HAVEN_RATE_PER_CONVERSATION` | 20          | messages a minute per conversation            |
    | `HAVEN_RATE_PER_ADDRESS`      | 120         | messages a minute per client address          |
    | `HAVEN_ACTION_SECRET`         | unset       | the action server's shared secret             |
    | `SANIC_HOST`                  | 127.0.0.1   | where the action server listens               |
    | `HAVEN_COUNSELOR_REMOTE`      | unset       | `1` opens the console beyond loopback         |
    | `HAVEN_COUNSELOR_PASSWORD`    | unset       | the password `haven.handoff.cli add` takes    |

    plus the storage and handoff variables of `StorageSettings` and `HandoffSettings`. Each value
    is read and checked when first asked for, so a malformed variable one command never uses
    (a rate limit, for the storage command line) does not stop it; a bad one raises one sentence.
    """

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        # A copy: the process's settings do not change under it once read.
        self.environ: Mapping[str, str] = dict(os.environ if environ is None else environ)

    def _text(self, name: str) -> str:
        return (self.environ.get(name) or "").strip()

    def storage(self, **options: Any) -> StorageSettings:
        """The storage settings, with the `tracker_store` options of endpoints.yml if given."""
        if not options:
            return self.default_storage
        return StorageSettings.load(self.environ, **options)

    @cached_property
    def default_storage(self) -> StorageSettings:
        """The storage settings without endpoints.yml's options (database, keys, data folder)."""
        return StorageSettings.load(self.environ)

    @cached_property
    def handoff(self) -> HandoffSettings:
        """handoff.yml, with the environment's overrides."""
        return HandoffSettings.load(environ=self.environ)

    @cached_property
    def metrics(self) -> MetricsSettings:
        """`/metrics`: its token and whether other addresses than loopback may ask."""
        return MetricsSettings.load(self.environ)

    @cached_property
    def redis_url(self) -> str | None:
        """`HAVEN_REDIS_URL`, or None when Haven keeps its shared state in memory."""
        return self._text("HAVEN_REDIS_URL") or None

    @cached_property
    def rate_per_conversation(self) -> int:
        """`HAVEN_RATE_PER_CONVERSATION`; `ValueError` (one sentence) for a malformed value."""
        return self._messages_a_minute("HAVEN_RATE_PER_CONVERSATION", DEFAULT_RATE_PER_CONVERSATION)

    @cached_property
    def rate_per_address(self) -> int:
        """`HAVEN_RATE_PER_ADDRESS`; `ValueError` (one sentence) for a malformed value."""
        return self._messages_a_minute("HAVEN_RATE_PER_ADDRESS", DEFAULT_RATE_PER_ADDRESS)

    @property
    def action_secret(self) -> str:
        """`HAVEN_ACTION_SECRET` as given (the action server checks its length)."""
        return self._text("HAVEN_ACTION_SECRET")

    @property
    def sanic_host(self) -> str:
        """Where the action server listens: `SANIC_HOST`, loopback unless set."""
        return self._text("SANIC_HOST") or DEFAULT_SANIC_HOST

    @property
    def counselor_remote(self) -> bool:
        """Whether the console answers other addresses than loopback (`HAVEN_COUNSELOR_REMOTE=1`,
        behind a proxy that terminates TLS)."""
        return self.environ.get("HAVEN_COUNSELOR_REMOTE") == "1"

    @property
    def counselor_password(self) -> str | None:
        """`HAVEN_COUNSELOR_PASSWORD`, the password `haven.handoff.cli add` takes without asking."""
        return self.environ.get("HAVEN_COUNSELOR_PASSWORD") or None

    @cached_property
    def public_hosts(self) -> frozenset[str]:
        """The host names the Rasa server answers to (`public_hosts`)."""
        return public_hosts(self.environ)

    def _messages_a_minute(self, name: str, default: int) -> int:
        raw = self._text(name)
        if not raw:
            return default
        if not raw.isdigit() or int(raw) < 1:
            raise ValueError(f"{name} must be a whole number of messages a minute, 1 or more.")
        return int(raw)
