"""Conversations through the trained model in several regions and in Spanish: the right crisis
lines and the right takedown route for each person, as they would read them.

Loads the trained model in-process with Haven's NLG and a real action server on a free loopback
port (the fixtures of tests/conversations/conftest.py; marker `model`; needs `make train`).
`rasa test core` (tests/conversations/stories/) checks which actions run; this checks what the
young person reads.
"""

import asyncio

import pytest

from tests.support.chat import Chat

pytestmark = pytest.mark.model


def test_a_uk_minor_gets_childline_and_report_remove(agent):
    chat = Chat(agent, {"region": "GB"})
    crisis = chat.say("i honestly want to die")
    assert "999" in crisis and "Childline: call 0800 1111" in crisis and "85258" in crisis
    chat.say("some guy on snap has my nudes and wants money")
    takedown = chat.say("/ask_takedown")
    assert "childline.org.uk/remove" in takedown and "takeitdown.ncmec.org" in takedown
    assert "StopNCII" not in takedown
    report = chat.say("/ask_report_police")
    assert "CEOP Safety Centre" in report


def test_an_adult_in_the_us_gets_stopncii_and_988(agent):
    chat = Chat(agent, {"locale": "en-US"})
    adult = chat.say("im 19 btw")
    assert "StopNCII.org" in adult and "takeitdown.ncmec.org" in adult
    takedown = chat.say("/ask_takedown")
    assert "StopNCII.org" in takedown and "takeitdown.ncmec.org" in takedown
    crisis = chat.say("i want to kill myself")
    assert "988" in crisis and "911" in crisis and "741741" in crisis


def test_a_canadian_who_says_so_gets_needhelpnow_and_kids_help_phone(agent):
    chat = Chat(agent)
    assert "Canada" in chat.say("i live in canada")
    takedown = chat.say("/ask_takedown")
    assert "NeedHelpNow.ca" in takedown and "takeitdown.ncmec.org" in takedown
    assert "childline.org.uk/remove" not in takedown
    crisis = chat.say("i cant do this anymore")
    assert "Kids Help Phone" in crisis and "1-800-668-6868" in crisis


def test_australia_from_the_locale_reports_to_the_accce(agent):
    chat = Chat(agent, {"locale": "en-AU"})
    chat.say("someone is blackmailing me with pics i sent")
    report = chat.say("/ask_report_police")
    assert "accce.gov.au/report" in report and "esafety.gov.au/report" not in report
    crisis = chat.say("im not safe")
    assert "000" in crisis and "Kids Helpline" in crisis


def test_germany_picked_from_the_list(agent):
    chat = Chat(agent)
    picked = chat.say('/tell_region{"region": "de"}')
    assert "Germany" in picked
    crisis = chat.say("i want to kill myself")
    assert "112" in crisis and "116 111" in crisis
    takedown = chat.say("/ask_takedown")
    assert "takeitdown.ncmec.org" in takedown and "NeedHelpNow" not in takedown


def test_unknown_region_gets_help_for_anywhere_and_an_offer_to_pick(agent):
    crisis = Chat(agent).say("i want to die")
    assert "local emergency number" in crisis and "childhelplineinternational.org" in crisis
    assert "Choose my country" in crisis


def test_spanish_crisis_comes_in_spanish_with_the_regions_line(agent):
    chat = Chat(agent)
    first = chat.say("me quiero matar")
    assert "Me alegra mucho que me lo hayas dicho" in first
    assert "número de emergencias de tu país" in first and "Elegir mi país" in first
    japan = chat.say("vivo en japon")
    assert "Todavía no tengo líneas de ayuda de ese país" in japan and "Otro país" in japan
    chat.say('/tell_region{"region": "us"}')
    again = chat.say("no kiero vivir")
    assert again.startswith("Me alegra mucho") and "988" in again and "911" in again


def test_a_spanish_conversation_through_the_plan(agent):
    chat = Chat(agent, {"language": "es", "region": "ca"})
    start = chat.say("un tipo tiene mis fotos y me pide dinero")
    assert "No es tu culpa" in start and "Paso 1: No pagues" in start
    assert "Paso 2" in chat.say("listo")
    takedown = chat.say("/ask_takedown")
    assert "Paso 7" in takedown and "NeedHelpNow.ca" in takedown
    assert "El sitio está en español" in takedown


