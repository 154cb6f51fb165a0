"""scripts/eval_heldout.py counts what the issue asks, from readings made up here (no model).

The held-out figures decide whether other work on understanding is done, so the counting itself
is checked: a crisis message left at `nlu_fallback` with `crisis` among the top guesses is caught
by the safety check but not taken over; a figure of speech read as `crisis` is a false alarm; a
stated minor read as adult fails its target.
"""

import importlib.util
import sys

import pytest

from tests.support import PROJECT

_SPEC = importlib.util.spec_from_file_location(
    "eval_heldout", PROJECT / "scripts" / "eval_heldout.py"
)
eval_heldout = importlib.util.module_from_spec(_SPEC)
sys.modules["eval_heldout"] = eval_heldout  # dataclasses look their module up there
_SPEC.loader.exec_module(eval_heldout)


def reading(text, expected, got, kind="other", ranking=None, **fields):
    entities = fields.pop("entities", {})
    entry = {"text": text, "intent": expected, "kind": kind, **fields}
    return eval_heldout.Reading(entry, got, ranking or [{"name": got, "confidence": 0.9}], entities)


def figures(*readings, language="en"):
    result = eval_heldout.Figures(language, list(readings))
    eval_heldout.collect_misses(result)
    return result


def test_a_fallback_with_crisis_among_the_guesses_is_checked_but_not_taken_over():
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.45},
        {"name": "feeling_upset", "confidence": 0.30},
        {"name": "crisis", "confidence": 0.25},
    ]
    weak = reading("left a note", "crisis", "nlu_fallback", "crisis", ranking)
    assert weak.checked and not weak.takeover
    # Placed with an intent, the message gets that intent's reply: no safety check.
    placed = [{"name": "goodbye", "confidence": 0.6}, {"name": "crisis", "confidence": 0.3}]
    missed = reading("a quiet goodbye", "crisis", "goodbye", "crisis", placed)
    assert not missed.checked
    measured = figures(weak, missed)
    assert measured.misses["crisis"] == [
        "`left a note`: got nlu_fallback (safety check)",
        "`a quiet goodbye`: got goodbye (nothing)",
    ]


def test_a_figure_of_speech_read_as_crisis_is_a_false_alarm_and_fails_its_target():
    measured = figures(
        reading("my mom will kill me", "cant_tell_parents", "crisis", "figure"),
        reading("this homework is killing me", "out_of_scope", "out_of_scope", "figure"),
    )
    assert measured.misses["false alarm"] == ["`my mom will kill me`: expected cant_tell_parents"]
    assert "- at most 10% takeover on figures of speech: **NOT met (en)**" in (
        eval_heldout.targets([measured])
    )


def test_a_stated_minor_read_as_adult_fails_its_target_and_a_minor_read_right_passes():
    wrong = figures(
        reading(
            "im 14",
            "adult_user",
            "adult_user",
            "age",
            age_band="minor",
            entities={"age_band": "adult"},
        )
    )
    right = figures(
        reading(
            "im 14",
            "adult_user",
            "adult_user",
            "age",
            age_band="minor",
            entities={"age_band": "minor"},
        ),
        language="es",
    )
    lines = eval_heldout.targets([wrong, right])
    assert "- no stated minor read as adult: **NOT met (en)**" in lines
    assert wrong.misses["age"] == ["`im 14`: expected minor, got adult"]


def test_the_table_reports_accuracy_macro_f1_and_regions_per_language():
    measured = figures(
        reading(
            "im in texas",
            "tell_region",
            "tell_region",
            "place",
            region="us",
            entities={"region": "us"},
        ),
        reading("im in ohio", "tell_region", "greet", "place", region="us"),
    )
    rows = "\n".join(eval_heldout.table([measured]))
    assert "| intent accuracy | 0.500 |" in rows
    assert "| regions found for places | 0.500 (1/2) |" in rows
    assert measured.misses["region"] == ["`im in ohio`: expected us, got no region"]


def test_a_later_batch_gets_its_own_crisis_and_figure_rows():
    first = reading("i want to die", "crisis", "crisis", "crisis")
    later = reading("left my sister a note", "crisis", "goodbye", "crisis", batch=2)
    figure = reading("my dad will murder me", "cant_tell_parents", "crisis", "figure", batch=2)
    measured = figures(first, later, figure)
    lines = eval_heldout.batch_tables([measured])
    batch_two = lines[lines.index("### Batch 2") :]
    assert (
        "| crisis recall, takeover or check | 1.000 (1/1) |" in lines[: lines.index("### Batch 2")]
    )
    assert "| crisis recall, takeover or check | 0.000 (0/1) |" in batch_two
    assert "| false alarms on figures (takeover) | 1.000 (1/1) |" in batch_two
    assert not any(line.startswith("| regions found") for line in lines)
    assert measured.misses["crisis"] == ["`left my sister a note` (batch 2): got goodbye (nothing)"]
    # One batch only: no extra tables.
    assert eval_heldout.batch_tables([figures(first)]) == []


def test_each_batch_gets_its_own_intent_accuracy_and_a_later_miss_names_its_batch():
    measured = figures(
        reading("im in texas", "tell_region", "tell_region"),
        reading("im in ohio", "tell_region", "greet"),
        reading("i live in arizona", "tell_region", "tell_region", batch=2),
        reading("did the thing", "step_done", "whats_left", batch=2),
    )
    lines = eval_heldout.batch_tables([measured])
    batch_two = lines.index("### Batch 2")
    assert "| intent accuracy | 0.500 |" in lines[:batch_two]
    assert "| intent accuracy | 0.500 |" in lines[batch_two:]
    assert measured.misses["intent"] == [
        "`im in ohio`: expected tell_region, got greet",
        "`did the thing` (batch 2): expected step_done, got whats_left",
    ]


