"""What the metrics tests of two tiers share: the token, a young person's typed words, and the
check that `/metrics` output holds nothing that identifies anyone."""

from __future__ import annotations

import re

from haven.metrics import counts

TOKEN = "metrics-token-" + "z" * 30  # noqa: S105 - a test token
TYPED = "my coach Pellinore Quast has my pics and wants 300 dollars"
"""Words a young person typed: they must never be in the output."""

LINE = re.compile(
    r"# (HELP|TYPE) haven_[a-z_]+ .*"
    r'|haven_[a-z_]+(\{[a-z]+="[A-Za-z0-9_.+]+"\})? [0-9]+\.[0-9]+(e[+-][0-9]+)?'
)
"""Every line of the output: a comment, or a series with at most one label of plain words."""
LABEL_VALUES = {
    "step": set(counts.STEP_NUMBERS.values()),
    "kind": {"direct", "gentle"},
    "risk": {"yes", "no"},
    "answer": set(counts.HELPED_ANSWERS),
    "tag": set(counts.END_OF_CHAT_TAGS),
    "le": {"60.0", "300.0", "900.0", "1800.0", "3600.0", "+Inf"},
}


def check_nothing_identifies(text: str, *secrets: str) -> None:
    """The output has only Haven's series, fixed label values, and none of `secrets`."""
    for line in text.splitlines():
        assert LINE.fullmatch(line), line
        for label, label_value in re.findall(r'([a-z]+)="([^"]*)"', line):
            assert label_value in LABEL_VALUES[label], line
    assert "_created" not in text  # prometheus-client's per-series timestamps are left out
    for secret in secrets:
        assert secret not in text, secret
