"""What the bot says, in every language, region and age group: facts only from the packs (and the
packs' facts from the help directory), StopNCII only for adults, no blame, safe advice.

Every response is rendered as a user would get it (haven/packs/render.py); no trained model is
needed.
"""

import re

import pytest

from haven.packs.channel_messages import load_channel_messages
from haven.packs.content import INTERNATIONAL, content
from haven.packs.content_check import sources_table
from haven.packs.render import Renderer
from tests.support import PROJECT

HELP_DIRECTORY = PROJECT.parent / "shared" / "reference" / "help-directory.md"
AGES = (None, "minor", "adult")

PHONE_LIKE = re.compile(r"(?<![\w-])(?:\d[\d -]{4,}\d|\d{3,})(?![\w-])")
ADDRESS_LIKE = re.compile(
    r"\b(?:[a-z0-9-]+\.)+(?:org|com|gov|net|uk|ie|ca|au|nz|de|fr|nl|br|in|mx|es|ar|co|cl|pe)\b",
    re.I,
)
PAGE = re.compile(r"\b(?:[a-z0-9-]+\.)+[a-z]{2,}/[^ ;,)]+", re.I)
"""A page's address in a `source` ("3114.fr/que-se-passe-t-il-quand-je-contacte-le-3114/")."""


@pytest.fixture(scope="module")
def packs():
    return content()


@pytest.fixture(scope="module")
def renderer(packs):
    return Renderer(packs)


def rendered(packs, renderer, ages=AGES):
    """(language, region, age_band, key, text, buttons) for every response anyone can get."""
    for language, pack in packs.languages.items():
        for region in [*packs.regions, None]:
            for age_band in ages:
                slots = {"age_band": age_band, "progress_done": "-", "progress_left": "-"}
                for key in pack.responses:
                    message = renderer.render(key, language=language, region=region, slots=slots)
                    yield language, region, age_band, key, message["text"], message.get("buttons")


def every_text(packs, renderer):
    for language, region, age_band, key, text, buttons in rendered(packs, renderer):
        yield (language, region, age_band, key), text
        for button in buttons or []:
            yield (language, region, age_band, key), button["title"]
    for language in packs.languages:
        for region in packs.regions:
            metadata = {"language": language, "region": region}
            for key, text in load_channel_messages(metadata).items():
                yield (language, region, None, f"channel:{key}"), text


def known_values(packs) -> list[str]:
    values = [value for entry in packs.entries() for value in _values(entry)]
    return sorted(values, key=len, reverse=True)


def _values(entry) -> list[str]:
    return entry.values() if hasattr(entry, "values") else [entry.web]


def test_every_number_and_address_the_bot_gives_comes_from_a_pack(packs, renderer):
    known = known_values(packs)
    unlisted = set()
    for where, text in every_text(packs, renderer):
        rest = text
        for value in known:
            rest = re.sub(re.escape(value), " ", rest, flags=re.I)
        for found in PHONE_LIKE.findall(rest) + ADDRESS_LIKE.findall(rest):
            unlisted.add((where[0], where[3], found))
    assert not unlisted, f"numbers or addresses that no pack lists: {sorted(unlisted)[:10]}"


def test_every_entry_is_dated_and_says_where_it_comes_from(packs):
    for entry in packs.entries():
        assert entry.source and entry.checked and str(entry.checked) >= "2026-01-01", entry
        assert isinstance(entry.verified, bool), entry


def directory_cells() -> list[str]:
    cells = []
    for line in HELP_DIRECTORY.read_text(encoding="utf-8").splitlines():
        cells += [cell.strip().lower() for cell in line.split("|")] if "|" in line else [line]
    return cells


def entry_values_and_cells(packs):
    """(entry, value, the help directory's table cells that give the value) for every fact."""
    cells = directory_cells()
    for entry in packs.entries():
        for value in _values(entry):
            yield entry, value, [cell for cell in cells if value.lower() in cell]


@pytest.mark.skipif(not HELP_DIRECTORY.exists(), reason="../shared/reference is not checked out")
def test_facts_said_to_come_from_the_help_directory_are_in_it(packs):
    for entry, value, holding in entry_values_and_cells(packs):
        if entry.source.startswith("help-directory.md"):
            assert holding, (entry.source, value)


