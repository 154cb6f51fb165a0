#!/usr/bin/env python3
"""`make bench`: Haven against stock Rasa, on this machine, in the same run.

Starts Haven (through scripts/run-haven, as `make run` does) and a stock Rasa project
(`rasa init`'s default pipeline and policies, with `SQLTrackerStore` on SQLite) on free loopback
ports, then for each concurrency level runs that many simulated conversations at once over the REST
channel, each a fixed script of messages. It stops by itself, and writes docs/benchmarks.md
(figures, ratios against stock Rasa, the machine) and docs/benchmarks-latency.png.

Reported per bot and level: p50/p95/p99 reply latency, messages per second, errors; per bot:
time from process start to first answer and peak resident memory of the Rasa server. Then the
conversation store alone (scripts/bench_store.py): EncryptedTrackerStore against SQLTrackerStore.

`--baseline REV` (`make bench BASELINE=REV`) also measures Haven as it was at REV, for a before
and after of a change: REV is checked out into a temporary git worktree under var/bench (removed
afterwards) and trained there by its own configuration (its model is kept under var/bench, keyed
by its own Makefile's TRAINING_HASH), then both Havens run side by side with empty stores and the
levels alternate between them, round after round, so the machine's varying load weighs alike on
both. The report adds their rows and a before/after table with the run's own noise.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import math
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import aiohttp
import bench_store  # scripts/bench_store.py, beside this file

PROJECT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
WORK = PROJECT / "var" / "bench"

HAVEN_SCRIPT = [
    "hi",
    "someone has my nudes and says he will post them unless i pay",
    "/step_done",
    "why",
    "/step_done",
    "what's left",
    "/go_back",
    "i already paid him 50 dollars",
    "/step_done",
    "thanks",
]
# Seconds a person takes to read a reply and type the next message (0.5 to 1.5 times this);
# quick for a phone, so the load is on the heavy side of real use.
TYPING_SECONDS = 3.0
STOCK_SCRIPT = [
    "hi",
    "i am sad",
    "yes",
    "great",
    "are you a bot?",
    "hello",
    "i am very happy",
    "no",
    "good morning",
    "bye",
]


@dataclass
class LevelResult:
    """What one concurrency level measured."""

    concurrency: int
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    empty: int = 0
    seconds: float = 0.0
    main_thread_cpu: float = float("nan")  # CPU seconds of the server's main (event loop) thread
    process_cpu: float = float("nan")  # CPU seconds of the whole server process, all threads
    bot_cpu: float = float("nan")  # CPU seconds of all the bot's processes (and action server)
    load: float = float("nan")  # the machine's 1-minute load average as the level started

    def cpu_ms_per_message(self, seconds: float) -> float:
        return seconds / len(self.latencies) * 1000 if self.latencies else float("nan")

    @property
    def cpu_main_ms(self) -> float:
        return self.cpu_ms_per_message(self.main_thread_cpu)

    @property
    def cpu_all_ms(self) -> float:
        return self.cpu_ms_per_message(self.process_cpu)

    @property
    def cpu_bot_ms(self) -> float:
        return self.cpu_ms_per_message(self.bot_cpu)

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


def pooled(rounds: list[LevelResult]) -> LevelResult:
    """One level's rounds as if they were one long level: every reply, all the time and CPU."""
    return LevelResult(
        rounds[0].concurrency,
        latencies=[latency for level in rounds for latency in level.latencies],
        errors=sum(level.errors for level in rounds),
        empty=sum(level.empty for level in rounds),
        seconds=sum(level.seconds for level in rounds),
        main_thread_cpu=sum(level.main_thread_cpu for level in rounds),
        process_cpu=sum(level.process_cpu for level in rounds),
        bot_cpu=sum(level.bot_cpu for level in rounds),
        load=max(level.load for level in rounds),
    )


@dataclass
class BotResult:
    """Everything measured for one bot."""

    name: str
    start_to_first_answer: float = 0.0
    peak_memory_mb: float = 0.0
    # Per concurrency level, one result per round (one round unless a baseline is measured).
    level_rounds: list[list[LevelResult]] = field(default_factory=list)
    typing_20: LevelResult | None = None  # 20 conversations with time to type between messages

    @property
    def levels(self) -> list[LevelResult]:
        """Each level, its rounds pooled."""
        return [pooled(rounds) for rounds in self.level_rounds]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run(command: list[str], cwd: Path, log: Path, env: dict[str, str] | None = None) -> None:
    with log.open("w") as output:
        subprocess.run(
            command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT, check=True
        )


