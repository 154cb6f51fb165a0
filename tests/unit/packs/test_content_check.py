"""`make check-content` (haven/packs/content_check.py): good packs pass with a summary; bad packs
fail with the file and line of each problem, as an NGO volunteer editing YAML would see them."""

import re
import shutil
from pathlib import Path

import pytest

from haven.packs.content_check import check, main
from tests.support import PROJECT

SUMMARY = re.compile(
    r"^\d+ regions, \d+ languages, \d+ entries \(\d+ unverified\)"
    r"(; not reviewed by a native speaker: [a-z, ]+)?"
    r"(; crisis patterns only, no pack yet: [a-z, ]+)?$"
)


@pytest.fixture
def packs(tmp_path) -> Path:
    """A scratch copy of content/ to break."""
    shutil.copytree(PROJECT / "content", tmp_path / "content")
    return tmp_path / "content"


def edit(path: Path, old: str, new: str) -> int:
    """Replace `old` (once) and return the 1-based line where the change starts."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= 1, f"{old!r} is not in {path}"
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return line


def errors(content_dir: Path) -> list[str]:
    return [str(problem) for problem in check(content_dir, PROJECT / "domain.yml").errors]


def assert_error(content_dir: Path, where: str, fragment: str) -> None:
    found = errors(content_dir)
    assert any(e.startswith(where + ":") and fragment in e for e in found), found


def test_the_shipped_packs_pass_with_a_summary_line(capsys):
    assert main([]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert SUMMARY.match(last), last
    regions = len(list((PROJECT / "content" / "regions").glob("*.yml")))
    languages = sorted(p.name for p in (PROJECT / "content" / "languages").iterdir())
    assert last.startswith(f"{regions} regions, {len(languages)} languages"), last
    unreviewed = [
        code
        for code in languages
        if "\nreviewed: false"
        in (PROJECT / "content" / "languages" / code / "language.yml").read_text(encoding="utf-8")
    ]
    assert unreviewed, "the new packs ship unreviewed until an NGO reviews them"
    assert last.endswith(f"not reviewed by a native speaker: {', '.join(unreviewed)}"), last


def unreviewed_named(out: str) -> list[str]:
    """The codes the summary line names after "not reviewed by a native speaker: "."""
    last = out.strip().splitlines()[-1]
    marker = "not reviewed by a native speaker: "
    return last[last.index(marker) + len(marker) :].split(", ") if marker in last else []


def test_packs_not_reviewed_by_a_native_speaker_are_listed_until_marked_reviewed(packs, capsys):
    path = packs / "languages" / "pt" / "language.yml"
    line = edit(path, "reviewed: false", "reviewed: false")
    assert main(["--content", str(packs)]) == 0  # listed, never an error
    out = capsys.readouterr().out
    listing = out[out.index("Not reviewed by a native speaker") :].split("\n\n")[0]
    assert f"{path}:{line}: Português (pt)" in listing
    assert "(en)" not in listing and "(es)" not in listing
    # The last line names the unreviewed packs, whichever languages Haven has (a new language
    # must not have to edit this test: docs/localize.md, "Tried from scratch").
    assert "pt" in unreviewed_named(out)

    edit(path, "reviewed: false", "reviewed: true")  # an NGO's native speaker read it
    assert main(["--content", str(packs)]) == 0
    out = capsys.readouterr().out
    assert "Português (pt)" not in out
    assert "pt" not in unreviewed_named(out)

    edit(path, "reviewed: true", "reviewed: soon")
    assert_error(packs, f"{path}:{line}", "`reviewed` must be true or false")


def test_a_crisis_only_language_is_checked_like_a_pack(packs):
    # A folder with only crisis.yml (here German without its pack): its patterns must catch its
    # examples and none of any language's non-examples.
    for name in ("language.yml", "responses.yml", "console.yml"):
        (packs / "languages" / "de" / name).unlink()
    crisis = packs / "languages" / "de" / "crisis.yml"
    assert "crisis patterns only, no pack yet: de" in check(packs, PROJECT / "domain.yml").summary()
    edit(
        crisis, "  - ich will sterben\n", "  - ich will sterben\n  - das ist ein satz ohne gefahr\n"
    )
    assert_error(packs, str(crisis), "no pattern catches")
    edit(crisis, "  - ich sterbe vor Lachen\n", "  - ich sterbe vor Lachen\n  - ich will sterben\n")
    assert any("is not a crisis but" in e for e in errors(packs))


def test_unverified_entries_are_listed(capsys):
    main([])
    out = capsys.readouterr().out
    assert "Not verified" in out
    assert "content/regions/us.yml" in out and "content/regions/ie.yml" in out


def test_a_missing_required_section_names_the_file(packs):
    path = packs / "regions" / "uk.yml"
    text = path.read_text(encoding="utf-8")
    start = text.index("crisis:")
    end = text.index("helpline:")
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    found = errors(packs)
    assert any("regions/uk.yml:" in e and "has no `crisis`" in e for e in found), found


def test_a_response_missing_in_english_fails(packs):
    path = packs / "languages" / "en" / "responses.yml"
    edit(path, "  utter_thanks:", "  utter_thanks_renamed:")
    found = errors(packs)
    assert any("`utter_thanks` is in domain.yml but not here" in e for e in found), found


BAD_LINES = [
    # (file, what is there, what a volunteer types instead, line offset, the error)
    ("regions/uk.yml", "call: 0800 1111", "call: 0800 11a1!", 0, "not a phone number"),
    (
        "regions/ca.yml",
        "    call: 1-800-668-6868\n",
        "    call: 1-800-668-6868\n    fax: 12345\n",
        1,
        "unknown field `fax`",
    ),
    (
        "regions/de.yml",
        "under_18: [take_it_down]",
        "under_18: [stopncii, take_it_down]",
        0,
        "must never be offered under `under_18`",
    ),
    (
        "regions/ie.yml",
        "under_18: [take_it_down]",
        "under_18: [report_remove, take_it_down]",
        0,
        "only for uk, not ie",
    ),
    ("regions/fr.yml", "adult: [stopncii, take_it_down]", "adult: [stopncii]", 0, "take_it_down"),
    ("regions/nz.yml", "checked: 2026-11-26", "checked: 26/11/2026", 0, "written YYYY-MM-DD"),
    ("regions/nz.yml", "checked: 2026-11-26", "checked: 2099-01-01", 0, "is in the future"),
    ("regions/in.yml", "web: cybercrime.gov.in", "web: http://x.in", 0, "not a web address"),
    ("regions/au.yml", '  call: "000"\n', '  call: "000"\n  call: "001"\n', 1, "not valid YAML"),
    ("tools.yml", "    users: under_18\n", "    users: kids\n", 0, "`users` must be"),
    (
        "regions/uk.yml",
        "    hours: always\n",
        "    hours: nights\n",
        0,
        "`hours` is `always` (24/7)",
    ),
    (
        "regions/de.yml",
        "      en: Monday to Saturday, 2 pm to 8 pm\n",
        "",
        -1,
        "the opening hours in each language, English first",
    ),
    ("regions/pe.yml", '    press: "5"\n', "    press: 5\n", 0, "`press` is the option to dial"),
    (
        "regions/pe.yml",
        '    call: "100"\n',
        '    web: gob.pe\n    press: "1"\n',
        1,
        "needs the `call`",
    ),
    (
        "regions/us.yml",
        '        press: "2"\n',
        '        press: "2"\n        ages: adult\n',
        1,
        "unknown field `ages` in `in_language.es`",
    ),
    ("regions/cl.yml", 'call: "*4141"', 'call: "**4141"', 0, "not a phone number"),
]


@pytest.mark.parametrize(("file", "old", "new", "offset", "fragment"), BAD_LINES)
def test_a_bad_line_fails_naming_its_file_and_line(packs, file, old, new, offset, fragment):
    path = packs / file
    line = edit(path, old, new) + offset
    assert_error(packs, f"{path}:{line}", fragment)


def test_an_unknown_placeholder_fails_with_the_responses_line(packs):
    path = packs / "languages" / "en" / "responses.yml"
    line = edit(path, "contact {crisis_first}.", "contact {crisis_line}.")
    found = errors(packs)
    assert any(
        "unknown placeholder {crisis_line}" in e and e.startswith(f"{path}:") for e in found
    ), found
    assert any(e.startswith(f"{path}:{line}:") for e in found), (line, found)


def test_a_button_to_an_unknown_intent_fails(packs):
    path = packs / "languages" / "en" / "responses.yml"
    edit(path, 'payload: "/worried_blame"', 'payload: "/worried_blaim"')
    assert any("not an intent of domain.yml" in e for e in errors(packs))


def test_a_crisis_example_no_pattern_catches_fails(packs):
    path = packs / "languages" / "es" / "crisis.yml"
    edit(path, "examples:\n", "examples:\n  - un ejemplo que nada atrapa\n")
    assert any("no pattern catches the example" in e for e in errors(packs))


def test_a_missing_translation_falls_back_to_english_and_is_listed_not_failed(packs, capsys):
    path = packs / "languages" / "es" / "responses.yml"
    edit(path, "  utter_thanks:", "  utter_gracias_old:")
    edit(path, "  utter_gracias_old:", "  # utter_thanks is not translated yet\n  _unused:")
    result = check(packs, PROJECT / "domain.yml")
    warnings = [str(p) for p in result.problems if p.severity == "warning"]
    assert any("`utter_thanks` is not translated: it falls back to English" in w for w in warnings)
    # `_unused` is not an English response: an unknown key is an error
    assert any("unknown response `_unused`" in e for e in map(str, result.errors))


def test_a_console_text_missing_in_a_language_fails_with_file_and_line(packs):
    path = packs / "languages" / "es" / "console.yml"
    edit(path, '  claim: "Atender"\n', "")
    texts_line = edit(path, "texts:", "texts:")
    english_line = edit(packs / "languages" / "en" / "console.yml", "  claim:", "  claim:")
    assert_error(
        packs,
        f"{path}:{texts_line}",
        f"`claim` is missing under `texts` (English has it at "
        f"{packs / 'languages' / 'en' / 'console.yml'}:{english_line})",
    )
    line = edit(path, "esperando {minutes} min", "esperando {minutos} min")
    assert_error(
        packs, f"{path}:{line}", "`summary_waiting` must use the placeholders English uses"
    )


def test_a_language_without_console_texts_falls_back_to_english_with_a_warning(packs, capsys):
    (packs / "languages" / "es" / "console.yml").unlink()
    assert main(["--content", str(packs)]) == 0
    out = capsys.readouterr().out
    assert "languages/es/console.yml:1: warning: the counselor console is not translated" in out
    from haven.packs.console_texts import load_console_texts

    assert load_console_texts("es", packs)["claim"] == "Claim"


def test_main_exits_1_and_prints_file_and_line(packs, capsys):
    path = packs / "regions" / "uk.yml"
    line = edit(path, "call: 0800 1111", "call: call-me-maybe")
    assert main(["--content", str(packs)]) == 1
    out = capsys.readouterr().out
    assert f"{path}:{line}: error:" in out
    assert re.search(r"^1 errors\. \d+ regions", out, re.M)


def test_a_crisis_list_without_a_line_open_24_7_fails(packs):
    path = packs / "regions" / "de.yml"
    edit(path, "    hours: always\n", "")  # TelefonSeelsorge no longer said to be 24/7
    line = edit(path, "crisis:", "crisis:")
    assert_error(packs, f"{path}:{line}", "`crisis` has no line open 24/7")


def test_repeating_the_emergency_number_is_a_line_open_24_7_and_is_named(packs):
    from haven.packs.content import load_content
    from haven.packs.render import Renderer

    path = packs / "regions" / "de.yml"
    edit(path, "    hours: always\n", "")
    edit(path, "  - same_as: helpline", "  - same_as: helpline\n  - same_as: emergency")
    assert not errors(packs)
    text = Renderer(load_content(packs)).render("utter_crisis", language="es", region="de")["text"]
    assert "- Los servicios de emergencia: llama al 112" in text


def test_hours_for_an_unknown_language_fail_and_a_missing_one_is_listed(packs):
    path = packs / "regions" / "de.yml"
    line = edit(path, "      es: de lunes", "      it: dal lunedì")
    result = check(packs, PROJECT / "domain.yml")
    assert any("`hours.it`: Haven has no `it`" in str(e) for e in result.errors), result.errors
    warnings = [str(p) for p in result.problems if p.severity == "warning"]
    assert any("`hours` has no `es` text: it falls back to English" in w for w in warnings)
    assert line


def test_notes_for_an_unknown_language_fail_and_a_missing_one_is_listed(packs):
    # Found when Dutch was added from scratch (docs/localize.md, "Tried from scratch"): the notes
    # in the regions missed a language silently, while the hours were listed.
    path = packs / "regions" / "us.yml"
    line = edit(path, '      es: "Lo lleva NCMEC', '      it: "Lo lleva NCMEC')
    result = check(packs, PROJECT / "domain.yml")
    assert any("`note.it`: Haven has no `it`" in str(e) for e in result.errors), result.errors
    warnings = [str(p) for p in result.problems if p.severity == "warning"]
    assert any("`note` has no `es` text: it falls back to English" in w for w in warnings)
    assert line


def test_a_pack_without_the_widgets_texts_fails(packs):
    # Found when Dutch was added from scratch (docs/localize.md): the widget's menu left the
    # language out and nothing said so.
    path = packs / "widget_strings.yml"
    text = path.read_text(encoding="utf-8")
    start, end = text.index("\n  de:\n"), text.index("\n  nl:\n")  # the German block
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    assert any("`de` has a pack but no texts here" in e for e in errors(packs)), errors(packs)


def test_a_widget_text_missing_or_misnamed_fails(packs):
    path = packs / "widget_strings.yml"
    edit(path, '    language_name: "Deutsch"', '    language_name: "German"')
    line = edit(path, '    send: "Senden"\n', "")
    found = errors(packs)
    assert any("`de.language_name` is 'German'" in e for e in found), found
    assert any("`de` has no text for `send`" in e for e in found), found
    assert line


def test_a_spanish_variant_for_a_language_haven_lacks_fails(packs):
    path = packs / "regions" / "us.yml"
    edit(
        path,
        "    in_language:\n      es:                      # Spanish-speaking",
        "    in_language:\n      it:                      # Spanish-speaking",
    )
    assert any("`in_language.it`: Haven has no `it`" in e for e in errors(packs))


def test_a_region_language_haven_lacks_fails(packs):
    path = packs / "regions" / "ca.yml"
    edit(path, "languages: [en, fr]", "languages: [en, fr, iu]")
    assert_error(packs, str(path) + ":1", "`languages`: Haven has no language `iu`")


def test_sources_prints_one_row_per_fact(capsys):
    assert main(["--sources"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Where every fact comes from")
    assert (
        "| de | crisis | TelefonSeelsorge: call 0800 111 0 111 / 0800 111 0 222; free; 24/7 |"
        in out
    )
    assert (
        "| us | crisis | 988 Lifeline: call 988, press 2; text AYUDA to 988; chat 988lifeline.org"
        in out
    )


def test_a_crisis_list_only_for_children_fails_for_adults(packs):
    # Before Samaritans, Ireland's only crisis line was ISPCC Childline (up to 18).
    path = packs / "regions" / "ie.yml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  - name: Samaritans\n")
    path.write_text(text[:start] + text[text.index("helpline:", start) :], encoding="utf-8")
    assert_error(packs, str(path), "`crisis` has no line for an adult")


def test_an_adult_crisis_line_must_answer_at_any_hour(packs):
    path = packs / "regions" / "au.yml"
    edit(path, "    call: 13 11 14\n    hours: always\n", "    call: 13 11 14\n")
    assert_error(packs, str(path), "`crisis` has no line open 24/7 for an adult")


def test_find_at_is_for_a_described_place(packs):
    path = packs / "regions" / "international.yml"
    edit(path, "  - label: child_helpline_finder\n", "  - name: Child Helpline International\n")
    assert_error(packs, str(path), "`find_at` is a list of places to find one")


def test_a_note_is_written_in_each_language_english_first(packs):
    path = packs / "regions" / "us.yml"
    line = edit(path, "    note:\n      en:", "    note:\n      it:")
    assert_error(packs, f"{path}:{line}", "`note` is a short text in each language")


def test_a_pattern_with_a_doubled_letter_fails(packs):
    # Folded text never holds "ll": such a pattern can never match.
    path = packs / "languages" / "fr" / "crisis.yml"
    edit(path, "patterns:\n", "patterns:\n  - '\\bmalle\\b'\n")
    assert any("which folded text never holds" in e for e in errors(packs))


def test_a_figure_that_describes_a_crisis_example_fails(packs):
    path = packs / "languages" / "en" / "crisis.yml"
    edit(path, "figures:\n", "figures:\n  - '\\bkil my ?self\\b'\n")
    found = errors(packs)
    assert any("catches the crisis" in e for e in found), found
    assert any("catches no `not_crisis` line" in e for e in found), found
