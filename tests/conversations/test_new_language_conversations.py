"""Whole conversations in Portuguese (Brazil), French (France, and Canada when the young person
writes French), German (Germany) and Dutch (the Netherlands), as a young person would type them:
a disclosure and the first steps, crisis at the start and in the middle of the plan, a request
for a person, and the region's help lines and takedown tools for a minor. One misreading all
six languages shared ("I haven't paid" read as "I already paid") is checked in each of them.

The page says only the country (metadata `region`), never the language: Haven has to read the
language from the messages. What the replies must say is taken from that language's pack
(content/languages/<lang>/responses.yml); the help lines are those of content/regions/<code>.yml
as the language writes them ("ligue para 188", "ruf 116 111 an"). Each check also fails when the
same reply comes from the English or Spanish pack, or with another region's lines.

The messages are written for these tests (casual, typos, accents left out), never copied from
data/nlu/<lang>/. Loads the trained model in-process with a real action server (the fixtures
of tests/conversations/conftest.py; marker `model`; needs `make train`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import pytest
import yaml

from tests.support import PROJECT
from tests.support.chat import Chat

pytestmark = pytest.mark.model


@cache
def responses(language: str) -> dict:
    """The `responses:` of a language's pack."""
    path = PROJECT / "content" / "languages" / language / "responses.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))["responses"]


def pack_text(language: str, response: str, **slots: str) -> str:
    """The text of `response` in `language`: the variant whose conditions are `slots`, or the
    one without conditions (for a response that depends on age, the under-18 one)."""
    for variant in responses(language)[response]:
        conditions = {c["name"]: c["value"] for c in variant.get("condition") or ()}
        if conditions == slots:
            return variant["text"]
    raise KeyError(f"{language}/{response} has no variant for {slots}")


def fragments(language: str, response: str, **slots: str) -> list[str]:
    """The response's literal words: its paragraphs, cut at each {placeholder} that Haven fills
    with the region's lines, without the scraps too short to say anything."""
    parts = re.split(r"\{[a-z_]+\}|\n\n", pack_text(language, response, **slots))
    return [part.strip() for part in parts if len(part.strip()) >= MEANINGFUL_CHARACTERS]


MEANINGFUL_CHARACTERS = 12


def opening(language: str, response: str, **slots: str) -> str:
    """The first words of the response, up to its first paragraph break or placeholder."""
    return fragments(language, response, **slots)[0]


def says(reply: str, language: str, response: str, **slots: str) -> None:
    """Fails unless the reply holds every literal part of the response in `language`, and not
    the opening of the same response in English or Spanish (the language Haven falls back to,
    and the one a Romance language is most often mistaken for)."""
    for fragment in fragments(language, response, **slots):
        assert fragment in reply, reply
    for other in ("en", "es"):
        assert opening(other, response, **slots) not in reply, reply


def says_to_a_minor(reply: str, language: str, response: str) -> None:
    """As `says`, for the under-18 variant of a response that has an adult one: nothing of the
    adult variant that the minor's does not also say."""
    says(reply, language, response)
    minor = fragments(language, response)
    for fragment in fragments(language, response, age_band="adult"):
        if fragment not in minor:
            assert fragment not in reply, reply


@dataclass(frozen=True)
class Person:
    """A young person in one region, writing one language, and what they type."""

    language: str
    region: str
    disclosure: str
    step_done: tuple[str, str]
    crisis_at_start: str
    crisis_mid_plan: str
    wants_a_person: str
    wants_a_person_elsewhere: str  # the same request, from a channel without live replies
    minor: tuple[str, str, str, str]  # age and disclosure, takedown, where to report, no parent
    emergency: str  # the region's emergency number, as the language writes it
    crisis_lines: tuple[str, ...]  # how to reach the region's crisis lines, in the language
    report: tuple[str, ...]  # the region's reporting routes, as the language writes them
    takedown: tuple[str, ...]  # the minor's takedown tools, in the language
    not_here: tuple[str, ...]  # what another region's reply would say

    def __str__(self) -> str:
        return f"{self.language}-{self.region}"