def test_the_user_can_switch_language_at_any_time(agent):
    chat = Chat(agent, {"region": "ie"})
    assert "Hi, I'm Haven" in chat.say("hi")
    assert "a partir de ahora te escribo en español" in chat.say("en español por favor")
    step = chat.say("/ask_what_to_do")
    assert "Paso 1" in step
    assert "I'll write in English" in chat.say('/set_language{"language": "en"}')
    assert "Step 2" in chat.say("/step_done")


def test_a_language_choice_outlasts_the_channels_hint(agent):
    chat = Chat(agent, {"language": "en"})
    chat.say("in spanish please")
    assert "Paso 1" in chat.say("/ask_what_to_do")


def headline(key: str, code: str) -> str:
    """The first line of a response in a language's pack ("Étape 1 : Ne paie pas, ...")."""
    from haven.packs.content import content
    from haven.packs.render import Renderer

    return Renderer(content()).headline(key, language=code)


def test_a_language_picked_in_the_menu_beats_one_typed_before_it(agent):
    # The widget on an English page: no metadata. "in english please" is a typed choice; the
    # menu's pick of French comes later and wins, for every reply after it.
    chat = Chat(agent)
    assert headline("utter_language_set", "en") in chat.say("in english please")
    french = {"language": "fr"}  # what the widget sends with every message after the pick
    picked = chat.say("/ask_what_to_do", {**french, "chosen_language": "fr"})
    assert headline("utter_step_dont_pay", "fr") in picked, picked
    assert headline("utter_step_stop_replying", "fr") in chat.say("/step_done", french)


def test_a_language_typed_after_a_menu_pick_beats_the_pick(agent):
    chat = Chat(agent)
    french = {"language": "fr"}
    chat.say("/greet", {**french, "chosen_language": "fr"})
    assert headline("utter_step_dont_pay", "fr") in chat.say("/ask_what_to_do", french)
    # The widget still shows French and says so with each message; the sentence is the latest.
    assert headline("utter_language_set", "en") in chat.say("in english please", french)
    assert headline("utter_step_stop_replying", "en") in chat.say("/step_done", french)
    # And picking Dutch in the menu afterwards wins again.
    dutch = {"language": "nl"}
    picked = chat.say("/ask_what_to_do", {**dutch, "chosen_language": "nl"})
    assert headline("utter_step_stop_replying", "nl") in picked, picked  # the step they are on


@pytest.mark.parametrize("code", ["pt", "fr", "de", "nl"])
def test_the_browsers_language_greets_and_the_language_typed_answers(agent, code):
    # A page without data-language in a browser set to this language: the widget sends it with
    # its greeting only (a hint), so the greeting matches the widget's texts...
    chat = Chat(agent)
    assert chat.say("/greet", {"language": code}).startswith(headline("utter_greet", code))
    # ...a button pressed next, which says nothing about language, keeps it...
    assert headline("utter_step_dont_pay", code) in chat.say("/ask_what_to_do")
    # ...and English typed on that browser gets English: they wrote it, and it was no choice.
    english = chat.say("someone is blackmailing me with my pics")
    assert english.startswith(headline("utter_disclosure_ack", "en")), english
    assert headline("utter_step_stop_replying", "en") in chat.say("/step_done")


def test_the_browsers_language_and_a_message_in_it(agent):
    chat = Chat(agent)
    assert chat.say("/greet", {"language": "fr"}).startswith(headline("utter_greet", "fr"))
    reply = chat.say("quelqu'un me fait du chantage avec mes photos")
    assert reply.startswith(headline("utter_disclosure_ack", "fr")), reply


OPENING = {
    "de": "Ich bin echt froh, dass du es mir gesagt hast",
    "fr": "Je suis vraiment content que tu me l'aies dit",
    "pt": "Que bom que você me contou",
    "nl": "Ik ben echt blij dat je het me vertelt",
}


