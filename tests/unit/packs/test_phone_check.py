"""`make check-content` checks every phone number with Google's numbering data (phonenumbers):
a number that cannot exist in the region's country, an emergency number that is not one, and a
line called free that is not, each fail with the file and line."""

import shutil
from pathlib import Path

import pytest

from haven.packs.content import content, load_content
from haven.packs.phone_check import check_phone_numbers
from tests.support import PROJECT
from tests.unit.packs.test_content_check import assert_error, edit


@pytest.fixture
def packs(tmp_path) -> Path:
    shutil.copytree(PROJECT / "content", tmp_path / "content")
    return tmp_path / "content"


def test_the_shipped_numbers_pass_and_the_unknown_ones_are_listed_for_a_person():
    problems = check_phone_numbers(content())
    assert [p for p in problems if p.severity == "error"] == []
    listed = {p.message.split(" ")[0] for p in problems if "numbering data knows" in p.message}
    assert "188" in listed and "*4141" in listed  # unverified, and unknown to the library


def test_a_mistyped_number_in_a_verified_entry_fails(packs):
    path = packs / "regions" / "uk.yml"
    edit(path, 'text: "85258"', 'text: "8525"')
    assert_error(packs, str(path), "8525 is not a phone number the numbering data knows in GB")


def test_the_emergency_number_must_be_one(packs):
    path = packs / "regions" / "au.yml"
    edit(path, 'call: "000"', 'call: "001"')
    problems = check_phone_numbers(load_content(packs))
    assert any("001" in p.message and p.severity == "error" for p in problems), problems


def test_a_line_called_free_must_be_free_there(packs):
    # Spain's 024 is "free" in the news, but the numbering data says it is charged at the
    # standard rate: the claim is not shipped until someone checks it.
    path = packs / "regions" / "es.yml"
    line = edit(path, '    call: "024"\n', '    call: "024"\n    free: true\n')
    assert_error(packs, f"{path}:{line - 1}", "024 is charged at the standard rate in ES")


def test_a_full_number_called_free_must_be_toll_free(packs):
    path = packs / "regions" / "nl.yml"
    edit(path, "    call: 020 261 52 75\n", "    call: 020 261 52 75\n    free: true\n")
    assert_error(packs, str(path), "020 261 52 75 is not a toll-free number in NL")


def test_free_is_about_calls(packs):
    path = packs / "regions" / "uk.yml"
    edit(path, '    text: "85258"\n', '    text: "85258"\n    free: true\n')
    assert_error(packs, str(path), "`free` is about calls: it needs `call`")