PEOPLE = [
    Person(
        language="pt",
        region="BR",
        disclosure=(
            "mano um perfil no insta tem umas fotos minhas pelada e ta me cobrando pix senao posta"
        ),
        step_done=("okk ja fiz", "blz, proximo"),
        crisis_at_start="to pensando em me matar hj",
        crisis_mid_plan="sinceramente nem quero mais viver",
        wants_a_person="queria falar com alguem de vdd, uma pessoa msm",
        wants_a_person_elsewhere="tem alguma pessoa real q eu possa conversar?",
        minor=(
            "tenho 13 anos e um menino do tiktok ta me ameaçando com minhas fotos",
            "como faço pra essas fotos sumirem da internet",
            "onde eu denuncio isso?",
            "nem a pau q eu conto isso pros meus pais",
        ),
        emergency="ligue para 190",
        crisis_lines=("ligue para 188",),
        report=("SaferNet: entre em new.safernet.org.br/denuncie",),
        takedown=("O Take It Down (takeitdown.ncmec.org) pode ajudar",),
        not_here=("112", "911", "3114"),
    ),
    Person(
        language="fr",
        region="FR",
        disclosure=(
            "un gars sur snap a mes nudes et il veut 100 balles sinon il "
            "les envoie a tous mes potes"
        ),
        step_done=("ok jai fait ca", "ouais c bon, la suite"),
        crisis_at_start="jpp de ma vie jveux me tuer",
        crisis_mid_plan="jen peux plus jai envie de crever",
        wants_a_person="je voudrais parler a une vraie personne svp",
        wants_a_person_elsewhere="ya un humain qui peut me parler?",
        minor=(
            "jai 13 ans et un mec me fait du chantage avec des photos de moi",
            "yaurait moyen de faire disparaitre mes photos du net?",
            "je peux porter plainte ou?",
            "jamais jen parle a mes parents",
        ),
        emergency="appelle le 112",
        crisis_lines=("appelle le 3114", "appelle le 119"),
        report=("3018 (e-Enfance) : appelle le 3018",),
        takedown=("Take It Down (takeitdown.ncmec.org) peut aider",),
        not_here=("911", "TEXTO", "Kids Help Phone", "NeedHelpNow"),
    ),
    Person(
        language="fr",
        region="CA",
        disclosure=(
            "jai 15 ans pis un gars menace de publier mes photos si je lui envoie pas de largent"
        ),
        step_done=("cest beau, jai fait ca", "ok jai compris, apres?"),
        crisis_at_start="chu pu capable, jveux mourir",
        crisis_mid_plan="honnetement jai envie de me tuer",
        wants_a_person="est-ce que je peux jaser avec quelqu'un de vrai",
        wants_a_person_elsewhere="est-ce quil y a un intervenant qui pourrait me parler",
        minor=(
            "jai 14 ans pis une fille sur insta veut de largent sinon elle montre mes photos",
            "comment jfais pour faire enlever mes photos",
            "je peux denoncer ca ou?",
            "je peux vraiment pas en parler a mes parents",
        ),
        emergency="appelle le 911",
        crisis_lines=(
            "appelle le 1-800-668-6868",
            "envoie TEXTO par SMS au 686868",
        ),
        report=("Cybertip.ca",),
        takedown=(
            "NeedHelpNow (NeedHelpNow.ca) aide les jeunes au Canada",
            "Take It Down (takeitdown.ncmec.org) peut aider",
        ),
        not_here=("3114", "119", "3018", "CONNECT"),
    ),
    Person(
        language="de",
        region="DE",
        disclosure=(
            "so ein typ auf insta hat meine nacktbilder und will 300 "
            "euro sonst schickt er sie an alle"
        ),
        step_done=("ok hab ich gemacht", "passt, was jetzt"),
        crisis_at_start="ich will nich mehr, ich bring mich um",
        crisis_mid_plan="ich hab echt keinen bock mehr zu leben",
        wants_a_person="kann ich bitte mit nem echten menschen reden",
        wants_a_person_elsewhere="ich will mit ner echten person schreiben, nicht mit nem bot",
        minor=(
            "bin 14 und einer erpresst mich mit fotos von mir",
            "wie bekomm ich die fotos wieder aus dem netz weg",
            "wo kann man sowas anzeigen",
            "meinen eltern erzähl ich das auf keinen fall",
        ),
        emergency="ruf 112 an",
        crisis_lines=(
            "ruf 0800 111 0 111",
            "ruf 116 111 an",
        ),
        report=("die Liste findest du auf inhope.org",),
        takedown=("Take It Down (takeitdown.ncmec.org) kann helfen",),
        not_here=("911", "113", "3114"),
    ),
    Person(
        language="nl",
        region="NL",
        disclosure=(
            "een jongen op snap heeft naaktfotos van mij en wil 50 euro anders zet hij ze online"
        ),
        step_done=("oke gedaan", "ik reageer niet meer op hem"),
        crisis_at_start="ik wil er niet meer zijn, ik wil dood",
        crisis_mid_plan="ik heb geen zin meer om te leven",
        wants_a_person="mag ik met een echt mens praten",
        wants_a_person_elsewhere="is er hier ook een echt persoon",
        minor=(
            "ik ben 14 en iemand chanteert me met fotos van mij",
            "hoe zorg ik dat die fotos van het internet verdwijnen",
            "waar kan ik dit melden",
            "mn ouders zouden flippen, die kan ik het niet zeggen",
        ),
        emergency="bel 112",
        crisis_lines=("bel 113",),
        report=("Helpwanted.nl: bel 020 261 52 75",),
        takedown=("Take It Down (takeitdown.ncmec.org) kan helpen",),
        not_here=("911", "116 111", "3114"),
    ),
]


