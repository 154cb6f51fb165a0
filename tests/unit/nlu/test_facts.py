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


# --- Portuguese, French, German, Dutch (issue 17): fresh phrasings, none from tests/nlu_heldout/


@pytest.mark.parametrize(
    ("text", "language", "fact"),
    [
        ("tenho 13", "pt", AgeFact(MINOR, 13)),
        ("eu tenho só 12 anos", "pt", AgeFact(MINOR, 12)),
        ("tô com 15 anos e to com medo", "pt", AgeFact(MINOR, 15)),
        ("tenho dezesseis", "pt", AgeFact(MINOR, 16)),
        ("14 anos, ele tem meus nudes", "pt", AgeFact(MINOR, 14)),
        ("faço 16 em março", "pt", AgeFact(MINOR, 15)),
        ("vou fazer 18 semana que vem", "pt", AgeFact(MINOR, 17)),
        ("meu namorado tem 20 e eu tenho 15", "pt", AgeFact(MINOR, 15)),
        ("tenho 19 anos", "pt", AgeFact(ADULT, 19)),
        ("tenho vinte e dois", "pt", AgeFact(ADULT, 22)),
        ("j'ai 15 ans", "fr", AgeFact(MINOR, 15)),
        ("jai que 13 ans", "fr", AgeFact(MINOR, 13)),
        ("j ai quatorze ans", "fr", AgeFact(MINOR, 14)),
        ("j'ai dix-sept ans", "fr", AgeFact(MINOR, 17)),
        ("15 ans et il menace de tout envoyer", "fr", AgeFact(MINOR, 15)),
        ("j'aurai 18 ans en mars", "fr", AgeFact(MINOR, 17)),
        ("moi j'en ai 16", "fr", AgeFact(MINOR, 16)),
        ("j'ai dix-huit ans", "fr", AgeFact(ADULT, 18)),
        ("j'ai vingt et un ans", "fr", AgeFact(ADULT, 21)),
        ("j'ai vingt-trois ans", "fr", AgeFact(ADULT, 23)),
        ("bin 13", "de", AgeFact(MINOR, 13)),
        ("ich bin erst fünfzehn", "de", AgeFact(MINOR, 15)),
        ("ich bin 16 jahre alt", "de", AgeFact(MINOR, 16)),
        ("14 jahre und er will geld", "de", AgeFact(MINOR, 14)),
        ("ich werde 18 im sommer", "de", AgeFact(MINOR, 17)),
        ("bin fast 18", "de", AgeFact(MINOR, 17)),
        ("meine schwester ist 19 und ich bin 14", "de", AgeFact(MINOR, 14)),
        ("ich bin zweiundzwanzig", "de", AgeFact(ADULT, 22)),
        ("bin 20", "de", AgeFact(ADULT, 20)),
        ("ik ben veertien", "nl", AgeFact(MINOR, 14)),
        ("ben pas 12", "nl", AgeFact(MINOR, 12)),
        ("ik ben 15 jaar oud", "nl", AgeFact(MINOR, 15)),
        ("16 jaar en hij wil geld", "nl", AgeFact(MINOR, 16)),
        ("ik word 18 in mei", "nl", AgeFact(MINOR, 17)),
        ("ik ben bijna zestien", "nl", AgeFact(MINOR, 15)),
        ("ik ben drieëntwintig", "nl", AgeFact(ADULT, 23)),
        ("ik ben al 19", "nl", AgeFact(ADULT, 19)),
    ],
)
def test_an_age_in_portuguese_french_german_and_dutch(ages, text, language, fact):
    assert ages.read(text, language) == fact
    assert ages.read(text) == fact  # as Haven reads it: every language's words at once


@pytest.mark.parametrize(
    ("text", "band"),
    [
        ("sou menor de idade", MINOR),
        ("ainda não tenho 18", MINOR),
        ("to no 9º ano", MINOR),
        ("estou no primeiro ano do ensino médio", MINOR),
        ("sou maior de idade", ADULT),
        ("não sou menor de idade", ADULT),
        ("to na faculdade", ADULT),
        ("je suis mineur", MINOR),
        ("j'ai pas encore 18", MINOR),
        ("je suis en 3ème", MINOR),
        ("je suis au collège", MINOR),
        ("je suis majeure", ADULT),
        ("je suis pas mineur", ADULT),
        ("je suis à la fac", ADULT),
        ("ich bin noch minderjährig", MINOR),
        ("bin noch nicht volljährig", MINOR),
        ("ich bin in der 7. Klasse", MINOR),
        ("ich geh noch zur schule", MINOR),
        ("ich bin volljährig", ADULT),
        ("bin schon erwachsen", ADULT),
        ("ich studiere", ADULT),
        ("ik ben minderjarig", MINOR),
        ("ik zit in groep 8", MINOR),
        ("ik zit in 3 havo", MINOR),
        ("ik zit in de tweede klas", MINOR),
        ("ik ben meerderjarig", ADULT),
        ("ik ben niet minderjarig", ADULT),
        ("ik ben al volwassen", ADULT),
    ],
)
def test_words_that_say_minor_or_adult_in_the_new_languages(ages, text, band):
    assert ages.read(text) == AgeFact(band)


@pytest.mark.parametrize(
    "text",
    [
        "tenho 2 irmãos",
        "tenho 15 fotos dele no celular",
        "faz 15 minutos que ele mandou",
        "ele mandou há 3 dias",
        "minha irmã tem 19",
        "ele tem 25 anos",
        "paguei 50 reais",
        "il y a 15 minutes",
        "j'ai 2 frères",
        "ça fait 2 ans",
        "il a 18 ans",
        "mon copain a 19 ans",
        "j'ai payé 50 euros",
        "seit 3 Tagen",
        "ich hab 50 euro bezahlt",
        "bin seit 2 wochen total fertig",
        "vor 10 jahren",
        "er ist 25",
        "mein freund ist 19 jahre alt",
        "meine schwester ist Studentin",
        "om 10 uur",
        "ik ben 10 minuten weg",
        "2 jaar geleden",
        "hij is 25",
        "mijn zus is student",
        "hij wil 100 euro",
    ],
)
def test_numbers_that_are_no_age_of_the_writer_in_the_new_languages(ages, text):
    assert ages.read(text) is None


def test_each_new_language_reads_only_its_own_age_words(ages):
    assert ages.read("tenho 14", "en") is None
    assert ages.read("tenho 14", "pt") == AgeFact(MINOR, 14)
    assert ages.read("ik ben veertien", "de") is None
    assert ages.read("ich bin vierzehn", "de") == AgeFact(MINOR, 14)


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("moro no Brasil", "br"),  # "no" is "in the" in Portuguese, "not" in Spanish
        ("to no rio de janeiro", "br"),
        ("moro em Recife e ele tem minhas fotos", "br"),
        ("im in america", "us"),
        ("im from south america", "international"),  # no one region, and not the US
        ("soy de América Latina", "international"),
        ("im not in the us, im in canada", "ca"),
    ],
)
def test_a_place_read_in_every_language_at_once(places, text, region):
    assert places.read(text) == region


@pytest.mark.parametrize(
    "text",
    [
        "im not in america",
        "those are american numbers, im not in america",  # named twice, negated once: not there
        "no estoy en México",
        "no vivo en mexico",
        "não moro no Brasil",
        "eu não to no brasil",
        "je ne suis pas en France",
        "j'habite pas en france",
        "ich wohne nicht in deutschland",
        "ik woon niet in nederland",
    ],
)
def test_a_place_negated_anywhere_in_the_message_is_never_chosen(places, text):
    assert places.read(text) is None
