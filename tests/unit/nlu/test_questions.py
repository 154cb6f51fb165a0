"""What a message asks besides what it tells (haven/nlu/questions.py), and which answers come before
the step (haven/plan/answers.py), over the shipped packs. No Rasa needed.

Before this reader, "im in canada and some guy has my pics, how do i get them taken down" got the
same Step 1 as any disclosure: the question was dropped.
"""

import pytest

from haven.nlu import questions
from haven.nlu.questions import TOPICS, QuestionReader, QuestionWords
from haven.packs.content import content
from haven.plan.answers import ADULT_ROUTE, REGION_LINE, answer_keys
from haven.rasa_edge.nlu.asked_questions import QUESTION_ENTITY, AskedQuestions
from tests.support.messages import long_message


@pytest.fixture(scope="module")
def reader():
    return QuestionReader(content())


@pytest.mark.parametrize(
    ("text", "topics"),
    [
        # fresh phrasings, not copied from the word lists
        ("im in canada and some guy has my pics, how do i get them taken down", ("takedown",)),
        ("is there any way to take it down before he posts it", ("takedown",)),
        ("Should I delete my account?", ("delete_account",)),
        ("he has my nudes. should i just deactivate my snapchat", ("delete_account",)),
        ("do i delete the chat with him or keep it", ("delete_account",)),
        ("someone has my pics what should i screenshot", ("evidence",)),
        ("do i need proof for the police", ("evidence",)),
        ("am i going to get in trouble for sending them", ("trouble",)),
        ("will i get arrested??", ("trouble",)),
        ("i already paid him 80 and he wants more", ("already_paid",)),
        ("he wants $200, should i just pay him", ("should_pay",)),
        ("un tipo tiene mis fotos, ¿debería borrar mi cuenta?", ("delete_account",)),
        ("vivo en chile y un chico tiene mis fotos, cómo hago que las quiten", ("takedown",)),
        ("¿me van a arrestar por mandar fotos?", ("trouble",)),
        ("ya le pagué y quiere más", ("already_paid",)),
        ("¿debería pagarle?", ("should_pay",)),
        # two questions at once, answered in TOPICS order
        (
            "should i delete my insta, and how do i get them taken down",
            ("delete_account", "takedown"),
        ),
    ],
)
def test_the_questions_a_message_asks_are_read(reader, text, topics):
    assert reader.read(text) == topics


@pytest.mark.parametrize(
    "text",
    [
        "im 20 and my ex is threatening to post my nudes",
        "some account has screenshots of me naked and says pay or else",
        "he says he'll delete them if i pay",
        "tengo 20 años y mi ex amenaza con publicar mis fotos",
        "",
    ],
)
def test_a_message_that_only_tells_asks_nothing(reader, text):
    assert reader.read(text) == ()


@pytest.mark.parametrize(
    ("text", "topics"),
    [
        # what did not happen: the language's `facts: not:` words just before the cue's words
        ("i haven't paid him anything", ()),
        ("i have not paid yet", ()),
        ("no le pagué nada", ()),
        ("eu ainda não paguei", ()),
        ("j'ai pas payé", ()),
        ("je n'ai pas encore payé", ()),
        ("ich hab nix bezahlt", ()),
        ("ich habe ihm noch nichts bezahlt", ()),
        ("ik heb nog niet betaald", ()),
        # a negation elsewhere in the sentence negates something else
        ("i didnt want to but i paid", ("already_paid",)),
        ("i paid and he still didnt delete them", ("already_paid",)),
        ("ich habe bezahlt und er hört nicht auf", ("already_paid",)),
        # only statements are negated: "i dont know" before a question still asks it
        ("i dont know should i pay him", ("should_pay",)),
    ],
)
def test_a_statement_negated_is_not_raised(reader, text, topics):
    assert reader.read(text) == topics


def test_a_language_reads_only_its_own_cues(reader):
    assert reader.read("borro mi cuenta?", language="es") == ("delete_account",)
    assert reader.read("borro mi cuenta?", language="en") == ()


def test_an_unknown_topic_in_a_pack_is_refused_in_a_sentence():
    with pytest.raises(ValueError, match="unknown question topic 'refund'"):
        QuestionWords.from_pack({"refund": ["money back"]})


def test_every_topic_has_cues_and_an_answer_in_every_language():
    packs = content()
    for code in ("en", "es", "pt", "fr", "de", "nl"):
        words = QuestionWords.from_pack(packs.languages[code].phrase("questions"))
        assert all(words.cues[topic] for topic in TOPICS), code
        assert all(f"utter_answer_{t}" in packs.languages[code].responses for t in TOPICS), code