def test_a_verified_fact_from_outside_the_help_directory_names_the_page_it_was_checked_on(packs):
    for entry in packs.entries():
        if entry.verified and not entry.source.startswith("help-directory.md"):
            assert PAGE.search(entry.source), f"verified, but no page is named: {entry.source}"


def test_every_region_has_a_crisis_line_that_answers_at_any_hour(packs):
    for code, region in packs.regions.items():
        if code != INTERNATIONAL:  # the fallback points to a directory of every country's lines
            assert any(entry.always_open for entry in region.crisis), code


def test_docs_sources_md_lists_every_fact_as_the_packs_have_it(packs):
    shipped = (PROJECT / "docs" / "sources.md").read_text(encoding="utf-8")
    assert shipped == sources_table(packs), "docs/sources.md is out of date: run `make sources`"
    for entry in packs.entries():
        assert entry.source in shipped


@pytest.mark.skipif(not HELP_DIRECTORY.exists(), reason="../shared/reference is not checked out")
def test_what_the_help_directory_marks_verify_ships_unverified(packs):
    for entry, value, holding in entry_values_and_cells(packs):
        if holding and all("(verify" in cell for cell in holding):
            assert entry.verified is False, value


def test_stopncii_is_never_offered_to_anyone_under_18_or_of_unknown_age(packs, renderer):
    for language, region, _, key, text, _ in rendered(packs, renderer, ages=(None,)):
        assert "stopncii" not in text.lower(), (language, region, key)


def test_adults_get_stopncii_and_everyone_gets_take_it_down(packs, renderer):
    for language in packs.languages:
        for region in packs.regions:
            for age_band in AGES:
                slots = {"age_band": age_band}
                text = renderer.render(
                    "utter_step_take_down", language=language, region=region, slots=slots
                )["text"]
                assert "takeitdown.ncmec.org" in text, (language, region, age_band)
                assert ("StopNCII.org" in text) == (age_band == "adult"), (language, region)


@pytest.mark.parametrize(
    ("tool", "only_in"), [("childline.org.uk/remove", "uk"), ("NeedHelpNow.ca", "ca")]
)
def test_regional_tools_are_offered_to_minors_in_their_region_only(packs, renderer, tool, only_in):
    for language, region, age_band, key, text, _ in rendered(packs, renderer):
        if tool in text:
            assert region == only_in and age_band != "adult", (language, region, key)
    text = renderer.render("utter_step_take_down", language="en", region=only_in, slots={})
    assert tool in text["text"]


BLAME = {
    "en": re.compile(
        r"\bwhy (did|would|were) you\b"
        r"|\byou should(n't| not) have (sent|done|shared|trusted|talked)\b"
        r"|\bhow could you\b"
    ),
    "es": re.compile(
        r"\bpor ?qu[eé] (lo )?(hiciste|mandaste|enviaste)\b"
        r"|\bno (deber[ií]as|tendr[ií]as que) haber\b"
        r"|\bc[oó]mo pudiste\b"
    ),
    "pt": re.compile(
        r"\bpor ?qu[eê] (voc[eê] )?(fez|mandou|enviou|confiou)\b"
        r"|\bn[aã]o deveria ter (mandado|feito|enviado|confiado)\b"
        r"|\bcomo (voc[eê] )?p[oô]de\b"
    ),
    "fr": re.compile(
        r"\bpourquoi (tu as|as-tu|t'as) (envoy|fait|parl|fait confiance)"
        r"|\btu n'aurais (pas|jamais) d[uû]\b"
        r"|\bcomment as-tu pu\b|\bcomment t'as pu\b"
    ),
    "de": re.compile(
        r"\bwarum hast du\b|\bdu h[aä]ttest (nicht|nie|niemals)\b|\bwie konntest du\b"
    ),
    "nl": re.compile(r"\bwaarom heb je\b|\bje had (niet|nooit) moeten\b|\bhoe kon je\b"),
}


def test_every_language_has_wording_checks():
    # A new language adds its blame and keep-the-image patterns here (docs/localize.md).
    for language in content().languages:
        assert language in BLAME and language in KEEP_VERBS, language


def test_nothing_the_bot_says_blames_the_young_person(packs, renderer):
    for where, text in every_text(packs, renderer):
        assert not BLAME[where[0]].search(text.lower()), where