def prepare_stock_project() -> Path:
    """`rasa init` once, with SQLTrackerStore on SQLite; trained model reused across runs."""
    stock = WORK / "stock"
    if not has_model(stock):
        stock.mkdir(parents=True, exist_ok=True)
        print("Creating and training the stock Rasa project (rasa init), about 2 minutes...")
        run(
            [str(VENV_BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(stock)],
            stock,
            WORK / "stock-init.log",
        )
    use_empty_sqlite_store(stock, "stock-tracker.db")
    return stock


def has_model(project: Path) -> bool:
    return any((project / "models").glob("*.tar.gz"))


def use_empty_sqlite_store(project: Path, database: str) -> None:
    """SQLTrackerStore on a SQLite file in `project`; every run starts with no conversations."""
    (project / database).unlink(missing_ok=True)
    (project / "endpoints.yml").write_text(
        f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {database}\n", encoding="utf-8"
    )


FLOOR_CONFIG = """\
# The stock project with its learned models replaced by the cheapest Rasa has: what Rasa's own
# machinery (HTTP, tracker load and save, prediction loop, responses) costs per message.
recipe: default.v1
assistant_id: floor
language: en
pipeline:
  - name: KeywordIntentClassifier
policies:
  - name: RulePolicy
  - name: MemoizationPolicy
"""


def prepare_floor_project(stock: Path) -> Path:
    """Stock's data and domain, trained with FLOOR_CONFIG (a few seconds); reused across runs."""
    floor = WORK / "floor"
    floor.mkdir(parents=True, exist_ok=True)
    for name in ("domain.yml", "credentials.yml"):
        (floor / name).write_text((stock / name).read_text(encoding="utf-8"), encoding="utf-8")
    use_empty_sqlite_store(floor, "floor-tracker.db")
    (floor / "data").mkdir(exist_ok=True)
    for data in (stock / "data").glob("*.yml"):
        (floor / "data" / data.name).write_text(data.read_text(encoding="utf-8"), encoding="utf-8")
    (floor / "config.yml").write_text(FLOOR_CONFIG, encoding="utf-8")
    if not has_model(floor):
        print("Training the Rasa floor project (keywords and rules), a few seconds...")
        run(
            [str(VENV_BIN / "rasa"), "train", "--out", "models"],
            floor,
            WORK / "floor-train.log",
        )
    return floor


def rasa_pid_under(parent: int, port: int) -> int | None:
    """The Rasa server process listening on `port` among `parent`'s descendants."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "rasa" in cmdline and " run " in f" {cmdline} " and f"--port {port}" in cmdline:
            return int(entry.name)
    return None


def _stat_fields(stat: Path) -> list[str]:
    # /proc/PID/stat after the command name: state, ppid, pgrp, ... utime (11), stime (12)
    return stat.read_text().rsplit(")", 1)[1].split()


def _cpu(fields: list[str]) -> float:
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int | None, group: int) -> tuple[float, float, float]:
    """CPU time so far of the Rasa server's main thread, of the whole Rasa server process, and of
    every process the bot started (process group `group`: for Haven also the action server).

    CPU time per message hardly depends on what else the machine is doing, unlike messages per
    second, so it is the steadier figure when comparing runs.
    """
    if pid is None:
        return float("nan"), float("nan"), float("nan")
    in_group = 0.0
    for entry in Path("/proc").iterdir():
        try:
            fields = _stat_fields(entry / "stat") if entry.name.isdigit() else None
        except OSError:
            continue  # the process ended meanwhile
        if fields and int(fields[2]) == group:
            in_group += _cpu(fields)
    main = _cpu(_stat_fields(Path(f"/proc/{pid}/task/{pid}/stat")))
    return main, _cpu(_stat_fields(Path(f"/proc/{pid}/stat"))), in_group


def peak_memory_mb(pid: int | None) -> float:
    if pid is None:
        return float("nan")
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def first_answer(url: str, script: list[str], started: float, timeout: float) -> float:
    async with aiohttp.ClientSession() as session:
        while time.monotonic() - started < timeout:
            try:
                async with session.post(
                    url, json={"sender": f"warmup-{uuid.uuid4().hex[:12]}", "message": script[0]}
                ) as reply:
                    if reply.status == 200 and await reply.json():
                        return time.monotonic() - started
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"no answer from {url} within {timeout} s")


async def one_level(
    url: str, script: list[str], concurrency: int, total: int, typing: float = 0.0
) -> LevelResult:
    """`concurrency` conversations at once until `total` messages are sent.

    `typing` 0: each conversation sends again as soon as it is answered. Otherwise it waits a
    random 0.5 to 1.5 times `typing` seconds first, as a person reading and typing would.
    """
    result = LevelResult(concurrency)
    remaining = [total]
    pauses = random.Random(2026)  # noqa: S311 (pauses in a benchmark, nothing secret)

    async def conversation_worker(session: aiohttp.ClientSession) -> None:
        while remaining[0] > 0:
            sender = f"bench-{uuid.uuid4().hex[:12]}"
            for text in script:
                if remaining[0] <= 0:
                    return
                remaining[0] -= 1
                if typing:
                    await asyncio.sleep(typing * pauses.uniform(0.5, 1.5))
                sent = time.monotonic()
                try:
                    async with session.post(url, json={"sender": sender, "message": text}) as reply:
                        body = json.loads(await reply.read())
                        ok = reply.status == 200 and isinstance(body, list)
                        if ok and not body:
                            result.empty += 1
                except (aiohttp.ClientError, ValueError, asyncio.TimeoutError):
                    ok = False
                if ok:
                    result.latencies.append(time.monotonic() - sent)
                else:
                    result.errors += 1

    timeout = aiohttp.ClientTimeout(total=60)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        started = time.monotonic()
        await asyncio.gather(*(conversation_worker(session) for _ in range(concurrency)))
        result.seconds = time.monotonic() - started
    return result


def start_haven(project: Path, data_dir: Path, port: int, log_dir: Path) -> subprocess.Popen:
    """`project`'s own scripts/run-haven, its code first on the path (the shared .venv's editable
    install points at one checkout only), its store in `data_dir`, emptied first."""
    shutil.rmtree(data_dir, ignore_errors=True)  # no conversations from earlier runs
    env = {
        **os.environ,
        "PYTHONPATH": str(project),
        "HAVEN_RASA_PORT": str(port),
        "HAVEN_ACTION_PORT": str(free_port()),
        "HAVEN_LOG_DIR": str(log_dir),
        "HAVEN_DATA_DIR": str(data_dir),
        # The load generator sends from one address far faster than a person types; stock Rasa
        # has no limits, so none apply here either.
        "HAVEN_RATE_PER_CONVERSATION": "1000000",
        "HAVEN_RATE_PER_ADDRESS": "1000000",
    }
    return subprocess.Popen(
        [str(project / "scripts" / "run-haven")],
        cwd=project,
        env=env,
        stdout=(log_dir / "run-haven.out").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def start_plain_rasa(project: Path, port: int, log_dir: Path) -> subprocess.Popen:
    """`rasa run` in a project folder (stock or floor), SQLTrackerStore from its endpoints.yml."""
    return subprocess.Popen(
        [
            str(VENV_BIN / "rasa"),
            "run",
            "--interface",
            "127.0.0.1",
            "--port",
            str(port),
            "--endpoints",
            "endpoints.yml",
        ],
        cwd=project,
        env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
        stdout=(log_dir / "rasa.out").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def git(*arguments: str, cwd: Path = PROJECT) -> str:
    return subprocess.run(
        ["git", *arguments], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout.strip()


def commit_of(rev: str) -> str:
    """REV's short commit, or a sentence to act on if git does not know it."""
    try:
        return git("rev-parse", "--short", "--verify", "--end-of-options", f"{rev}^{{commit}}")
    except subprocess.CalledProcessError:
        raise SystemExit(f"--baseline {rev}: git knows no such commit here.") from None


