"""The widget in each new language (Portuguese, French, German, Dutch), in real headless Chromium
against a real Haven: the first screen and quick exit in that language, axe-core clean, and a
language chosen in the menu holding for every reply, the crisis reply included.

Marker `browser`, like tests/test_widget_browser.py, whose Haven, browser and tabs it uses.
"""

import pytest

from haven.packs.content import content
from haven.packs.render import Renderer
from haven.web.widget_site import load_widget_strings
from tests.browser import test_widget as widget_tests
from tests.browser.test_widget import NEUTRAL, ngo_page, serve

# The same Haven, browser and tabs as tests/test_widget_browser.py (its fixtures, shared).
haven = widget_tests.haven
browser = widget_tests.browser
open_chat = widget_tests.open_chat

pytestmark = pytest.mark.browser

NEW = ("pt", "fr", "de", "nl")
STRINGS = load_widget_strings()
RENDERER = Renderer(content())


def first_line(key: str, code: str) -> str:
    """The first sentence a response opens with in this language ("Oi, eu sou o Haven.")."""
    text = RENDERER.render(key, language=code, region=None)["text"]
    return text.split("\n", 1)[0].split(". ")[0]


@pytest.mark.parametrize("code", NEW)
def test_a_page_in_the_language_shows_its_first_screen_and_quick_exit(open_chat, haven, code):
    texts = STRINGS[code]
    chat = open_chat(path="/ngo-page")
    base = f"http://127.0.0.1:{haven.rasa_port}"
    serve(chat.context, f"{base}/ngo-page", ngo_page(haven, language=code, exit_url=f"{base}/n"))
    serve(chat.context, f"{base}/n", NEUTRAL)
    chat.open()

    assert chat.page.locator(".haven").get_attribute("lang") == code
    assert chat.page.locator(".haven-exit").inner_text() == texts["quick_exit"]
    intro = chat.page.locator(".haven-intro").inner_text()
    assert texts["intro_title"] in intro and texts["intro_exit"] in intro
    assert texts["intro_history"] in intro
    assert chat.page.locator(".haven-note").inner_text() == texts["automated_note"]
    assert chat.page.get_by_label(texts["message_label"]).is_visible()
    assert chat.page.locator(".haven-language").input_value() == code
    # The greeting comes from the pack of the page's language.
    assert chat.bot_texts()[0].startswith(first_line("utter_greet", code)), chat.bot_texts()
    assert chat.axe_violations() == []

    chat.page.get_by_role("button", name=texts["quick_exit"]).click()
    chat.page.wait_for_url(f"{base}/n")
    assert chat.page.title() == "Weather"
    assert chat.page.evaluate("() => sessionStorage.length") == 0


@pytest.mark.parametrize("code", NEW)
def test_the_language_chosen_in_the_menu_holds_for_the_crisis_reply(open_chat, code):
    texts = STRINGS[code]
    chat = open_chat().open()  # an English page: the greeting in English
    chat.page.select_option(".haven-language", code)
    assert chat.page.locator(".haven-exit").inner_text() == texts["quick_exit"]
    assert chat.page.locator(".haven").get_attribute("lang") == code
    # Typed in English, and the chosen language still wins over what the message looks like.
    crisis = chat.say("i want to kill myself")
    assert crisis[0].startswith(first_line("utter_crisis", code)), crisis
    assert chat.axe_violations() == []