KEEP_VERBS = {
    "en": re.compile(r"\b(screenshot|save|keep|forward|send|upload|share)\b"),
    "es": re.compile(r"\b(captura|guard|reenv|mand|envi|sub|compart)\w*"),
    "pt": re.compile(r"\b(print|guard|salv|repass|mand|envi|compartilh)\w*"),
    "fr": re.compile(r"\b(captur|gard|transf[eé]r|envoi|envoy|d[eé]pos|partag|enregistr)\w*"),
    "de": re.compile(r"\b(screenshot|speicher|sicher|schick|weiterleit|leite|teil|lad|hochlad)\w*"),
    "nl": re.compile(r"\b(screenshot|bewaar|opsla|sla|doorstuur|stuur|upload|deel|delen)\w*"),
}
THE_IMAGE = {
    "en": re.compile(r"\b(picture|image|photo|video|nude)s?\b"),
    "es": re.compile(r"\b(foto|imagen|video|nude|pack)s?\b"),
    "pt": re.compile(r"\b(foto|fotos|imagem|imagens|v[ií]deos?|nudes?)\b"),
    "fr": re.compile(r"\b(photo|image|vid[eé]o|nude)s?\b"),
    "de": re.compile(r"\b(bild|bilder|foto|fotos|videos?|nacktbild\w*)\b"),
    "nl": re.compile(r"\b(foto|video|naaktfoto)\w*"),
}
# "the picture itself": "zelf" with its space, so that "jezelf" (yourself) does not count.
ITSELF = {
    "en": "itself",
    "es": "misma",
    "pt": "em si",
    "fr": "elle-même",
    "de": "selbst",
    "nl": " zelf",
}
NEGATION = {
    "en": re.compile(r"\b(never|don't|do not|not|no need|don't need|won't|doesn't)\b"),
    "es": re.compile(r"\b(nunca|no|jam[aá]s|ni)\b"),
    "pt": re.compile(r"\b(nunca|n[aã]o|nem|jamais)\b"),
    "fr": re.compile(r"\bne\b|\bn'|\b(jamais|pas|sans)\b"),
    "de": re.compile(r"\b(nie|niemals|nicht|kein\w*|ohne)\b"),
    "nl": re.compile(r"\b(nooit|niet|geen|zonder)\b"),
}


def test_evidence_advice_never_asks_to_keep_or_send_the_image_itself(packs, renderer):
    for where, text in every_text(packs, renderer):
        language = where[0]
        for sentence in re.split(r"(?<=[.!?])\s+|\n+", text.lower()):
            if (
                KEEP_VERBS[language].search(sentence)
                and THE_IMAGE[language].search(sentence)
                and ITSELF[language] in sentence
            ):
                assert NEGATION[language].search(sentence), (where, sentence)


def test_evidence_step_says_what_to_save_and_never_the_image(renderer):
    text = renderer.render("utter_step_save_evidence", language="en", region=None)["text"].lower()
    for thing in ("chat", "profile", "username", "links", "pay", "dates"):
        assert thing in text
    assert "the picture or video itself isn't on the screen" in text
    assert "don't make new copies of the picture and never send it on" in text
    assert "don't delete your account" in text


def test_the_greeting_discloses_a_bot_its_limits_and_asks_for_no_name_or_pictures(renderer):
    text = renderer.render("utter_greet", language="en", region=None)["text"].lower()
    assert "automated assistant" in text and "not a person" in text
    assert "can't" in text  # what it cannot do
    assert "private, but" in text  # limits of confidentiality
    assert "don't tell me your name" in text and "never send me any pictures" in text


def test_every_step_offers_done_why_and_help_in_every_language(packs, renderer):
    for language, pack in packs.languages.items():
        for key in pack.responses:
            if key.startswith("utter_step_"):
                message = renderer.render(key, language=language, region="us")
                payloads = {button["payload"] for button in message["buttons"]}
                assert payloads == {"/step_done", "/ask_why", "/need_help_step"}, (language, key)


def test_crisis_reply_gives_the_regions_lines_first(packs, renderer):
    for language in packs.languages:
        for code, region in packs.regions.items():
            text = renderer.render("utter_crisis", language=language, region=code)["text"]
            first = region.crisis[0].values()[0]
            assert first in text and text.index(first) < 400, (language, code)
            for number in region.emergency.values():
                assert number in text, (language, code)


def test_replies_stay_short_enough_to_read_on_a_phone(packs, renderer):
    for where, text in every_text(packs, renderer):
        assert len(text) <= 1000, f"{where} is {len(text)} characters"


# --- help that answers: entries named inside sentences, adults as adults, one story ---------


