"""A log line a flood cannot multiply (haven/logs/throttle.py): the first at once, then one a period
with the count."""

import logging

from haven.logs.throttle import SummarizedLog


def test_the_first_event_is_logged_then_one_line_a_period_with_the_count(caplog):
    now = [0.0]
    log = SummarizedLog(logging.getLogger("haven.test"), "Refused", 60, clock=lambda: now[0])
    with caplog.at_level(logging.INFO, logger="haven.test"):
        for second in range(150):  # ten events a second for 150 seconds
            now[0] = float(second)
            for _ in range(10):
                log.note()
    lines = [r.getMessage() for r in caplog.records if r.name == "haven.test"]
    assert lines == [
        "Refused (1 since the last such line)",
        "Refused (600 since the last such line)",
        "Refused (600 since the last such line)",
    ]
