"""Answer the question that was asked, then go on with the plan: what a young person reads in the
first reply, through the trained model, Haven's NLG and a real action server (marker `model`;
needs `make train`).

Before, a first message that named the country, said the age or asked something got the same
acknowledgement and Step 1 as any other: the first help line came at step 6, and "should I
delete my account" jumped to Step 8 without ever saying "not yet".
"""

import pytest

from tests.support.chat import Chat

pytestmark = pytest.mark.model

STEP_ONE = "Step 1: Don't pay"
NOT_YET = "Not yet. Save the evidence first"


def in_order(reply: str, *parts: str) -> bool:
    """Whether every part is in the reply, in this order."""
    where = [reply.find(part) for part in parts]
    return -1 not in where and where == sorted(where)


def test_a_canadian_asking_for_a_takedown_gets_the_answer_the_line_and_step_one(agent):
    reply = Chat(agent).say("im in canada and some guy has my pics, how do i get them taken down")
    assert in_order(
        reply,
        "I'm really sorry this is happening",
        "You asked how to get it taken down",
        "NeedHelpNow.ca",
        "If you want to talk to someone right now: Kids Help Phone (call 1-800-668-6868",
        STEP_ONE,
    )
    assert "StopNCII" not in reply and "Step 7" not in reply


def test_a_20_year_old_gets_the_adult_route_then_step_one(agent):
    reply = Chat(agent).say("im 20 and my ex is threatening to post my nudes")
    assert in_order(reply, "You said you're 18 or over", "StopNCII.org", STEP_ONE)


def test_the_region_from_the_channel_gives_its_line_in_the_first_reply(agent):
    reply = Chat(agent, {"region": "GB"}).say(
        "a boy from discord wants money or hes sharing my vid"
    )
    assert in_order(reply, "If you want to talk to someone right now: Childline", STEP_ONE)


def test_should_i_delete_my_account_gets_not_yet_before_and_during_the_plan(agent):
    chat = Chat(agent)
    before = chat.say("should I delete my account")
    assert NOT_YET in before and "How do I save evidence?" in before
    assert "Step 8" not in before
    assert "Step 3: Save evidence" in chat.say("/ask_evidence")
    chat.say("/step_done")
    during = chat.say("do i need to get rid of my insta now")
    assert NOT_YET in during and "Step 8" not in during


def test_a_disclosure_that_asks_about_deleting_gets_not_yet_then_step_one(agent):
    reply = Chat(agent).say("this guy has my nudes and wants cash. should i delete the app??")
    assert in_order(reply, "I'm really sorry", NOT_YET, STEP_ONE)


def test_in_spanish_deleting_gets_todavia_no_before_and_during_the_plan(agent):
    chat = Chat(agent)
    first = chat.say("un man de insta tiene mis fotos y me pide plata, ¿debería borrar mi cuenta?")
    assert in_order(first, "Siento mucho", "Todavía no. Primero guarda las pruebas", "Paso 1")
    chat.say("listo")
    during = chat.say("y si elimino mi snap?")
    assert "Todavía no. Primero guarda las pruebas" in during and "Paso 8" not in during


def test_in_spanish_a_mexican_asking_for_a_takedown_gets_the_line_and_step_one(agent):
    reply = Chat(agent).say("vivo en méxico y un chico tiene mis fotos, cómo hago que las quiten")
    assert in_order(
        reply,
        "Me preguntas cómo hacer que lo quiten",
        "takeitdown.ncmec.org",
        "Si quieres hablar con alguien ahora mismo: Línea de la Vida",
        "Paso 1",
    )


def test_in_spanish_a_20_year_old_gets_the_adult_route(agent):
    reply = Chat(agent).say("tengo 20 años y un tipo amenaza con subir mis fotos")
    assert in_order(reply, "Me dices que tienes 18 años o más", "StopNCII.org", "Paso 1")