def test_entries_described_by_a_label_read_right_inside_a_sentence(renderer):
    goodbye = renderer.render("utter_goodbye", language="en", region=None)["text"]
    assert (
        "contact a helpline for young people in your country (find one at "
        "childhelplineinternational.org)" in goodbye
    )
    adios = renderer.render("utter_goodbye", language="es", region=None)["text"]
    assert (
        "comunícate con una línea de ayuda para jóvenes de tu país (búscala en "
        "childhelplineinternational.org)" in adios
    )
    crisis = renderer.render("utter_crisis", language="en", region=None)["text"]
    assert "- A helpline for young people in your country: find one at" in crisis
    scams = renderer.render("utter_recovery_service", language="en", region="uk")["text"]
    assert "CEOP Safety Centre and the police number for when it isn't an emergency, and" in scams


def test_adults_get_crisis_lines_open_at_any_hour_and_never_a_childrens_line(packs, renderer):
    for code, region in packs.regions.items():
        for_adults = [entry for entry in region.crisis if entry.is_for(adult=True)]
        assert for_adults, code
        if code != INTERNATIONAL:
            assert any(e.always_open or e is region.emergency for e in for_adults), code
        child_only = [v for e in region.entries() if e.ages == "under_18" for v in e.phones()]
        for language in packs.languages:
            slots = {"age_band": "adult"}
            text = renderer.render("utter_crisis", language=language, region=code, slots=slots)
            assert not any(number in text["text"] for number in child_only), (code, language)


CHILDRENS_LINES = {
    "uk": "0800 1111",  # Childline, up to 19
    "ie": "1800 66 66 66",  # ISPCC Childline, up to 18
    "au": "1800 55 1800",  # Kids Helpline, 5 to 25
    "ca": "1-800-668-6868",  # Kids Help Phone
}


@pytest.mark.parametrize(("region", "number"), CHILDRENS_LINES.items())
def test_an_adult_in_crisis_is_not_sent_to_a_childrens_line(packs, renderer, region, number):
    for language in packs.languages:
        for key in ("utter_crisis", "utter_safety_check", "utter_goodbye"):
            slots = {"age_band": "adult"}
            text = renderer.render(key, language=language, region=region, slots=slots)["text"]
            assert number not in text, (language, key)
        crisis = renderer.render(
            "utter_crisis", language=language, region=region, slots={"age_band": "adult"}
        )["text"]
        always = packs.languages[language].phrase("contact", "always")  # "24/7", "24 horas"
        assert always in crisis, (language, region)


@pytest.mark.parametrize("region", ["uk", "ie", "au", "ca"])
def test_the_childrens_lines_stay_for_children(renderer, region):
    child_line = {"uk": "0800 1111", "ie": "1800 66 66 66", "au": "1800 55 1800"}.get(
        region, "1-800-668-6868"
    )
    for age_band in (None, "minor"):
        slots = {"age_band": age_band}
        assert (
            child_line
            in renderer.render("utter_crisis", language="en", region=region, slots=slots)["text"]
        )


@pytest.mark.parametrize(
    "key", ["utter_step_block_report", "utter_step_tell_adult", "utter_already_posted"]
)
def test_adults_are_never_told_to_act_as_minors(packs, renderer, key):
    # What a minor is told about their own age and their trusted adult, in each language ("when
    # you were under 18", said to an adult about old pictures, is not that).
    minor_words = {
        "en": ("under 18", "trusted adult"),
        "es": ("menos de 18", "adulto de confianza"),
        "pt": ("você tem menos de 18", "adulto de confiança"),
        "fr": ("tu as moins de 18", "adulte de confiance"),
        "de": ("du unter 18 bist", "Erwachsenen, dem du vertraust"),
        "nl": ("je jonger bent dan 18", "volwassene die je vertrouwt"),
    }
    for language in packs.languages:
        adult = renderer.render(key, language=language, region="us", slots={"age_band": "adult"})
        minor = renderer.render(key, language=language, region="us", slots={"age_band": "minor"})
        for words in minor_words[language]:
            if words in minor["text"] and "taken when you were under 18" not in adult["text"]:
                assert words not in adult["text"], (language, key, words)
        assert adult["text"] != minor["text"], (language, key)


