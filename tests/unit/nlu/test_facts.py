"""Stated facts (haven/nlu/facts.py): the writer's age and where they are, read from fresh phrasings
that are not in any word list or training file, over the shipped packs. No Rasa needed.

Before this reader, "im 14" and "tengo 14 años" were the intent `adult_user` and so an adult.
"""

import dataclasses

import pytest

from haven.nlu import facts
from haven.nlu.facts import ADULT, MINOR, AgeFact, AgeReader, RegionReader, read_age, read_region
from haven.packs.content import content
from tests.support.messages import long_message


@pytest.fixture(scope="module")
def packs():
    return content()


@pytest.fixture(scope="module")
def ages(packs):
    return AgeReader(packs)


@pytest.fixture(scope="module")
def places(packs):
    return RegionReader(packs)


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("im 12", 12),
        ("im 14", 14),
        ("i'm 15", 15),
        ("I’m 15 and scared", 15),
        ("im 16 years old", 16),
        ("17", 17),
        ("17.", 17),
        ("i am 14yo", 14),
        ("i am only 13", 13),
        ("14 yrs", 14),
        ("14 y/o and he wont stop", 14),
        ("14f", 14),
        ("f15 here", 15),
        ("16 here", 16),
        ("turning 15 in may", 14),
        ("turning 18 next week", 17),  # still 17 today
        ("im almost 18", 17),
        ("i'm fifteen", 15),
        ("im literally thirteen", 13),
        ("my age is 14", 14),
        ("age 13", 13),
        ("im 17 almost 18", 17),
        ("tengo 14", 14),
        ("tengo 14 años", 14),
        ("14 años", 14),
        ("tengo catorce años", 14),
        ("tengo solo 13 años", 13),
        ("tengo casi 18", 17),
        ("voy a cumplir 16", 15),
        ("me faltan 2 para los 18", 16),
        ("me faltan 3 años para los 18", 15),
        ("2 years till im 18", 16),
        ("hi. im 14 and he has my pics", 14),
        ("my ex is 19 and im 15", 15),  # the writer's age, not the ex's
        ("i was 15 when i sent them, im 20 now", 15),  # pictures of a minor: the youngest
    ],
)
def test_a_stated_minor_age_is_read_as_a_number(ages, text, age):
    assert ages.read(text) == AgeFact(MINOR, age)


@pytest.mark.parametrize(
    "text",
    [
        "im a minor",
        "im under 18",
        "im underage",
        "im not 18 yet",
        "in 8th grade",
        "im in grade 10",
        "im in year 9",
        "im a year 10",
        "im in high school",
        "middle school",
        "im not an adult",
        "soy menor",
        "soy menor de edad",
        "voy en secundaria",
        "estoy en 2do de secundaria",
        "estoy en la prepa",
        "todavía no tengo 18",
    ],
)
def test_words_that_say_minor(ages, text):
    assert ages.read(text) == AgeFact(MINOR)


@pytest.mark.parametrize(
    ("text", "fact"),
    [
        ("im 20 and my ex is threatening me", AgeFact(ADULT, 20)),
        ("im 19", AgeFact(ADULT, 19)),
        ("i'm twenty one", AgeFact(ADULT, 21)),
        ("18 here", AgeFact(ADULT, 18)),
        ("just turned 18", AgeFact(ADULT, 18)),
        ("tengo 19 años", AgeFact(ADULT, 19)),
        ("tengo veintidós", AgeFact(ADULT, 22)),
        ("im in high school but im 18", AgeFact(ADULT, 18)),  # a number beats words
        ("im an adult", AgeFact(ADULT)),
        ("i am actually over 18", AgeFact(ADULT)),
        ("im not a minor", AgeFact(ADULT)),  # longer than "a minor"
        ("im technically an adult", AgeFact(ADULT)),
        ("im in college", AgeFact(ADULT)),
        ("i'm in my twenties", AgeFact(ADULT)),
        ("soy mayor de edad", AgeFact(ADULT)),
        ("no soy menor de edad", AgeFact(ADULT)),
        ("estoy en la universidad", AgeFact(ADULT)),
    ],
)
def test_a_stated_adult(ages, text, fact):
    assert ages.read(text) == fact


