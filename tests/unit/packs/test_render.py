"""Rendering a response (haven/packs/render.py): placeholders, buttons, the offer to pick a
country."""

import json

import pytest

from haven.packs.content import content
from haven.packs.render import Renderer, fill


@pytest.fixture(scope="module")
def renderer():
    return Renderer(content())


def test_fill_replaces_known_names_and_leaves_the_rest():
    assert fill("call {number} {unknown}", {"number": "999"}) == "call 999 {unknown}"


def test_language_buttons_name_each_other_language_in_itself(renderer):
    buttons = renderer.render("utter_greet", language="en", region=None)["buttons"]
    assert {"title": "Español", "payload": '/set_language{"language": "es"}'} in buttons
    assert all(b["title"] != "English" for b in buttons)


def test_region_buttons_are_named_in_the_language_and_end_with_elsewhere(renderer):
    buttons = renderer.render("utter_choose_region", language="es", region=None)["buttons"]
    titles = [b["title"] for b in buttons]
    assert titles[-1] == "Otro país" and "Reino Unido" in titles
    assert titles[:-1] == sorted(titles[:-1])
    payload = buttons[titles.index("Reino Unido")]["payload"]
    assert json.loads(payload.removeprefix("/tell_region")) == {"region": "uk"}


def test_the_offer_to_pick_a_country_comes_only_with_help_lines_for_anywhere(renderer):
    anywhere = renderer.render("utter_step_report_authorities", language="en", region=None)
    assert "Tell me where you live" in anywhere["text"]
    known = renderer.render("utter_step_report_authorities", language="en", region="uk")
    assert "Tell me where you live" not in known["text"]
    no_facts = renderer.render("utter_step_dont_pay", language="en", region=None)
    assert "Tell me where you live" not in no_facts["text"]


def test_a_place_without_a_pack_gets_the_list_instead_of_the_offer(renderer):
    message = renderer.render("utter_region_set", language="es", region="international", slots={})
    assert message["text"].startswith("Todavía no tengo líneas de ayuda de ese país")
    countries = len(renderer.packs.regions) - 1  # every region but the international fallback
    assert len(message["buttons"]) == countries + 1  # and "somewhere else"
    assert countries == 17


def test_entries_only_for_one_age_group_are_shown_to_that_group(renderer):
    minor = renderer.render("utter_step_report_authorities", language="en", region="au")["text"]
    adult = renderer.render(
        "utter_step_report_authorities", language="en", region="au", slots={"age_band": "adult"}
    )["text"]
    assert "accce.gov.au/report" in minor and "esafety.gov.au/report" not in minor
    assert "esafety.gov.au/report" in adult and "accce.gov.au/report" not in adult


def test_a_language_without_a_pack_is_english(renderer):
    text = renderer.render("utter_deny", language="it", region=None)["text"]
    assert text.startswith("That's okay")


def test_the_uk_minor_takedown_offers_report_remove_first_then_take_it_down(renderer):
    text = renderer.render("utter_step_take_down", language="en", region="uk")["text"]
    assert text.index("Report Remove") < text.index("Take It Down")


def test_a_line_closed_at_night_says_its_hours_in_the_reply_language(renderer):
    english = renderer.render("utter_crisis", language="en", region="de")["text"]
    assert "Nummer gegen Kummer: call 116 111 — open Monday to Saturday, 2 pm to 8 pm" in english
    spanish = renderer.render("utter_crisis", language="es", region="de")["text"]
    assert "llama al 116 111 — disponible de lunes a sábado, de 14:00 a 20:00" in spanish


def test_germany_gives_a_line_open_at_night_first(renderer):
    text = renderer.render("utter_crisis", language="en", region="de")["text"]
    assert "TelefonSeelsorge: call 0800 111 0 111 or 0800 111 0 222 (free) — open 24/7" in text
    assert text.index("TelefonSeelsorge") < text.index("Nummer gegen Kummer")
    goodbye = renderer.render("utter_goodbye", language="en", region="de")["text"]
    assert "contact TelefonSeelsorge (call 0800 111 0 111" in goodbye


def test_spanish_replies_give_the_us_lines_spanish_options(renderer):
    spanish = renderer.render("utter_crisis", language="es", region="us")["text"]
    assert "988 Lifeline: llama al 988 y marca el 2, o manda AYUDA por SMS al 988" in spanish
    assert "Crisis Text Line: manda AYUDA por SMS al 741741" in spanish
    assert "HOME" not in spanish
    english = renderer.render("utter_crisis", language="en", region="us")["text"]
    assert "call or text 988" in english and "text HOME to 741741" in english
    assert "AYUDA" not in english and "press 2" not in english


def test_a_menu_option_is_said_after_the_number(renderer):
    text = renderer.render("utter_crisis", language="es", region="pe")["text"]
    assert "Línea 113 (Minsa): llama al 113 y marca el 5" in text


@pytest.mark.parametrize("region", ["mx", "es", "ar", "co", "cl", "pe"])
def test_each_spanish_speaking_country_gives_its_own_lines_in_spanish(renderer, region):
    pack = renderer.packs.regions[region]
    crisis = renderer.render("utter_crisis", language="es", region=region)["text"]
    assert f"llama al {pack.emergency.call[0]}" in crisis
    assert all(entry.name in crisis for entry in pack.crisis if entry.name)
    assert "disponible las 24 horas, todos los días" in crisis
    report = renderer.render("utter_step_report_authorities", language="es", region=region)
    assert all((e.name or e.web) in report["text"] for e in pack.report if e.name or e.web)


def test_step_headlines_in_the_progress_list_fit_the_age_band(renderer):
    # "What's left?" lists the steps by their first line: an adult's list says "someone you
    # trust", a young person's (or unknown age) "a trusted adult".
    adult = renderer.headline("utter_step_tell_adult", language="en", slots={"age_band": "adult"})
    assert adult == "Step 5: Tell someone you trust."
    for slots in ({}, {"age_band": "minor"}):
        minor = renderer.headline("utter_step_tell_adult", language="en", slots=slots)
        assert minor == "Step 5: Tell a trusted adult."
    assert renderer.headline(
        "utter_step_tell_adult", language="es", slots={"age_band": "adult"}
    ).startswith("Paso 5: Cuéntaselo a alguien de tu confianza")