@pytest.mark.parametrize(
    ("region", "message", "language", "lines"),
    [
        ("DE", "ich will nicht mehr leben", "de", ["ruf 112 an", "116 111"]),
        ("FR", "j'ai envie de mourir", "fr", ["appelle le 112", "appelle le 119"]),
        ("BR", "quero morrer", "pt", ["ligue para 190", "188"]),
        ("NL", "ik wil dood", "nl", ["bel 112", "113"]),
        ("CA", "je veux mourir", "fr", ["appelle le 911", "TEXTO"]),
        # the indirect ways (a bridge, self-harm, a knife, pills), which the patterns now know
        ("DE", "ich stehe auf der Brücke", "de", ["ruf 112 an", "116 111"]),
        ("FR", "je me scarifie encore", "fr", ["appelle le 112", "appelle le 119"]),
        ("BR", "vou me jogar da ponte", "pt", ["ligue para 190"]),
        ("NL", "ik snij mezelf elke dag", "nl", ["bel 112"]),
        (None, "ich will mich umbringen", "de", []),
    ],
)
def test_a_crisis_in_a_new_language_gets_the_crisis_reply_in_it(
    agent, region, message, language, lines
):
    # The classifier does not know German, French, Portuguese or Dutch yet; the crisis patterns
    # do, the message says its language, and the page its country: the crisis reply comes from
    # that language's pack with the region's lines in it.
    chat = Chat(agent, {"region": region} if region else None)
    reply = chat.say(message)
    assert OPENING[language] in reply, reply
    assert all(line in reply for line in lines), reply
    assert "didn't quite get that" not in reply and "glad you told me" not in reply


@pytest.mark.parametrize("language", ["pt", "fr", "de", "nl"])
def test_a_language_chosen_on_the_page_holds_for_every_reply(agent, language):
    # The widget's data-language or menu: metadata on every message, the greeting and buttons
    # included; a message the classifier cannot place gets "I didn't get that" in that language.
    chat = Chat(agent, {"language": language})
    greeting = chat.say("/greet")
    assert "Haven" in greeting and "I'm Haven" not in greeting, greeting
    step = chat.say("/ask_what_to_do")
    first_step = {"pt": "Passo 1", "fr": "Étape 1", "de": "Schritt 1", "nl": "Stap 1"}[language]
    assert first_step in step, step
    crisis = chat.say("i want to kill myself")
    assert OPENING[language] in crisis, crisis


@pytest.mark.parametrize(
    ("metadata", "message", "question", "line"),
    [
        # a figure of speech the classifier reads as crisis gets the same gentle question
        ({"region": "US"}, "im dead meat", "Are you safe right now?", "988"),
        ({"region": "US"}, "esto me esta matando jaja", "¿Estás a salvo ahora mismo?", "988"),
        # A weak signal for the model trained from the merged data of 2026-12-01 (a fallback
        # whose best guess is crisis). Which messages stay weak changes with each model: the
        # phrases that became crisis outright ("es que ya no aguanto", "no le importo a nadie")
        # are in the test below.
        ({"region": "US"}, "estoy rota", "¿Estás a salvo ahora mismo?", "988"),
    ],
)
def test_a_weak_crisis_signal_gets_are_you_safe_with_the_crisis_line(
    agent, metadata, message, question, line
):
    # Crisis was among the classifier's guesses, under the fallback threshold, and no pattern
    # matched: a gentle question with the crisis line, never "I didn't get that".
    reply = Chat(agent, metadata).say(message)
    assert question in reply and line in reply, reply
    assert "didn't quite get that" not in reply and "no te entend" not in reply


CRISIS_TAKEOVER = ("I'm really glad you told me", "Me alegra mucho que me lo hayas dicho")


@pytest.mark.parametrize(
    "message",
    [
        "my brother is gonna murder me lol",
        "bro im dead 💀",
        "i literally died laughing",
        "my back is killing me",
        "my laptop is dying",
        "mi papá me va a matar cuando vea mi boleta",
        "el examen de hoy me está matando",
        "estoy muerta de risa",
        "me muero de sueño",
        "me mató el examen de física",
        "dat proefwerk maakt me kapot",
        "ma mère va me tuer si elle voit ça",
        "mein Vater dreht mir den Hals um",
        "phone on 2 percent, its about to die",
    ],
)
def test_a_figure_of_speech_does_not_get_the_crisis_takeover(agent, message):
    # At most the gentle "are you safe right now?" (haven/rasa_edge/nlu/crisis_net.py downgrades the
    # classifier's crisis for a known figure of speech); never the full crisis reply.
    reply = Chat(agent, {"region": "US"}).say(message)
    assert not any(opening in reply for opening in CRISIS_TAKEOVER), reply


