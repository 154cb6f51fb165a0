"""A region pack's facts as written (for tests that check canned responses are filled from them)."""

import yaml

from haven.packs.content import CONTENT_DIR


def region_facts(code: str) -> dict:
    return yaml.safe_load((CONTENT_DIR / "regions" / f"{code}.yml").read_text(encoding="utf-8"))