@contextlib.contextmanager
def baseline_checkout(rev: str) -> Iterator[Path]:
    """REV in a temporary detached worktree (var/bench/baseline), with the shared .venv and a
    model trained by REV's own configuration; the worktree is removed afterwards."""
    worktree = WORK / "baseline"
    remove_worktree(worktree)  # left by an interrupted run
    git("worktree", "add", "--detach", str(worktree), commit_of(rev))
    try:
        # REV's scripts/run-haven finds the interpreter at .venv/bin, whatever it reads
        (worktree / ".venv").symlink_to(VENV_BIN.parent)
        train_baseline(worktree)
        yield worktree
    finally:
        remove_worktree(worktree)


def remove_worktree(worktree: Path) -> None:
    """Not checked: a failure here must not hide the error that ended the run."""
    subprocess.run(
        ["git", "worktree", "remove", "--force", str(worktree)], cwd=PROJECT, capture_output=True
    )
    shutil.rmtree(worktree, ignore_errors=True)
    subprocess.run(["git", "worktree", "prune"], cwd=PROJECT, capture_output=True)


def training_hash(project: Path) -> str:
    """TRAINING_HASH as `project`'s own Makefile computes it from its own TRAINING_FILES; "" for
    a Makefile without one."""
    printed = subprocess.run(
        ["make", "--no-print-directory", "-s", "--eval", "hash: ; @echo $(TRAINING_HASH)", "hash"],
        cwd=project,
        capture_output=True,
        text=True,
    )
    return printed.stdout.strip() if printed.returncode == 0 else ""