def test_the_first_reply_answers_then_gives_the_adult_route_and_the_regions_line():
    keys = answer_keys(["takedown"], plan_started=False, age_band=None, region_known=True)
    assert keys == ["utter_answer_takedown", REGION_LINE]
    keys = answer_keys([], plan_started=False, age_band="adult", region_known=False)
    assert keys == [ADULT_ROUTE]
    # the takedown answer already gives an adult the adult tools
    keys = answer_keys(["takedown"], plan_started=False, age_band="adult", region_known=False)
    assert keys == ["utter_answer_takedown"]


def test_later_disclosures_only_answer_the_questions():
    keys = answer_keys(
        ["trouble", "delete_account"], plan_started=True, age_band="adult", region_known=True
    )
    assert keys == ["utter_answer_delete_account", "utter_answer_trouble"]
    assert answer_keys([], plan_started=False, age_band="minor", region_known=False) == []


def test_the_component_adds_one_entity_per_topic_and_skips_payloads(reader):
    from rasa.shared.nlu.training_data.message import Message

    asked = Message(data={"text": "should i delete my acc? and will i get in trouble"})
    payload = Message(data={"text": "/ask_takedown"})
    AskedQuestions(reader).process([asked, payload])
    found = [e["value"] for e in asked.get("entities") if e["entity"] == QUESTION_ENTITY]
    assert found == ["delete_account", "trouble"]
    assert not payload.get("entities")


def test_a_question_at_the_end_of_a_long_message_is_read(reader):
    assert reader.read(long_message("how do i get them taken down")) == ("takedown",)


def test_skipping_the_cues_a_message_cannot_hold_reads_the_same(
    reader, training_texts, monkeypatch
):
    # haven.nlu.questions._could_match leaves out the cues whose words are not in the message or the
    # clause; with it turned off, every cue is looked for in every clause, as before.
    texts = training_texts + [long_message(text) for text in training_texts[::60]]
    fast = [reader.read(text) for text in texts]
    monkeypatch.setattr(questions, "_could_match", lambda cue, words: True)
    assert [reader.read(text) for text in texts] == fast
    assert sum(bool(topics) for topics in fast) >= 50  # the check compares topics, not ()


# --- Portuguese, French, German, Dutch (issue 17): fresh phrasings, none from tests/nlu_heldout/


@pytest.mark.parametrize(
    ("text", "topics"),
    [
        ("é melhor eu excluir o snap?", ("delete_account",)),
        ("tem como derrubar o vídeo que ele postou?", ("takedown",)),
        ("quero tirar meu vídeo das redes", ("takedown",)),
        ("o que eu guardo de prova?", ("evidence",)),
        ("eu posso ser presa por isso?", ("trouble",)),
        ("a culpa é minha né", ("trouble",)),
        ("eu já fiz um pix pra ele ontem", ("already_paid",)),
        ("vale a pena pagar o que ele pede?", ("should_pay",)),
        ("je supprime mon insta ou pas?", ("delete_account",)),
        ("il a posté ma vidéo, comment la faire supprimer", ("takedown",)),
        ("faut garder des preuves?", ("evidence",)),
        ("est-ce que c'est de ma faute", ("trouble",)),
        ("j'ai envoyé de l'argent hier", ("already_paid",)),
        ("vaut mieux payer ou pas", ("should_pay",)),
        ("soll ich tiktok deaktivieren", ("delete_account",)),
        ("kann man das video entfernen lassen", ("takedown",)),
        ("welche beweise brauch ich für die polizei", ("evidence",)),
        ("krieg ich jetzt ärger?", ("trouble",)),
        ("ich hab ihm 30 euro überwiesen", ("already_paid",)),
        ("sollte ich lieber zahlen?", ("should_pay",)),
        ("moet ik mijn account opheffen", ("delete_account",)),
        ("kan die video offline halen?", ("takedown",)),
        ("welk bewijs moet ik bewaren", ("evidence",)),
        ("is het mijn schuld?", ("trouble",)),
        ("ik heb hem gisteren al betaald", ("already_paid",)),
        ("zou ik beter betalen?", ("should_pay",)),
        (
            "moet ik mijn snap verwijderen en kom ik in de problemen",
            ("delete_account", "trouble"),
        ),
    ],
)
def test_the_questions_in_portuguese_french_german_and_dutch(reader, text, topics):
    assert reader.read(text) == topics


@pytest.mark.parametrize(
    "text",
    [
        "tenho 15 anos e um cara tem meus nudes",
        "ele tirou print das minhas fotos",
        "um cara da internet me ameaçou",
        "j'ai 15 ans et un mec a mes photos",
        "il dit qu'il va tout supprimer si je paye pas",
        "ein typ aus dem internet hat meine bilder",
        "er hat die bilder in die gruppe gestellt",
        "een jongen van internet heeft mijn fotos",
        "hij zegt dat hij alles verwijdert als ik niet betaal",
    ],
)
def test_a_message_in_the_new_languages_that_only_tells_asks_nothing(reader, text):
    assert reader.read(text) == ()
