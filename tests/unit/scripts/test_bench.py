"""scripts/bench.py's before/after arithmetic, on figures made up here (nothing is timed).

`make bench BASELINE=rev` decides whether a change made Haven slower, so the rule that separates a
change from the run's own noise is checked: rounds are pooled as one long level, a difference
counts only when it is larger than the spread between one bot's rounds, at every level and the
same way, and a report without a baseline has no trace of one.
"""

import importlib.util
import os
import sys

from tests.support import PROJECT

sys.path.insert(0, str(PROJECT / "scripts"))  # bench.py imports bench_store beside it
_SPEC = importlib.util.spec_from_file_location("bench", PROJECT / "scripts" / "bench.py")
bench = importlib.util.module_from_spec(_SPEC)
sys.modules["bench"] = bench  # dataclasses look their module up there
_SPEC.loader.exec_module(bench)


def level(concurrency, cpu_ms, replies=100, seconds=2.0, latency=0.05):
    """A level of `replies` replies in `seconds`, each costing `cpu_ms` of CPU (main, all, bot)."""
    cpu = cpu_ms * replies / 1000
    return bench.LevelResult(
        concurrency,
        latencies=[latency] * replies,
        seconds=seconds,
        main_thread_cpu=cpu / 2,
        process_cpu=cpu,
        bot_cpu=cpu,
        load=1.0,
    )


def bot(name, cpu_rounds):
    """A bot whose rounds at each level cost the given CPU per message, all else alike."""
    return bench.BotResult(
        name,
        start_to_first_answer=6.0,
        peak_memory_mb=850.0,
        level_rounds=[
            [level(concurrency, cpu_ms) for cpu_ms in rounds]
            for concurrency, rounds in cpu_rounds.items()
        ],
    )


def cpu_change(before, after):
    return bench.changes("CPU bot ms", before, after)


def test_rounds_are_pooled_as_one_long_level():
    fast = level(5, 10.0, replies=100, seconds=1.0, latency=0.01)
    slow = level(5, 20.0, replies=100, seconds=3.0, latency=0.03)
    both = bench.pooled([fast, slow])
    assert len(both.latencies) == 200
    assert both.per_second == 50.0  # 200 replies in 4 s, not the mean of 100 and 33 msg/s
    assert round(both.cpu_bot_ms, 6) == 15.0
    assert both.percentile(95) == 30.0


def test_a_rise_larger_than_the_spread_between_rounds_at_every_level_is_beyond_noise():
    before = bot("Haven at v1", {1: [10.0, 10.2, 9.9], 5: [10.1, 9.8, 10.0]})
    after = bot("Haven", {1: [12.0, 12.1, 11.9], 5: [12.2, 12.0, 11.8]})
    found = cpu_change(before, after)
    assert [round(change.ratio, 2) for change in found] == [1.2, 1.2]
    assert all(change.beyond_noise for change in found)
    assert bench.change_verdict(found).startswith("higher at every level, beyond the noise")


def test_a_difference_smaller_than_the_spread_between_rounds_is_within_noise():
    before = bot("Haven at v1", {1: [9.0, 11.0], 5: [10.0, 10.0]})
    after = bot("Haven", {1: [10.5, 10.5], 5: [9.0, 11.2]})
    found = cpu_change(before, after)
    assert [round(change.noise, 2) for change in found] == [0.2, 0.22]
    assert not any(change.beyond_noise for change in found)
    assert bench.change_verdict(found).startswith("within the noise at every level")


def test_beyond_noise_at_some_levels_only_is_no_clear_change():
    before = bot("Haven at v1", {1: [10.0, 10.0], 5: [10.0, 10.0], 10: [9.0, 11.0]})
    after = bot("Haven", {1: [8.0, 8.0], 5: [10.1, 10.1], 10: [10.0, 10.0]})
    verdict = bench.change_verdict(cpu_change(before, after))
    assert verdict.startswith("beyond the noise only at 1, 5 at once: not a clear change")


def test_a_rise_at_every_level_but_beyond_noise_at_some_only_is_not_a_clear_change():
    before = bot("Haven at v1", {1: [10.0, 10.0], 20: [9.0, 11.0]})
    after = bot("Haven", {1: [11.5, 11.5], 20: [10.5, 10.5]})
    verdict = bench.change_verdict(cpu_change(before, after))
    assert verdict.startswith(
        "higher at every level, beyond the noise only at 1 at once: not a clear change"
    )


def test_changes_beyond_noise_in_opposite_directions_are_not_a_clear_change():
    before = bot("Haven at v1", {1: [10.0, 10.0], 5: [10.0, 10.0]})
    after = bot("Haven", {1: [12.0, 12.0], 5: [8.0, 8.0]})
    verdict = bench.change_verdict(cpu_change(before, after))
    assert verdict.startswith("beyond the noise only at 1, 5 at once: not a clear change")


def test_a_fall_at_every_level_is_lower():
    before = bot("Haven at v1", {1: [10.0, 10.0], 5: [10.0, 10.0]})
    after = bot("Haven", {1: [8.0, 8.0], 5: [9.0, 9.0]})
    verdict = bench.change_verdict(cpu_change(before, after))
    assert verdict == "lower at every level, beyond the noise (after/before 0.80x to 0.90x)"


def test_the_table_has_a_row_per_measure_and_level_and_a_verdict_per_measure():
    before = bot("Haven at v1", {1: [10.0, 10.0], 20: [10.0, 10.0]})
    after = bot("Haven", {1: [11.0, 11.0], 20: [11.0, 11.0]})
    table, verdicts = bench.before_after_table(before, after)
    rows = table.splitlines()[2:]
    assert len(rows) == 2 * len(bench.MEASURES)
    assert "| CPU bot ms | 20 | 10.0 | 11.0 | 1.10x | 0% | beyond noise |" in rows
    assert "| msg/s | 1 | 50.0 | 50.0 | 1.00x | 0% | within noise |" in rows
    assert verdicts.splitlines()[0].startswith("- msg/s: within the noise at every level")
    assert verdicts.splitlines()[-1].startswith("- CPU bot ms: higher at every level")


def report(baseline=None):
    levels = {1: [10.0], 20: [10.0]}
    return bench.report(
        bot("Haven", levels),
        bot("stock", levels),
        bot("floor", levels),
        command="make bench",
        baseline=baseline,
        baseline_commit="abc1234",
    )


def test_a_report_without_a_baseline_has_no_trace_of_one():
    text = report()
    assert "Before and after" not in text
    assert "Haven at" not in text
    assert text.rstrip().endswith("![latency against concurrency](benchmarks-latency.png)")


def test_a_report_with_a_baseline_has_its_rows_and_the_before_and_after():
    text = report(bot("Haven at v1", {1: [9.0, 9.0], 20: [9.0, 9.0]}))
    assert "| Haven at v1 | 20 | 200 |" in text
    assert "## Before and after" in text
    assert "**Haven at v1** (commit `abc1234`)" in text
    assert "- CPU main ms: higher at every level, beyond the noise" in text
    assert "| start to first answer | 6.0 s | 6.0 s | 1.00x |" in text


def test_a_busy_machine_is_said_at_the_head_of_the_report_and_a_quiet_one_is_not():
    busy = bot("Haven", {1: [10.0], 20: [10.0]})
    busy.level_rounds[1][0].load = 2 * os.cpu_count() + 0.5
    assert bench.busy_note([bot("Haven", {1: [10.0]})]) == ""  # load 1.0
    assert f"load average was 1.0 to {2 * os.cpu_count() + 0.5:.1f}" in bench.busy_note([busy])