def train_baseline(worktree: Path) -> None:
    """models/haven.tar.gz in `worktree`: this checkout's model if the two Makefiles hash the
    same training files alike, else one kept from an earlier run, else `rasa train` there."""
    key = training_hash(worktree)
    model = worktree / "models" / "haven.tar.gz"
    model.parent.mkdir(exist_ok=True)
    kept = WORK / "baseline-models" / f"{key}.tar.gz"
    if key and (PROJECT / "models" / f".trained-{key}").exists():
        shutil.copy(PROJECT / "models" / "haven.tar.gz", model)
    elif key and kept.exists():
        shutil.copy(kept, model)
    else:
        print("Training the baseline's model with its own configuration, about 5 minutes...")
        run(
            [str(VENV_BIN / "rasa"), "train", "--fixed-model-name", "haven", "--out", "models"],
            worktree,
            WORK / "baseline-train.log",
            env={**os.environ, "PYTHONPATH": str(worktree)},
        )
        if key:
            kept.parent.mkdir(exist_ok=True)
            shutil.copy(model, kept)


@dataclass
class RunningBot:
    """A bot's server as started and measured below; `result` collects the figures."""

    result: BotResult
    process: subprocess.Popen
    port: int
    script: list[str]
    started: float
    server: int | None = None  # the Rasa server's pid, once it answers

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhooks/rest/webhook"


def launch(
    name: str, slug: str, script: list[str], start: Callable[[int, Path], subprocess.Popen]
) -> RunningBot:
    """Starts a bot with `start(port, log_dir)` on a free port; logs in var/bench/<slug>-log."""
    port = free_port()
    log_dir = WORK / f"{slug}-log"
    log_dir.mkdir(exist_ok=True)
    started = time.monotonic()
    return RunningBot(BotResult(name), start(port, log_dir), port, script, started)


async def answering(bot: RunningBot) -> None:
    """Waits for the first answer (the start time), then warms up every code path once."""
    bot.result.start_to_first_answer = await first_answer(
        bot.url, bot.script, bot.started, timeout=300
    )
    for _ in range(2):
        await one_level(bot.url, bot.script, 1, len(bot.script))
    bot.server = rasa_pid_under(bot.process.pid, bot.port)


async def measured_level(bot: RunningBot, concurrency: int, per_level: int) -> LevelResult:
    """One level with the CPU the bot used meanwhile."""
    load = os.getloadavg()[0]
    before = cpu_seconds(bot.server, bot.process.pid)
    level = await one_level(bot.url, bot.script, concurrency, max(per_level, concurrency * 10))
    after = cpu_seconds(bot.server, bot.process.pid)
    level.main_thread_cpu, level.process_cpu, level.bot_cpu = (
        end - start for start, end in zip(before, after, strict=True)
    )
    level.load = load
    print(
        f"  {bot.result.name:5} c={concurrency:3}: p95 {level.percentile(95):7.1f} ms, "
        f"{level.per_second:6.1f} msg/s, {level.errors} errors, load {load:.1f}"
    )
    return level