def by_person(test):
    """Runs the test once for each young person above, named like `pt-BR`."""
    return pytest.mark.parametrize("person", PEOPLE, ids=str)(test)


def has_region_lines(reply: str, person: Person) -> None:
    """Fails unless the reply gives the region's emergency number and crisis lines in the
    person's language, and nothing of another region."""
    assert person.emergency in reply, reply
    assert all(line in reply for line in person.crisis_lines), reply
    assert not any(other in reply for other in person.not_here), reply


@by_person
def test_a_disclosure_gets_the_first_steps_in_that_language(agent, person):
    chat = Chat(agent, {"region": person.region})
    first = chat.say(person.disclosure)
    says(first, person.language, "utter_disclosure_ack")
    says(first, person.language, "utter_step_dont_pay")
    assert person.crisis_lines[0] in first, first
    assert not any(other in first for other in person.not_here), first
    second = chat.say(person.step_done[0])
    says(second, person.language, "utter_step_stop_replying")
    third = chat.say(person.step_done[1])
    says(third, person.language, "utter_step_save_evidence")


@by_person
def test_crisis_at_the_start_gets_the_crisis_reply_with_the_regions_lines(agent, person):
    reply = Chat(agent, {"region": person.region}).say(person.crisis_at_start)
    assert reply.startswith(opening(person.language, "utter_crisis")), reply
    says(reply, person.language, "utter_crisis")
    has_region_lines(reply, person)
    says(reply, person.language, "utter_offer_human")


@by_person
def test_crisis_in_the_middle_of_the_plan_gets_the_crisis_reply_at_once(agent, person):
    chat = Chat(agent, {"region": person.region})
    chat.say(person.disclosure)
    says(chat.say(person.step_done[0]), person.language, "utter_step_stop_replying")
    reply = chat.say(person.crisis_mid_plan)
    assert reply.startswith(opening(person.language, "utter_crisis")), reply
    has_region_lines(reply, person)
    # The crisis reply, not the next step of the plan.
    assert opening(person.language, "utter_step_save_evidence") not in reply, reply