def test_minors_say_their_age_even_when_the_profile_shows_another(renderer):
    for age_band in (None, "minor"):
        step = renderer.render(
            "utter_step_block_report", language="en", region="us", slots={"age_band": age_band}
        )
        assert (
            "tell the app you are under 18, even if your profile shows another age" in step["text"]
        )
    paso = renderer.render("utter_step_block_report", language="es", region="mx")["text"]
    assert "aunque tu perfil diga otra edad" in paso


def test_the_picture_advice_is_one_story_with_the_takedown_tools(renderer):
    step3 = renderer.render("utter_step_save_evidence", language="en", region="uk")["text"]
    assert "you don't have to delete it now: the takedown tools in step 7 need it there" in step3
    tools = renderer.render("utter_step_take_down", language="en", region="uk")["text"]
    assert "the picture needs to be on that phone or computer" in tools  # Take It Down's FAQ
    assert "prove your age" in tools and "or a link to it, to the IWF" in tools  # Report Remove
    how = renderer.render("utter_help_take_down", language="en", region="uk")["text"]
    assert "upload the picture or video or give the link" in how
    for language in ("en", "es"):
        offer = renderer.render("utter_offer_send_image", language=language, region="uk")["text"]
        assert "never have to show" not in offer and "nunca tienes que enseñarla" not in offer


def test_the_most_common_case_is_named_without_blame(packs, renderer):
    words = {
        "en": ("probably not who they said", "doesn't make you stupid"),
        "es": ("no sea quien decía", "no te hace tonto"),
        "pt": ("provavelmente não é quem disse ser", "não faz de você burro"),
        "fr": (
            "n'est sûrement pas celle qu'elle prétend être",
            "ne fait pas de toi quelqu'un de bête",
        ),
        "de": ("wahrscheinlich nicht die, die sie vorgibt", "heißt nicht, dass du dumm bist"),
        "nl": ("waarschijnlijk niet wie hij zei", "betekent niet dat je dom bent"),
    }
    for language in packs.languages:
        for age_band in AGES:
            slots = {"age_band": age_band}
            text = renderer.render(
                "utter_disclosure_ack", language=language, region="us", slots=slots
            )
            assert all(w in text["text"] for w in words[language]), (language, age_band)


def test_threats_to_meet_or_go_live_get_never_go(packs, renderer):
    words = {
        "en": ("meet up", "go live", "never go"),
        "es": ("en persona", "en vivo", "nunca vayas"),
        "pt": ("encontrar pessoalmente", "ao vivo", "nunca vá"),
        "fr": ("te voir en vrai", "en direct", "n'y va jamais"),
        "de": ("treffen", "live", "geh niemals hin"),
        "nl": ("afspreken", "live", "ga nooit"),
    }
    for language in packs.languages:
        for key in ("utter_help_dont_pay", "utter_knows_school_family"):
            for age_band in AGES:
                slots = {"age_band": age_band}
                text = renderer.render(key, language=language, region="us", slots=slots)["text"]
                assert all(w in text for w in words[language]), (language, key, age_band)


def test_reporting_says_what_happens_next(renderer):
    uk = renderer.render("utter_step_report_authorities", language="en", region="uk")["text"]
    assert "Reports to CEOP aren't anonymous" in uk and "advisor will get in touch" in uk
    us = renderer.render("utter_step_report_authorities", language="es", region="us")["text"]
    assert "No tienes que dar tu nombre para denunciar" in us


def test_step_8_turns_on_two_step_login(packs, renderer):
    for language, words in (
        ("en", "two-step login"),
        ("es", "inicio de sesión en dos pasos"),
        ("pt", "verificação em duas etapas"),
        ("fr", "validation en deux étapes"),
        ("de", "Anmeldung in zwei Schritten"),
        ("nl", "inloggen in twee stappen"),
    ):
        for key in ("utter_step_secure_accounts", "utter_help_secure_accounts"):
            assert words in renderer.render(key, language=language, region="us")["text"]


def test_the_ai_fake_reply_routes_to_reporting_and_takedown(renderer):
    message = renderer.render("utter_ai_fake", language="en", region="us")
    assert "NCMEC CyberTipline and FBI" in message["text"] and "Take It Down" in message["text"]
    payloads = {button["payload"] for button in message["buttons"]}
    assert {"/ask_report_police", "/ask_takedown"} <= payloads


def test_no_reply_promises_removal(packs, renderer):
    for where, text in every_text(packs, renderer):
        lowered = text.lower()
        assert (
            "can still be taken down" not in lowered and "todavía se puede quitar" not in lowered
        ), where