async def measure(
    bots: list[RunningBot], levels: list[int], per_level: int, rounds: int = 1
) -> list[BotResult]:
    """Every level `rounds` times for each bot, the bots alternating level by level, in the
    opposite order every other round (A B, then B A), so a change in the machine's load falls on
    all alike; then 20 conversations with typing time, and each server's peak memory."""
    for bot in bots:
        bot.result.level_rounds = [[] for _ in levels]
    for round_number in range(rounds):
        for index, concurrency in enumerate(levels):
            for bot in bots if round_number % 2 == 0 else bots[::-1]:
                level = await measured_level(bot, concurrency, per_level)
                bot.result.level_rounds[index].append(level)
    for bot in bots:
        name = bot.result.name
        if name != "floor":
            bot.result.typing_20 = await one_level(
                bot.url, bot.script, 20, 200, typing=TYPING_SECONDS
            )
            print(f"  {name:5} 20 typing: p95 {bot.result.typing_20.percentile(95):7.1f} ms")
        bot.result.peak_memory_mb = peak_memory_mb(bot.server)
    return [bot.result for bot in bots]


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to the server's process group (SIGINT may be ignored when the benchmark runs in
    the background), then SIGKILL to whatever of the group is left."""
    for signum, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, signum)
            process.wait(timeout=wait)
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = next(
        int(line.split()[1]) // 1024 // 1024
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return f"{os.cpu_count()} cores ({cpu}), {memory} GiB RAM, {platform.platform()}"


BOT_COLORS = {"Haven": "tab:blue", "stock": "tab:red", "floor": "tab:gray"}
BASELINE_COLOR = "tab:cyan"


def plot(results: list[BotResult], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 4))
    for result in results:
        levels = [level.concurrency for level in result.levels]
        for p, style in ((50, ":"), (95, "-")):
            axis.plot(
                levels,
                [level.percentile(p) for level in result.levels],
                style,
                marker="o",
                color=BOT_COLORS.get(result.name, BASELINE_COLOR),
                label=f"{result.name} p{p}",
            )
    axis.axhline(200, color="grey", linewidth=0.8, label="target: p95 200 ms at 20")
    axis.set_xlabel("conversations at once, each sending as soon as it is answered")
    axis.set_xticks([level.concurrency for level in results[0].levels])
    axis.set_ylabel("reply latency (ms)")
    axis.set_title("Reply latency against concurrency (REST, loopback)")
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def best_level(result: BotResult) -> LevelResult:
    return max(result.levels, key=lambda level: level.per_second)


def best_per_second(result: BotResult) -> float:
    return best_level(result).per_second


def p95_at(result: BotResult, concurrency: int) -> float:
    level = next((level for level in result.levels if level.concurrency == concurrency), None)
    return level.percentile(95) if level else float("nan")


def why_throughput(haven: BotResult, stock: BotResult, floor: BotResult) -> str:
    """The arithmetic behind the throughput target, from this run's figures."""
    cores = os.cpu_count() or 1
    budget = 1000 / (3 * best_per_second(stock))
    floor_ratio = best_per_second(floor) / best_per_second(stock)
    level = best_level(haven)
    haven_cpu = level.cpu_bot_ms
    floor_cpu = best_level(floor).cpu_bot_ms
    text = (
        f"3x stock means a message every {budget:.1f} ms, so at most {budget * cores:.1f} ms of "
        f"CPU per message on these {cores} cores, shared with the load generator. "
    )
    if floor_ratio >= 3:
        text += (
            f"Rasa itself leaves room for that: the floor bot uses {floor_cpu:.1f} ms of CPU per "
            f"message and reaches {floor_ratio:.2f}x stock (a lower bound: it says nothing to "
            f"about half the messages, for want of a rule). "
        )
    else:
        text += (
            f"Even the floor bot uses {floor_cpu:.1f} ms of CPU per message and reaches only "
            f"{floor_ratio:.2f}x stock: no bot served by one Rasa 3.6 process can reach 3x here. "
        )
    main = level.cpu_main_ms
    text += (
        f"Haven's processes use {haven_cpu:.1f} ms of CPU per message, {main:.1f} ms of it on the "
        f"event-loop thread where Rasa runs, the rest on the encoder and database threads and in "
        f"the action server. "
    )
    if haven_cpu > budget * cores:
        text += "That is more than the cores offer at 3x stock. "
    else:
        text += (
            f"That would fit, but the threads overlap only in part: Python runs one thread at a "
            f"time, except inside numpy's matrix products and while waiting for the database, "
            f"so Haven reaches {level.per_second:.0f} messages per second, not the "
            f"{1000 / main:.0f} a free event-loop thread would allow. "
        )
    return text + (
        "The work beyond the floor is Haven's own: understanding (the sentence encoder, which "
        "lifts intent F1 from 0.76 to 0.90), the action server call, encrypting and storing the "
        "conversation. docs/performance.md shows where the time goes, what was made faster and "
        "what is left."
    )


def typing_p95(result: BotResult) -> float:
    return result.typing_20.percentile(95) if result.typing_20 else float("nan")


# What the before/after table compares, each with how it is read off a level and printed.
MEASURES: dict[str, tuple[Callable[[LevelResult], float], str]] = {
    "msg/s": (lambda level: level.per_second, ".1f"),
    "p95 ms": (lambda level: level.percentile(95), ".0f"),
    "CPU main ms": (lambda level: level.cpu_main_ms, ".1f"),
    "CPU all ms": (lambda level: level.cpu_all_ms, ".1f"),
    "CPU bot ms": (lambda level: level.cpu_bot_ms, ".1f"),
}


# And what the bench measures once per bot, with its unit.
MEASURED_ONCE: tuple[tuple[str, str, Callable[[BotResult], float]], ...] = (
    ("start to first answer", "s", lambda bot: bot.start_to_first_answer),
    ("peak memory of the Rasa server", "MB", lambda bot: bot.peak_memory_mb),
    ("p95 at 20 conversations with typing time", "ms", typing_p95),
)


def spread(values: list[float]) -> float:
    """Highest minus lowest over their mean: how far one bot's rounds of a level differ."""
    mean = statistics.fmean(values)
    return (max(values) - min(values)) / mean if mean else float("nan")


@dataclass
class Change:
    """One measure at one level, before and after, and the noise it is judged against: the
    larger of the two bots' spreads between their own rounds of that level."""

    concurrency: int
    before: float
    after: float
    noise: float

    @property
    def ratio(self) -> float:
        return self.after / self.before if self.before else float("nan")

    @property
    def beyond_noise(self) -> bool:
        return abs(self.ratio - 1) > self.noise


def changes(measure: str, before: BotResult, after: BotResult) -> list[Change]:
    """`measure` at every level, each bot's rounds pooled, with the noise between rounds."""
    value = MEASURES[measure][0]
    return [
        Change(
            old[0].concurrency,
            value(pooled(old)),
            value(pooled(new)),
            max(spread([value(level) for level in old]), spread([value(level) for level in new])),
        )
        for old, new in zip(before.level_rounds, after.level_rounds, strict=True)
    ]