@by_person
def test_asking_for_a_person_on_the_web_chat_files_the_request_and_says_so(agent, person):
    # No counselor is logged in: the honest "nobody is online", the region's lines to call now,
    # and the question whether the counselor may see the summary, all in the language.
    chat = Chat(agent, {"region": person.region}, web_chat=True)
    reply = chat.say(person.wants_a_person)
    says(reply, person.language, "utter_request_human", handoff_status="offline")
    assert all(line in reply for line in person.crisis_lines), reply
    says(reply, person.language, "utter_ask_share_summary")
    confirmed = chat.say("/affirm")
    says(confirmed, person.language, "utter_handoff_summary_shared")


@by_person
def test_asking_for_a_person_elsewhere_gets_the_lines_to_call_now(agent, person):
    # A channel that cannot carry a counselor's reply: no request, the lines to call instead.
    reply = Chat(agent, {"region": person.region}).say(person.wants_a_person_elsewhere)
    says(reply, person.language, "utter_handoff_unavailable")
    assert all(line in reply for line in person.crisis_lines), reply
    assert opening(person.language, "utter_ask_share_summary") not in reply, reply


@by_person
def test_a_minor_gets_the_regions_help_and_takedown_tools_never_stopncii(agent, person):
    chat = Chat(agent, {"region": person.region})
    said_age, wants_it_down, where_to_report, no_parent = person.minor
    replies = [chat.say(said_age)]
    says_to_a_minor(replies[0], person.language, "utter_disclosure_ack")
    says(replies[0], person.language, "utter_step_dont_pay")
    takedown = chat.say(wants_it_down)
    replies.append(takedown)
    says(takedown, person.language, "utter_step_take_down")
    assert all(tool in takedown for tool in person.takedown), takedown
    report = chat.say(where_to_report)
    replies.append(report)
    says_to_a_minor(report, person.language, "utter_step_report_authorities")
    assert all(route in report for route in person.report), report
    alone = chat.say(no_parent)
    replies.append(alone)
    says_to_a_minor(alone, person.language, "utter_cant_tell_parents")
    assert all(route in alone for route in person.report), alone
    assert person.crisis_lines[0] in alone, alone
    for reply in replies:
        assert "StopNCII" not in reply, reply
        assert not any(other in reply for other in person.not_here), reply


@pytest.mark.parametrize(
    "message",
    ["yé tu possible de parler a un intervenant?", "y a tu quelqu'un de vrai qui peut me parler"],
)
def test_quebec_french_asking_with_tu_is_answered_in_french(agent, message):
    # Spanish shares "tu", "de", "un", "y" with these: Canada's `languages: [en, fr]` decide.
    reply = Chat(agent, {"region": "CA"}).say(message)
    says(reply, "fr", "utter_handoff_unavailable")


NOT_PAID = [
    # (language, the page's country, a disclosure, then "I haven't paid"): fresh phrasings, not
    # the training examples
    ("en", "US", "someone got my nudes and says pay or he posts them", "i have not paid anything"),
    ("es", "MX", "un vato tiene mis fotos y me pide lana", "todavía no le he pagado nada"),
    ("pt", "BR", "um cara ta me chantageando com minhas fotos", "nao paguei nada pra ele ainda"),
    ("fr", "FR", "un mec menace de balancer mes photos", "j'ai rien payé du tout"),
    ("de", "DE", "einer erpresst mich mit meinen nacktbildern", "ich hab ihm nix bezahlt"),
    ("nl", "NL", "iemand dreigt mijn naaktfotos te delen", "ik heb nog niks betaald hoor"),
]


@pytest.mark.parametrize(("language", "region", "disclosure", "not_paid"), NOT_PAID)
@pytest.mark.parametrize("told_first", [False, True], ids=["alone", "after_disclosure"])
def test_not_having_paid_gets_step_one_never_the_already_paid_answer(
    agent, language, region, disclosure, not_paid, told_first
):
    # "I didn't pay" was read as already_paid in every language: "lots of people pay because
    # they're scared, keep the payment details" to someone who had paid nothing.
    chat = Chat(agent, {"region": region})
    if told_first:
        chat.say(disclosure)
    reply = chat.say(not_paid)
    for response in ("utter_already_paid", "utter_answer_already_paid"):
        assert opening(language, response) not in reply, reply
    for fragment in fragments(language, "utter_step_dont_pay"):
        assert fragment in reply, reply
