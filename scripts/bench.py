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
"""

from __future__ import annotations

import argparse
import asyncio
import json
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

    def cpu_ms_per_message(self, seconds: float) -> float:
        return seconds / len(self.latencies) * 1000 if self.latencies else float("nan")

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


@dataclass
class BotResult:
    """Everything measured for one bot."""

    name: str
    start_to_first_answer: float = 0.0
    peak_memory_mb: float = 0.0
    levels: list[LevelResult] = field(default_factory=list)
    typing_20: LevelResult | None = None  # 20 conversations with time to type between messages


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run(command: list[str], cwd: Path, log: Path) -> None:
    with log.open("w") as output:
        subprocess.run(command, cwd=cwd, stdout=output, stderr=subprocess.STDOUT, check=True)


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


def start_haven(port: int, log_dir: Path) -> subprocess.Popen:
    shutil.rmtree(WORK / "haven-data", ignore_errors=True)  # no conversations from earlier runs
    env = {
        **os.environ,
        "HAVEN_RASA_PORT": str(port),
        "HAVEN_ACTION_PORT": str(free_port()),
        "HAVEN_LOG_DIR": str(log_dir),
        "HAVEN_DATA_DIR": str(WORK / "haven-data"),
        # The load generator sends from one address far faster than a person types; stock Rasa
        # has no limits, so none apply here either.
        "HAVEN_RATE_PER_CONVERSATION": "1000000",
        "HAVEN_RATE_PER_ADDRESS": "1000000",
    }
    return subprocess.Popen(
        [str(PROJECT / "scripts" / "run-haven")],
        cwd=PROJECT,
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


async def measure(
    name: str,
    process: subprocess.Popen,
    port: int,
    script: list[str],
    levels: list[int],
    per_level: int,
    started: float,
) -> BotResult:
    url = f"http://127.0.0.1:{port}/webhooks/rest/webhook"
    result = BotResult(name)
    result.start_to_first_answer = await first_answer(url, script, started, timeout=300)
    for _ in range(2):  # warm up every code path once
        await one_level(url, script, 1, len(script))
    server = rasa_pid_under(process.pid, port)
    for concurrency in levels:
        before = cpu_seconds(server, process.pid)
        level = await one_level(url, script, concurrency, max(per_level, concurrency * 10))
        after = cpu_seconds(server, process.pid)
        level.main_thread_cpu, level.process_cpu, level.bot_cpu = (
            end - start for start, end in zip(before, after, strict=True)
        )
        print(
            f"  {name:5} c={concurrency:3}: p95 {level.percentile(95):7.1f} ms, "
            f"{level.per_second:6.1f} msg/s, {level.errors} errors"
        )
        result.levels.append(level)
    if name != "floor":
        result.typing_20 = await one_level(url, script, 20, 200, typing=TYPING_SECONDS)
        print(f"  {name:5} 20 typing: p95 {result.typing_20.percentile(95):7.1f} ms")
    result.peak_memory_mb = peak_memory_mb(server)
    return result


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
                color=BOT_COLORS.get(result.name),
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
    haven_cpu = level.cpu_ms_per_message(level.bot_cpu)
    floor_best = best_level(floor)
    floor_cpu = floor_best.cpu_ms_per_message(floor_best.bot_cpu)
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
    main = level.cpu_ms_per_message(level.main_thread_cpu)
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


def report(haven: BotResult, stock: BotResult, floor: BotResult, command: str) -> str:
    def rows(result: BotResult) -> str:
        return "\n".join(
            f"| {result.name} | {level.concurrency} | {len(level.latencies)} | "
            f"{level.percentile(50):.0f} | {level.percentile(95):.0f} | {level.percentile(99):.0f}"
            f" | {level.per_second:.1f} | {level.cpu_ms_per_message(level.main_thread_cpu):.1f}"
            f" | {level.cpu_ms_per_message(level.process_cpu):.1f}"
            f" | {level.cpu_ms_per_message(level.bot_cpu):.1f} | {level.errors}"
            f" | {level.empty} |"
            for level in result.levels
        )

    best = {r.name: best_per_second(r) for r in (haven, stock, floor)}
    p95_20 = p95_at(haven, 20)
    floor_p95_20 = p95_at(floor, 20)
    ratio = best["Haven"] / best["stock"] if best["stock"] else float("nan")
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT, capture_output=True, text=True
    ).stdout.strip()

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
Machine: {machine()}.
The bots ran on this machine one after the other in the same run, one Rasa server process each,
over the REST channel on loopback; the load generator ran on the same machine.

- **Haven**: this repository as `make run` starts it (its pipeline, rules, action server, tracker
  store from endpoints.yml).
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
{rows(haven)}
{rows(stock)}
{rows(floor)}

![latency against concurrency](benchmarks-latency.png)
"""


async def main_async(arguments: argparse.Namespace) -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    levels = [int(level) for level in arguments.levels.split(",")]
    stock_project = prepare_stock_project()
    projects = {"stock": stock_project, "floor": prepare_floor_project(stock_project)}
    results = []
    for name, script in (("Haven", HAVEN_SCRIPT), ("stock", STOCK_SCRIPT), ("floor", STOCK_SCRIPT)):
        port = free_port()
        log_dir = WORK / f"{name.lower()}-log"
        log_dir.mkdir(exist_ok=True)
        started = time.monotonic()
        process = (
            start_haven(port, log_dir)
            if name == "Haven"
            else start_plain_rasa(projects[name], port, log_dir)
        )
        try:
            print(f"Measuring {name} ...")
            results.append(
                await measure(name, process, port, script, levels, arguments.messages, started)
            )
        finally:
            stop(process)
    print("Measuring the conversation stores ...")
    store_results = await bench_store.measure(conversations=30)
    docs = PROJECT / "docs"
    plot(results, docs / "benchmarks-latency.png")
    command = f"make bench LEVELS={arguments.levels}"
    one_user = min(results[0].levels, key=lambda level: level.concurrency).percentile(50)
    text = (
        report(*results, command=command)
        + "\n"
        + bench_store.section(store_results, one_user, command)
    )
    (docs / "benchmarks.md").write_text(text, encoding="utf-8")
    print(
        f"Wrote docs/benchmarks.md and docs/benchmarks-latency.png "
        f"(median p95 over levels: Haven "
        f"{statistics.median(level.percentile(95) for level in results[0].levels):.0f} ms)."
    )


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
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
