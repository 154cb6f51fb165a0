"""Rendering a response (bot/render.py): placeholders, buttons, the offer to pick a country."""

import json

import pytest

from bot.content import content
from bot.render import Renderer, fill


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
    assert len(message["buttons"]) == 12  # 11 countries and "somewhere else"


def test_entries_only_for_one_age_group_are_shown_to_that_group(renderer):
    minor = renderer.render("utter_step_report_authorities", language="en", region="au")["text"]
    adult = renderer.render(
        "utter_step_report_authorities", language="en", region="au", slots={"age_band": "adult"}
    )["text"]
    assert "accce.gov.au/report" in minor and "esafety.gov.au/report" not in minor
    assert "esafety.gov.au/report" in adult and "accce.gov.au/report" not in adult


def test_a_language_without_a_pack_is_english(renderer):
    text = renderer.render("utter_deny", language="fr", region=None)["text"]
    assert text.startswith("That's okay")


def test_the_uk_minor_takedown_offers_report_remove_first_then_take_it_down(renderer):
    text = renderer.render("utter_step_take_down", language="en", region="uk")["text"]
    assert text.index("Report Remove") < text.index("Take It Down")
