"""Counselors' canned responses (haven/packs/canned.py): per language, help lines filled from the
young person's region, and checked by `make check-content`."""

import shutil

import pytest
import yaml

from haven.packs.canned import check_canned, load_canned
from haven.packs.content import CONTENT_DIR, content
from haven.packs.pack_reader import ContentError, ProblemReport
from haven.packs.render import Renderer
from tests.support.canned import region_facts


def test_each_language_has_its_own_and_english_fills_a_gap():
    english = {entry.key: entry for entry in load_canned("en")}
    spanish = {entry.key: entry for entry in load_canned("es")}
    assert english.keys() == spanish.keys()
    assert spanish["not_your_fault"].text.startswith("Nada de esto es culpa tuya")
    assert [e.key for e in load_canned("xx")] == list(english)  # no such language: English
    assert [e.text for e in load_canned(None)] == [e.text for e in english.values()]


def test_the_help_lines_come_from_the_young_persons_region():
    renderer = Renderer(content())
    crisis_lines = next(e for e in load_canned("en") if e.key == "crisis_lines")
    for region in ("uk", "us"):
        facts = region_facts(region)
        text = renderer.fill_text(crisis_lines.text, language="en", region=region)
        assert "{" not in text
        assert facts["emergency"]["call"] in text
        for entry in facts["crisis"]:
            if "name" in entry:
                assert entry["name"] in text
    uk = renderer.fill_text(crisis_lines.text, language="en", region="uk")
    us = renderer.fill_text(crisis_lines.text, language="en", region="us")
    assert uk != us


@pytest.fixture
def packs(tmp_path):
    copied = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, copied)
    return copied


def problems_of(content_dir):
    report = ProblemReport()
    check_canned(content_dir, report)
    return [(p.severity, p.path.name, p.message) for p in report.problems]


def test_the_shipped_canned_responses_pass_the_check(packs):
    assert [p for p in problems_of(packs) if p[0] == "error"] == []


def edit(path, change):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["canned"]["report"].update(text="Call 0800 123 456"), "numbers and links"),
        (lambda d: d["canned"]["report"].update(text="See www.example.org"), "numbers and links"),
        (lambda d: d["canned"]["report"].update(text="Here: {phone}"), "unknown placeholder"),
        (lambda d: d["canned"]["report"].pop("label"), "has no `label`"),
        (lambda d: d["canned"].update(extra="just text"), "must be a mapping"),
    ],
)
def test_a_bad_english_entry_is_an_error_naming_it(packs, change, message):
    edit(packs / "languages" / "en" / "canned.yml", change)
    errors = [p for p in problems_of(packs) if p[0] == "error"]
    assert any(message in p[2] for p in errors), errors
    if "has no" not in message and "mapping" not in message:
        with pytest.raises(ContentError):
            load_canned("en", packs)


def test_a_translation_keeps_english_keys_and_placeholders(packs):
    spanish = packs / "languages" / "es" / "canned.yml"
    edit(spanish, lambda d: d["canned"]["helplines"].update(text="Habla con alguien."))
    edit(spanish, lambda d: d["canned"].update(invented={"label": "x", "text": "y"}))
    edit(spanish, lambda d: d["canned"].pop("greeting"))
    found = problems_of(packs)
    assert (
        "error",
        "canned.yml",
        "`helplines` must use the placeholders English uses: {helpline}",
    ) in found
    assert any("unknown canned response `invented`" in p[2] for p in found)
    assert (
        "warning",
        "canned.yml",
        "`greeting` is not translated: the console shows English",
    ) in found
    shown = {e.key: e for e in load_canned("es", packs)}
    assert shown["helplines"].text.endswith("{helpline}")  # English's, with the help lines
    assert shown["greeting"].text.startswith("Hi, I'm a counselor")
    assert "invented" not in shown