def change_verdict(found: list[Change]) -> str:
    """A change only if it is beyond the noise at every level, the same way at all."""
    ratios = sorted(change.ratio for change in found)
    span = f"after/before {ratios[0]:.2f}x to {ratios[-1]:.2f}x"
    beyond = [change for change in found if change.beyond_noise]
    if not beyond:
        return f"within the noise at every level ({span})"
    direction = "higher" if ratios[0] > 1 else "lower" if ratios[-1] < 1 else ""
    if len(beyond) == len(found) and direction:
        return f"{direction} at every level, beyond the noise ({span})"
    where = ", ".join(str(change.concurrency) for change in beyond)
    side = f"{direction} at every level, " if direction else ""
    return f"{side}beyond the noise only at {where} at once: not a clear change ({span})"


def before_after_table(before: BotResult, after: BotResult) -> tuple[str, str]:
    """The before/after table (a row per measure and level) and a verdict line per measure."""
    rows = [
        "| measure | at once | before | after | after/before | rounds differ by | |",
        "|---|---|---|---|---|---|---|",
    ]
    verdicts = []
    for measure, (_, shown) in MEASURES.items():
        found = changes(measure, before, after)
        rows += [
            f"| {measure} | {change.concurrency} | {change.before:{shown}} | "
            f"{change.after:{shown}} | {change.ratio:.2f}x | {change.noise:.0%} | "
            f"{'beyond noise' if change.beyond_noise else 'within noise'} |"
            for change in found
        ]
        verdicts.append(f"- {measure}: {change_verdict(found)}.")
    return "\n".join(rows), "\n".join(verdicts)


def load_averages(results: list[BotResult]) -> list[float]:
    """The 1-minute load average as each level of these bots started, every round."""
    return [
        level.load
        for result in results
        for rounds in result.level_rounds
        for level in rounds
        if not math.isnan(level.load)
    ]


def busy_note(results: list[BotResult]) -> str:
    """A sentence for the report's head if other work shared the machine (a load average above
    twice the cores; this benchmark's own server and load generator make about 2), else ""."""
    loads = load_averages(results)
    cores = os.cpu_count() or 1
    if not loads or max(loads) <= 2 * cores:
        return ""
    return (
        f"\nThe machine was busy with other work during this run: its 1-minute load average was "
        f"{min(loads):.1f} to {max(loads):.1f} on {cores} cores as the levels started, so the "
        f"figures are slower than on a quiet machine, and bots measured at different times (Haven "
        f"and stock) compare less fairly than bots measured alternately."
    )


def before_after_section(before: BotResult, after: BotResult, before_commit: str) -> str:
    """docs/benchmarks.md's "Before and after": Haven at a baseline against Haven now."""
    table, verdicts = before_after_table(before, after)
    rounds = len(before.level_rounds[0])
    loads = load_averages([before, after])
    once = "\n".join(
        f"| {what} | {value(before):.1f} {unit} | {value(after):.1f} {unit} | "
        f"{value(after) / value(before):.2f}x |"
        for what, unit, value in MEASURED_ONCE
    )
    return f"""
## Before and after

Before: **{before.name}** (commit `{before_commit}`); after: **Haven** as measured above. Both
ran in the same run, side by side with empty stores, started one after the other (the other one
idle). Each level ran {rounds} times per bot, the two alternating level by level, in the opposite
order every other round, so the machine's varying load weighs alike on both; the figures pool
every round (Haven's rows above too), and after/before is after divided by before. The machine
is shared: its 1-minute load average was {min(loads):.1f} to {max(loads):.1f} as the levels
started (this benchmark's own processes included; 2 is both cores busy).

Noise: "rounds differ by" is the larger of the two bots' spreads between their own rounds of that
level (highest minus lowest, over their mean). A difference at a level is beyond the noise when
after/before is further from 1 than that spread; a measure changed only if it is beyond the noise
at every level, the same way at all. (With 3 rounds, the default, the spread is about 1.7 standard
deviations of one round, about twice the standard deviation of the difference of two pooled
figures.)

{table}

{verdicts}

Measured once per bot, so without a noise estimate:

| measured once | before | after | after/before |
|---|---|---|---|
{once}
"""