def test_a_question_counts_as_found_only_when_every_topic_asked_is_among_the_entities():
    both = reading(
        "should i pay, and how do i get it taken down",
        "ask_should_pay",
        "ask_should_pay",
        questions=["should_pay", "takedown"],
    )
    both.questions = ("should_pay", "takedown", "evidence")  # more than asked still answers it
    half = reading(
        "devo pagar? e como tiro da internet",
        "ask_should_pay",
        "ask_should_pay",
        questions=["should_pay", "takedown"],
    )
    half.questions = ("should_pay",)
    unasked = reading("hi", "greet", "greet")
    measured = figures(both, half, unasked, language="pt")
    assert "| questions found (every topic asked) | 0.500 (1/2) |" in eval_heldout.table([measured])
    assert measured.misses["question"] == [
        "`devo pagar? e como tiro da internet`: expected should_pay, takedown, got should_pay"
    ]


def test_the_table_says_how_many_stated_ages_were_read_as_no_age_or_the_other_band():
    measured = figures(
        reading("tenho 14", "disclose_sextortion", "disclose_sextortion", "age", age_band="minor"),
        reading(
            "tenho 19",
            "adult_user",
            "adult_user",
            "age",
            age_band="adult",
            entities={"age_band": "minor"},
        ),
    )
    rows = eval_heldout.table([measured])
    assert "| stated minors read as no age | 1.000 (1/1) |" in rows
    assert "| stated adults read as minor | 1.000 (1/1) |" in rows
    assert measured.misses["age"] == [
        "`tenho 14`: expected minor, got no age",
        "`tenho 19`: expected adult, got minor",
    ]


def test_a_batch_and_languages_can_be_measured_on_their_own():
    sets = {
        "en": [{"text": "a"}, {"text": "b", "batch": 11}],
        "pt": [{"text": "c", "batch": 10}, {"text": "d", "batch": 11}],
        "es": [{"text": "e"}],
    }
    assert eval_heldout.chosen(sets, 11, None) == {
        "en": [{"text": "b", "batch": 11}],
        "pt": [{"text": "d", "batch": 11}],
    }
    assert eval_heldout.chosen(sets, None, ["es", "en"]) == {"en": sets["en"], "es": sets["es"]}
    assert eval_heldout.chosen(sets, None, None) == sets


def test_a_set_with_no_figure_of_speech_does_not_fail_the_false_alarm_target():
    ages_only = figures(
        reading(
            "tenho 14",
            "disclose_sextortion",
            "disclose_sextortion",
            "age",
            age_band="minor",
            entities={"age_band": "minor"},
        )
    )
    assert "- at most 10% takeover on figures of speech: **met**" in eval_heldout.targets(
        [ages_only]
    )


def test_an_everyday_message_read_as_crisis_is_counted_apart_from_the_figures():
    measured = figures(
        reading("to em recife agora", "tell_region", "crisis", "place", region="br"),
        reading("tenho 14", "tell_age", "tell_age", "age", age_band="minor"),
        reading("i want to die", "crisis", "crisis", "crisis"),
        reading("this homework is killing me", "out_of_scope", "crisis", "figure"),
    )
    lines = eval_heldout.table([measured])
    assert "| other messages taken over as crisis | 0.500 (1/2) |" in lines
    assert "| false alarms on figures (takeover) | 1.000 (1/1) |" in lines


def write_sets(folder, *languages):
    """A held-out folder with one crisis message per language."""
    folder.mkdir()
    for language in languages:
        text = f"language: {language}\nmessages:\n- text: x\n  intent: crisis\n  kind: crisis\n"
        (folder / f"{language}.yml").write_text(text, encoding="utf-8")
    return folder


def test_every_heldout_file_is_measured_english_and_spanish_first(tmp_path):
    # A new language is its file: no list in the script to add it to.
    folder = write_sets(tmp_path / "heldout", "pt", "it", "es", "en", "de")
    assert list(eval_heldout.load_sets(folder)) == ["en", "es", "de", "it", "pt"]


def test_a_crisis_message_of_a_later_language_must_be_taken_over_not_only_checked():
    weak = [{"name": "nlu_fallback", "confidence": 0.4}, {"name": "crisis", "confidence": 0.3}]
    checked = [reading("voglio morire", "crisis", "nlu_fallback", "crisis", ranking=weak)]
    assert checked[0].checked and not checked[0].takeover
    lines = eval_heldout.targets(
        [figures(*checked, language="it"), figures(*checked, language="es")]
    )
    assert "- every it crisis message gets the crisis reply: **NOT met (it)**" in lines
    # English and Spanish are held to the takeover target of every language only.
    assert "- crisis recall 1.0 in every language (takeover): **NOT met (it, es)**" in lines


def test_a_language_with_no_heldout_file_is_refused_by_name(tmp_path, capsys):
    folder = write_sets(tmp_path / "heldout", "en", "nl")
    with pytest.raises(SystemExit) as stop:  # before looking for a model: none is needed
        eval_heldout.main(["--heldout", str(folder), "--languages", "nl", "it"])
    assert stop.value.code == 2
    error = capsys.readouterr().err
    assert f"no held-out set for it in {folder} (there is one for en, nl)" in error