@pytest.mark.parametrize(
    "text",
    [
        "i paid 50",
        "50",  # a number alone outside 10-29 is not an age
        "he wants 500",
        "he wants 20 more",
        "it was 2 days ago",
        "10 years ago",
        "step 3",
        "3",
        "call 1-800-843-5678",
        "im 5 minutes from home",
        "im 5'4",
        "my ex is 19",
        "ill be grounded till im 30",
        "he's 25 years old",
        "shes 14yo",
        "my sister is in college",
        "should i tell an adult",
        "is this only for people over 18",
        "un adulto me está extorsionando",
        "me pide 100 dólares",
        "hace 2 años",
        "someone has my pics",
        "",
    ],
)
def test_numbers_and_words_that_are_no_age_of_the_writer(ages, text):
    assert ages.read(text) is None


def test_a_minor_beats_an_adult_when_words_disagree(ages):
    assert ages.read("im in college, well not yet, im in high school").band == MINOR


def test_one_language_reads_only_its_own_words(ages):
    assert ages.read("tengo 14", "en") is None
    assert ages.read("tengo 14", "es") == AgeFact(MINOR, 14)
    assert read_age("im 14", "en") == AgeFact(MINOR, 14)


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("i live in manchester", "uk"),
        ("im in glasgow", "uk"),
        ("im in texas", "us"),
        ("from new york", "us"),
        ("vivo en nueva york", "us"),
        ("im in british columbia", "ca"),  # not "british": the longer name wins
        ("calgary", "ca"),
        ("im in new south wales", "au"),  # not Wales
        ("perth", "au"),
        ("im in cork", "ie"),
        ("mumbai", "in"),
        ("i'm from the UK", "uk"),
        ("im in canada not the us", "ca"),
        ("im not in the uk, im in ireland", "ie"),
        ("i dont want to pay, im in the uk", "uk"),  # the negation is about paying
        ("no, estoy en londres", "uk"),  # "no," answers; it does not negate
        ("I was in the US but now I live in Canada", "ca"),
    ],
)
def test_a_country_city_or_state_finds_its_region(places, text, region):
    assert places.read(text) == region


@pytest.mark.parametrize(
    "text",
    [
        "these numbers are for the US, I'm not there",
        "not in the US",
        "im not from the uk",
        "I don't live in the US anymore",
        "i dont live in australia",
        "no estoy en Estados Unidos",
        "no vivo en Canadá",
        "esos números son de Reino Unido, yo no vivo ahí",
    ],
)
def test_a_negated_place_is_never_chosen(places, text):
    assert places.read(text) is None
    assert places.mentions(text) and all(m.negated for m in places.mentions(text))


def test_regions_come_from_the_packs_words_only(packs):
    # A pack nobody has written yet (Japan): its words find it once it exists, not before.
    japan = dataclasses.replace(
        packs.regions["us"], code="jp", name="Japan", words=("japon", "osaka")
    )
    more = dataclasses.replace(packs, regions={**packs.regions, "jp": japan})
    assert read_region("vivo en osaka", packs=more) == "jp"
    assert read_region("no estoy en Japón, estoy en Texas", "es", more) == "us"
    assert read_region("vivo en osaka") is None


def test_an_age_at_the_end_of_a_long_message_is_read(ages):
    assert ages.read(long_message("btw im 14")) == AgeFact(MINOR, 14)
    assert ages.read(long_message("soy menor de edad")) == AgeFact(MINOR)


def test_skipping_the_phrases_a_message_cannot_hold_reads_the_same(
    ages, training_texts, monkeypatch
):
    # haven.nlu.facts._within leaves out the band phrases and templates whose words are not in the
    # message; with it turned off, every phrase is looked for in every clause, as before.
    texts = training_texts + [long_message(text) for text in training_texts[::60]]
    fast = [ages.read(text) for text in texts]
    monkeypatch.setattr(facts, "_within", lambda words, said, joined: words)
    assert [ages.read(text) for text in texts] == fast
    assert sum(fact is not None for fact in fast) >= 50  # the check compares ages, not Nones