def report(
    haven: BotResult,
    stock: BotResult,
    floor: BotResult,
    command: str,
    baseline: BotResult | None = None,
    baseline_commit: str = "",
) -> str:
    """docs/benchmarks.md but its store section; with `baseline`, also its rows and a before and
    after section."""

    def rows(result: BotResult) -> str:
        return "\n".join(
            f"| {result.name} | {level.concurrency} | {len(level.latencies)} | "
            f"{level.percentile(50):.0f} | {level.percentile(95):.0f} | {level.percentile(99):.0f}"
            f" | {level.per_second:.1f} | {level.cpu_main_ms:.1f} | {level.cpu_all_ms:.1f}"
            f" | {level.cpu_bot_ms:.1f} | {level.errors} | {level.empty} |"
            for level in result.levels
        )

    best = {r.name: best_per_second(r) for r in (haven, stock, floor)}
    p95_20 = p95_at(haven, 20)
    floor_p95_20 = p95_at(floor, 20)
    ratio = best["Haven"] / best["stock"] if best["stock"] else float("nan")
    commit = git("rev-parse", "--short", "HEAD")
    busy = busy_note([haven, stock, floor] + ([baseline] if baseline else []))
    baseline_bullet = baseline_rows = before_after = ""
    if baseline:
        baseline_bullet = (
            f"\n- **{baseline.name}**: this repository at commit `{baseline_commit}`, checked out"
            "\n  in a temporary worktree, its model trained by its own configuration, started by"
            '\n  its own scripts/run-haven; it ran side by side with Haven ("Before and after").'
        )
        baseline_rows = "\n" + rows(baseline)
        before_after = before_after_section(baseline, haven, baseline_commit)

    def verdict(ok: bool) -> str:
        return "met" if ok else "**not met**"

    start_ratio = haven.start_to_first_answer / stock.start_to_first_answer
    memory_ratio = haven.peak_memory_mb / stock.peak_memory_mb
    target_rows = [
        ("target", "Haven", "stock", "ratio", "floor", ""),
        ("---",) * 6,
        (
            "messages per second, one instance (best level), at least 3x stock",
            f"{best['Haven']:.1f}",
            f"{best['stock']:.1f}",
            f"{ratio:.2f}x",
            f"{best['floor']:.1f} ({best['floor'] / best['stock']:.2f}x)",
            verdict(ratio >= 3),
        ),
        (
            "p95 at 20 concurrent conversations under 200 ms",
            f"{p95_20:.0f} ms",
            "",
            "",
            f"{floor_p95_20:.0f} ms",
            verdict(p95_20 < 200),
        ),
        (
            "for reference, not the target: p95 at 20 conversations with typing time "
            f"({TYPING_SECONDS / 2:g}-{TYPING_SECONDS * 1.5:g} s between messages)",
            f"{typing_p95(haven):.0f} ms",
            f"{typing_p95(stock):.0f} ms",
            "",
            "",
            "",
        ),
        (
            "start to first answer under 20 s",
            f"{haven.start_to_first_answer:.1f} s",
            f"{stock.start_to_first_answer:.1f} s",
            f"{start_ratio:.2f}x",
            f"{floor.start_to_first_answer:.1f} s",
            verdict(haven.start_to_first_answer < 20),
        ),
        (
            "peak memory under 1 GB per instance (Rasa server)",
            f"{haven.peak_memory_mb:.0f} MB",
            f"{stock.peak_memory_mb:.0f} MB",
            f"{memory_ratio:.2f}x",
            f"{floor.peak_memory_mb:.0f} MB",
            verdict(haven.peak_memory_mb < 1024),
        ),
    ]
    targets = "\n".join("| " + " | ".join(row) + " |" for row in target_rows)

    return f"""# Benchmarks

Measured by `{command}` on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, commit `{commit}`.
Machine: {machine()}.{busy}
The bots ran on this machine one after the other in the same run, one Rasa server process each,
over the REST channel on loopback; the load generator ran on the same machine.

- **Haven**: this repository as `make run` starts it (its pipeline, rules, action server, tracker
  store from endpoints.yml).{baseline_bullet}
- **stock**: `rasa init`'s project (default DIET/TED pipeline and policies) with `SQLTrackerStore`
  on SQLite, no action server.
- **floor**: the stock project with its learned models replaced by a keyword lookup, rules and
  memorized stories, same store: what Rasa itself costs per message, whatever the bot. It says
  nothing to about half the messages (no rule or story fits them), so it is a lower bound.

Each conversation sends a fixed script of {len(HAVEN_SCRIPT)} messages (Haven: a disclosure and
the plan, four of them button presses that skip understanding; stock and floor: the moodbot's
small talk); every level runs that many conversations at once, each sending its next message as
soon as the reply arrives (no typing time, the hardest case), until its message budget is spent.
Latency is from sending a message to receiving the whole reply. Errors are failed requests; an
empty reply (the bot chose to say nothing) is counted apart.

## Targets

{targets}

{why_throughput(haven, stock, floor)}

With every conversation sending again as soon as it is answered, 20 messages are always waiting,
so a reply takes on average 20 divided by the messages per second: a p95 under 200 ms needs well
over 100 messages per second, the same wall as above (the floor's p95 at 20: {floor_p95_20:.0f} ms).
With people's typing time between messages, 20 conversations are light work (the reference row).

Start to first answer is from launching the processes (Haven: action server and Rasa server,
through scripts/run-haven) to the first successful reply; the model was already trained.

## All levels

Latencies (p50, p95, p99) in milliseconds. CPU: milliseconds of CPU time per reply during the
level; "main" is the Rasa server's event-loop thread (where Rasa itself runs, one message at a
time), "all" every thread of that process (Haven also encodes and stores on worker threads), "bot"
every process of the bot (for Haven also the action server). The load generator is not counted.

| bot | at once | replies | p50 | p95 | p99 | msg/s | CPU main | CPU all | CPU bot | errors | empty|
|---|---|---|---|---|---|---|---|---|---|---|---|
{rows(haven)}{baseline_rows}
{rows(stock)}
{rows(floor)}

![latency against concurrency](benchmarks-latency.png)
{before_after}"""