@pytest.mark.parametrize(
    "message",
    [
        "he said hes going to kill me",
        "the guy is going to hurt me",
        "im not safe",
        "my mom is gonna kill me and honestly i want to die",
        "el tipo de insta dice que me va a matar",
    ],
)
def test_a_real_threat_still_gets_the_crisis_reply(agent, message):
    reply = Chat(agent, {"region": "US"}).say(message)
    assert any(opening in reply for opening in CRISIS_TAKEOVER), reply
    assert "988" in reply


@pytest.mark.parametrize(
    "message",
    [
        "i dont see the point anymore",
        "tengo las pastillas aquí",
        "everyone would be better off",
        "everything feels pointless",
        "im a waste of space",
        "i have my dads gun in my room rn",
        "díganle a mi papá q lo siento",
        "me tomé todas las pastillas de mi mamá",
        "es que ya no aguanto",
        "no le importo a nadie",
        "no valgo nada",
        "ya no puedo",
    ],
)
def test_a_veiled_crisis_message_gets_the_crisis_line_never_a_rephrase(agent, message):
    """Crisis help first, whether the model reads crisis outright or only as a weak signal."""
    reply = Chat(agent, {"region": "US"}).say(message)
    assert "988" in reply, reply
    assert "didn't quite get that" not in reply and "no te entend" not in reply


def age_band(agent, chat: Chat) -> str | None:
    """The conversation's `age_band` slot as the dialogue sees it."""
    tracker = asyncio.run(agent.tracker_store.retrieve(chat.sender))
    return tracker.get_slot("age_band")


MINOR_AGES = [
    "im 12",
    "im 14",
    "i'm 15",
    "im 16 years old",
    "17",
    "im a minor",
    "im under 18",
    "tengo 14 años",
    "soy menor de edad",
]


@pytest.mark.parametrize("stated", MINOR_AGES)
def test_a_stated_minor_age_keeps_the_under_18_tools(agent, stated):
    chat = Chat(agent, {"locale": "en-US"})
    replies = [chat.say("a guy has my nudes and wants money"), chat.say(stated)]
    replies.append(chat.say("/ask_takedown"))
    assert age_band(agent, chat) == "minor", stated
    assert not any("StopNCII" in reply for reply in replies), stated
    assert "takeitdown.ncmec.org" in replies[-1]


def test_a_stated_minor_stays_a_minor_when_a_later_turn_sounds_adult(agent):
    chat = Chat(agent, {"locale": "en-US"})
    chat.say("im 15")
    later = chat.say("im not a kid tho")
    assert age_band(agent, chat) == "minor"
    assert "StopNCII" not in later + chat.say("/ask_takedown")


def test_a_stated_adult_age_gets_the_adult_tools_and_can_correct_a_minor(agent):
    chat = Chat(agent, {"locale": "en-US"})
    chat.say("im 20 and my ex is threatening to post my pics")
    assert age_band(agent, chat) == "adult"
    assert "StopNCII.org" in chat.say("/ask_takedown")
    corrected = Chat(agent, {"locale": "en-US"})
    corrected.say("im 14")
    corrected.say("sorry typo, im 19")
    assert age_band(agent, corrected) == "adult"


@pytest.mark.parametrize(
    ("said", "name"),
    [("i live in manchester", "United Kingdom"), ("im in texas", "United States")],
)
def test_a_city_or_a_state_finds_its_region(agent, said, name):
    assert f"I'll show you help in {name}" in Chat(agent).say(said)


def test_a_negated_country_is_not_chosen(agent):
    chat = Chat(agent)
    chat.say("these numbers are for the US, I'm not there")
    crisis = chat.say("i want to die")
    assert "988" not in crisis and "local emergency number" in crisis
