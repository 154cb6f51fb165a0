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
    if not (stock / "models").exists() or not any((stock / "models").glob("*.tar.gz")):
        stock.mkdir(parents=True, exist_ok=True)
        print("Creating and training the stock Rasa project (rasa init), about 2 minutes...")
        run(
            [str(VENV_BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(stock)],
            stock,
            WORK / "stock-init.log",
        )
    (stock / "endpoints.yml").write_text(
        "tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: stock-tracker.db\n",
        encoding="utf-8",
    )
    return stock


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
                    url, json={"sender": "warmup", "message": script[0]}
                ) as reply:
                    if reply.status == 200 and await reply.json():
                        return time.monotonic() - started
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"no answer from {url} within {timeout} s")


async def one_level(url: str, script: list[str], concurrency: int, total: int) -> LevelResult:
    result = LevelResult(concurrency)
    remaining = [total]

    async def conversation_worker(session: aiohttp.ClientSession) -> None:
        while remaining[0] > 0:
            sender = f"bench-{uuid.uuid4().hex[:12]}"
            for text in script:
                if remaining[0] <= 0:
                    return
                remaining[0] -= 1
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


def start_stock(stock: Path, port: int, log_dir: Path) -> subprocess.Popen:
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
        cwd=stock,
        env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
        stdout=(log_dir / "stock.out").open("w"),
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
    for concurrency in levels:
        level = await one_level(url, script, concurrency, max(per_level, concurrency * 10))
        print(
            f"  {name:5} c={concurrency:3}: p95 {level.percentile(95):7.1f} ms, "
            f"{level.per_second:6.1f} msg/s, {level.errors} errors"
        )
        result.levels.append(level)
    result.peak_memory_mb = peak_memory_mb(rasa_pid_under(process.pid, port))
    return result


def stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)


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
                label=f"{result.name} p{p}",
            )
    axis.axhline(200, color="grey", linewidth=0.8, label="target: p95 200 ms at 20")
    axis.set_xlabel("concurrent conversations")
    axis.set_ylabel("reply latency (ms)")
    axis.set_title("Reply latency against concurrency (REST, loopback)")
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def report(haven: BotResult, stock: BotResult, command: str) -> str:
    def rows(result: BotResult) -> str:
        return "\n".join(
            f"| {result.name} | {level.concurrency} | {len(level.latencies)} | "
            f"{level.percentile(50):.0f} | {level.percentile(95):.0f} | {level.percentile(99):.0f}"
            f" | {level.per_second:.1f} | {level.errors} | {level.empty} |"
            for level in result.levels
        )

    best = {r.name: max(level.per_second for level in r.levels) for r in (haven, stock)}
    at_20 = next((level for level in haven.levels if level.concurrency == 20), None)
    p95_20 = at_20.percentile(95) if at_20 else float("nan")
    ratio = best["Haven"] / best["stock"] if best["stock"] else float("nan")
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT, capture_output=True, text=True
    ).stdout.strip()

    def verdict(ok: bool) -> str:
        return "met" if ok else "**not met**"

    start_ratio = haven.start_to_first_answer / stock.start_to_first_answer
    memory_ratio = haven.peak_memory_mb / stock.peak_memory_mb
    target_rows = [
        ("target", "Haven", "stock", "ratio", ""),
        ("---",) * 5,
        (
            "messages per second, one instance (best level), at least 3x stock",
            f"{best['Haven']:.1f}",
            f"{best['stock']:.1f}",
            f"{ratio:.2f}x",
            verdict(ratio >= 3),
        ),
        (
            "p95 at 20 concurrent conversations under 200 ms",
            f"{p95_20:.0f} ms",
            "",
            "",
            verdict(p95_20 < 200),
        ),
        (
            "start to first answer under 20 s",
            f"{haven.start_to_first_answer:.1f} s",
            f"{stock.start_to_first_answer:.1f} s",
            f"{start_ratio:.2f}x",
            verdict(haven.start_to_first_answer < 20),
        ),
        (
            "peak memory under 1 GB per instance (Rasa server)",
            f"{haven.peak_memory_mb:.0f} MB",
            f"{stock.peak_memory_mb:.0f} MB",
            f"{memory_ratio:.2f}x",
            verdict(haven.peak_memory_mb < 1024),
        ),
    ]
    targets = "\n".join("| " + " | ".join(row) + " |" for row in target_rows)

    return f"""# Benchmarks

Measured by `{command}` on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, commit `{commit}`.
Machine: {machine()}.
Both bots ran on this machine in the same run, one Rasa server process each, over the REST
channel on loopback; the load generator ran on the same machine.

- **Haven**: this repository as `make run` starts it (its pipeline, rules, action server, tracker
  store from endpoints.yml).
- **stock**: `rasa init`'s project (default DIET/TED pipeline and policies) with `SQLTrackerStore`
  on SQLite, no action server.

Each conversation sends a fixed script of {len(HAVEN_SCRIPT)} messages (Haven: a disclosure and
the plan; stock: the moodbot's small talk); every level runs that many conversations at once until
its message budget is spent. Latency is from sending a message to receiving the whole reply.
Errors are failed requests; an empty reply (the bot chose to say nothing) is counted apart.

## Targets

{targets}

Start to first answer is from launching the processes (Haven: action server and Rasa server,
through scripts/run-haven) to the first successful reply; the model was already trained.

## All levels

| bot | concurrent | replies | p50 ms | p95 ms | p99 ms | msg/s | errors | empty replies |
|---|---|---|---|---|---|---|---|---|
{rows(haven)}
{rows(stock)}

![latency against concurrency](benchmarks-latency.png)
"""


async def main_async(arguments: argparse.Namespace) -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    levels = [int(level) for level in arguments.levels.split(",")]
    stock_project = prepare_stock_project()
    results = []
    for name, script in (("Haven", HAVEN_SCRIPT), ("stock", STOCK_SCRIPT)):
        port = free_port()
        log_dir = WORK / f"{name.lower()}-log"
        log_dir.mkdir(exist_ok=True)
        started = time.monotonic()
        process = (
            start_haven(port, log_dir)
            if name == "Haven"
            else start_stock(stock_project, port, log_dir)
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