Starter = tuple[str, str, list[str], Callable[[int, Path], subprocess.Popen]]
"""A bot to measure: name, slug for its log folder, script, and how to start it on a port."""


async def measure_together(
    starters: list[Starter], levels: list[int], per_level: int, rounds: int = 1
) -> list[BotResult]:
    """Starts the bots one after the other (each answering before the next starts, so no start
    time is slowed by another's), measures them alternately, and stops them."""
    bots: list[RunningBot] = []
    try:
        for name, slug, script, start in starters:
            print(f"Measuring {name} ...")
            bots.append(launch(name, slug, script, start))
            await answering(bots[-1])
        return await measure(bots, levels, per_level, rounds)
    finally:
        for bot in bots:
            stop(bot.process)


async def main_async(arguments: argparse.Namespace) -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    levels = [int(level) for level in arguments.levels.split(",")]
    rev = arguments.baseline
    baseline_commit = commit_of(rev) if rev else ""
    stock_project = prepare_stock_project()
    floor_project = prepare_floor_project(stock_project)
    havens: list[Starter] = [
        (
            "Haven",
            "haven",
            HAVEN_SCRIPT,
            functools.partial(start_haven, PROJECT, WORK / "haven-data"),
        )
    ]
    with contextlib.ExitStack() as checkout:
        if rev:
            worktree = checkout.enter_context(baseline_checkout(rev))
            start = functools.partial(start_haven, worktree, WORK / "baseline-data")
            havens.append((f"Haven at {rev}", "baseline", HAVEN_SCRIPT, start))
        haven, *baseline = await measure_together(
            havens, levels, arguments.messages, arguments.rounds
        )
    stock, floor = [
        (await measure_together([(name, name, STOCK_SCRIPT, start)], levels, arguments.messages))[0]
        for name, start in (
            ("stock", functools.partial(start_plain_rasa, stock_project)),
            ("floor", functools.partial(start_plain_rasa, floor_project)),
        )
    ]
    print("Measuring the conversation stores ...")
    store_results = await bench_store.measure(conversations=30)
    docs = PROJECT / "docs"
    plot([haven, *baseline, stock, floor], docs / "benchmarks-latency.png")
    command = f"make bench LEVELS={arguments.levels}"
    if rev:
        command += f" BASELINE={rev}" + (
            f" ROUNDS={arguments.rounds}" if arguments.rounds != 3 else ""
        )
    one_user = min(haven.levels, key=lambda level: level.concurrency).percentile(50)
    text = (
        report(haven, stock, floor, command, *baseline, baseline_commit=baseline_commit)
        + "\n"
        + bench_store.section(store_results, one_user, command)
    )
    (docs / "benchmarks.md").write_text(text, encoding="utf-8")
    print(
        f"Wrote docs/benchmarks.md and docs/benchmarks-latency.png "
        f"(median p95 over levels: Haven "
        f"{statistics.median(level.percentile(95) for level in haven.levels):.0f} ms)."
    )
    if baseline:
        print(before_after_table(baseline[0], haven)[1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--levels", default="1,5,10,20", help="concurrency levels, e.g. 1,5,10,20")
    parser.add_argument(
        "--messages",
        type=int,
        default=200,
        help="messages sent at each level (at least 10 per conversation)",
    )
    parser.add_argument(
        "--baseline",
        metavar="REV",
        help="also measure Haven as it was at this git revision, alternately with this checkout",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        help="times each level runs per Haven (default 1; with --baseline 3, at least 2)",
    )
    arguments = parser.parse_args()
    if arguments.rounds is None:
        arguments.rounds = 3 if arguments.baseline else 1
    if arguments.baseline and arguments.rounds < 2:
        parser.error("--baseline needs --rounds 2 or more: the noise is the spread between rounds")
    asyncio.run(main_async(arguments))


if __name__ == "__main__":
    main()
