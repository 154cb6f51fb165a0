"""The widget in each language written after English and Spanish (Portuguese, French, German and
Dutch today; every such pack of content/languages/, `NEW`), in real headless Chromium
against a real Haven: set by the page, picked in the menu or found in the browser's languages,
the first screen and quick exit in that language, axe-core clean; a language chosen in the menu
holding for every reply, the crisis reply included, and winning over one typed before it; one
typed in the chat changing the widget's texts too; the browser's language a hint only, so
English typed on a French browser gets English.

Marker `browser`, like tests/test_widget_browser.py, whose Haven, browser and tabs it uses.
"""

import pytest

from haven.packs.content import content
from haven.packs.render import Renderer
from haven.web.widget_site import load_widget_strings
from tests.browser import test_widget as widget_tests
from tests.browser.test_widget import NEUTRAL, ngo_page, serve
from tests.support.languages import missing_words, packs_after_first, words_of

# The same Haven, browser and tabs as tests/test_widget_browser.py (its fixtures, shared).
haven = widget_tests.haven
browser = widget_tests.browser
open_chat = widget_tests.open_chat

pytestmark = pytest.mark.browser

THIS_FILE = "tests/browser/test_widget_languages.py"
NEW = packs_after_first()
STRINGS = load_widget_strings()
RENDERER = Renderer(content())

# Hand-written for each language of NEW; `test_each_new_pack_has_its_words_in_this_file` names
# what a new pack is missing.
# A browser's language that should open the widget in the pack's language.
BROWSER_LOCALE = {"pt": "pt-BR", "fr": "fr-CA", "de": "de-DE", "nl": "nl-BE"}
# Asking for the language in words, typed in the chat.
ASKED = {"pt": "em português", "fr": "en français", "de": "auf deutsch", "nl": "in het nederlands"}


@pytest.mark.parametrize("code", NEW)
def test_each_new_pack_has_its_words_in_this_file(code):
    missing = missing_words({"BROWSER_LOCALE": BROWSER_LOCALE, "ASKED": ASKED}, code)
    assert missing == [], f"{THIS_FILE} has no {code!r} in: " + ", ".join(missing)


def first_line(key: str, code: str) -> str:
    """The first sentence a response opens with in this language ("Oi, eu sou o Haven.")."""
    text = RENDERER.render(key, language=code, region=None)["text"]
    return text.split("\n", 1)[0].split(". ")[0]


def ngo_chat(open_chat, haven, **attributes_and_context):
    """A tab on an NGO's page with the widget (`language=` its data-language, if any), not
    opened yet; `locale=` the browser's. Quick exit goes to a neutral page at /n."""
    locale = attributes_and_context.pop("locale", None)
    chat = open_chat(path="/ngo-page", **({"locale": locale} if locale else {}))
    base = f"http://127.0.0.1:{haven.rasa_port}"
    page = ngo_page(haven, exit_url=f"{base}/n", **attributes_and_context)
    serve(chat.context, f"{base}/ngo-page", page)
    serve(chat.context, f"{base}/n", NEUTRAL)
    return chat


def open_ngo_page(open_chat, haven, **attributes_and_context):
    """`ngo_chat`, opened: the first screen and the greeting are there."""
    return ngo_chat(open_chat, haven, **attributes_and_context).open()


def assert_quick_exit_in(chat, haven, code: str) -> None:
    """Quick exit, named in `code`, leaves for the neutral page and forgets the chat."""
    chat.page.get_by_role("button", name=STRINGS[code]["quick_exit"]).click()
    chat.page.wait_for_url(f"http://127.0.0.1:{haven.rasa_port}/n")
    assert chat.page.title() == "Weather"
    assert chat.page.evaluate("() => sessionStorage.length") == 0


@pytest.mark.parametrize("code", NEW)
def test_a_page_in_the_language_shows_its_first_screen_and_quick_exit(open_chat, haven, code):
    chat = open_ngo_page(open_chat, haven, language=code)
    assert_first_screen_in(chat, code)
    # The greeting comes from the pack of the page's language.
    assert chat.bot_texts()[0].startswith(first_line("utter_greet", code)), chat.bot_texts()
    assert chat.axe_violations() == []
    assert_quick_exit_in(chat, haven, code)


def assert_first_screen_in(chat, code: str) -> None:
    """The widget's own texts, its language and its menu, in `code`."""
    texts = STRINGS[code]
    assert chat.page.locator(".haven").get_attribute("lang") == code
    assert chat.page.locator(".haven-exit").inner_text() == texts["quick_exit"]
    assert chat.page.locator(".haven-exit").get_attribute("title") == texts["quick_exit_hint"]
    intro = chat.page.locator(".haven-intro").inner_text()
    assert texts["intro_title"] in intro and texts["intro_exit"] in intro
    assert texts["intro_history"] in intro and texts["intro_privacy"] in intro
    assert chat.page.locator(".haven-note").inner_text() == texts["automated_note"]
    assert chat.page.get_by_label(texts["message_label"]).is_visible()
    assert chat.page.get_by_role("button", name=texts["send"]).is_visible()
    assert chat.page.locator(".haven-language").input_value() == code


def frames_sent(chat) -> list[str]:
    """The frames the tab's sockets send, from the next one it opens."""
    sent: list[str] = []
    chat.page.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent.append(str(frame))))
    return sent


@pytest.mark.parametrize("code", NEW)
def test_the_language_chosen_in_the_menu_holds_for_the_crisis_reply(open_chat, haven, code):
    chat = open_ngo_page(open_chat, haven, language="en")  # the greeting in English
    chat.page.select_option(".haven-language", code)
    assert_first_screen_in(chat, code)
    # Typed in English, and the chosen language still wins over what the message looks like.
    crisis = chat.say("i want to kill myself")
    assert crisis[0].startswith(first_line("utter_crisis", code)), crisis
    assert chat.axe_violations() == []

    assert_quick_exit_in(chat, haven, code)


@pytest.mark.parametrize("code", NEW)
def test_a_page_without_a_language_speaks_the_browsers(open_chat, haven, code):
    locale = words_of(BROWSER_LOCALE, "BROWSER_LOCALE", THIS_FILE, code)
    chat = open_ngo_page(open_chat, haven, locale=locale)  # no data-language
    assert chat.page.evaluate("() => navigator.language") == locale
    assert_first_screen_in(chat, code)
    # The greeting matches the widget: the browser's language went with it.
    assert chat.bot_texts()[0].startswith(first_line("utter_greet", code)), chat.bot_texts()
    assert chat.axe_violations() == []
    # A hint, not a choice: nothing is kept as the young person's language...
    assert "haven.language" not in chat.session_storage()
    # ...so English typed on this browser gets English: they wrote it.
    english = chat.say("hi")
    assert english[0].startswith(first_line("utter_greet", "en")), english

    assert_quick_exit_in(chat, haven, code)


def test_on_a_french_browser_a_message_in_french_gets_french(open_chat, haven):
    chat = open_ngo_page(open_chat, haven, locale="fr-FR")
    reply = chat.say("quelqu'un me fait du chantage avec mes photos")
    opening = RENDERER.headline("utter_disclosure_ack", language="fr")
    assert reply[0].startswith(opening), reply


def test_a_browser_language_without_a_pack_gets_english(open_chat, haven):
    chat = open_ngo_page(open_chat, haven, locale="it-IT")
    assert_first_screen_in(chat, "en")
    assert chat.bot_texts()[0].startswith(first_line("utter_greet", "en")), chat.bot_texts()


def test_a_menu_pick_after_a_typed_language_wins(open_chat, haven):
    # "in english please" typed on a French browser, then French picked in the menu: the pick is
    # the latest choice, for Haven's replies too (the tracker's `language`, not only the widget).
    chat = ngo_chat(open_chat, haven, locale="fr-FR")
    sent = frames_sent(chat)
    chat.open()
    english = chat.say("in english please")
    assert english[0].startswith(first_line("utter_language_set", "en")), english
    # The widget follows the choice typed in the chat, as if picked in its menu.
    assert_first_screen_in(chat, "en")
    assert chat.session_storage()["haven.language"] == '"en"'
    assert chat.say("hi")[0].startswith(first_line("utter_greet", "en"))
    chat.page.select_option(".haven-language", "de")
    chat.page.select_option(".haven-language", "fr")  # the last pick counts
    assert chat.say("hi")[0].startswith(first_line("utter_greet", "fr"))
    assert chat.say("hi")[0].startswith(first_line("utter_greet", "fr"))
    assert chat.session_storage()["haven.language"] == '"fr"'
    messages = [frame for frame in sent if "user_uttered" in frame]
    # The browser's French went with the greeting only; what they typed went without it...
    assert '"/greet"' in messages[0] and '"language":"fr"' in messages[0], messages
    assert '"metadata":{}' in messages[1], messages
    # ...the typed choice is Haven's already: the widget's English after it is no new pick...
    assert '"metadata":{"language":"en"}' in messages[2], messages
    # ...and the menu's pick went once, with the first message after it; the language with each.
    picks = [frame for frame in messages if '"chosen_language"' in frame]
    assert len(picks) == 1 and '"chosen_language":"fr"' in picks[0], picks
    assert picks[0] == messages[3] and '"metadata":{"language":"fr"}' in messages[4], messages
    assert chat.axe_violations() == []


@pytest.mark.parametrize("code", NEW)
def test_a_language_typed_in_the_chat_changes_the_widget_too(open_chat, haven, code):
    chat = open_ngo_page(open_chat, haven, language="en")
    chosen = chat.say(words_of(ASKED, "ASKED", THIS_FILE, code))
    assert chosen[0].startswith(first_line("utter_language_set", code)), chosen
    assert_first_screen_in(chat, code)
    assert chat.axe_violations() == []
    assert_quick_exit_in(chat, haven, code)


def test_a_page_for_canada_reads_quebec_french_as_french_and_gives_canadas_lines(open_chat, haven):
    # "yé tu possible": Spanish shares "tu", "de", "un" with it, so only the page's country
    # (data-region, sent with every message) makes it French (Canada's `languages: [en, fr]`).
    chat = ngo_chat(open_chat, haven, region="CA")
    sent = frames_sent(chat)
    chat.open()
    reply = chat.say("yé tu possible de parler a un intervenant?")
    # No counselor is online in this test: the French reply, with Canada's lines in French.
    expected = RENDERER.render(
        "utter_request_human", language="fr", region="ca", slots={"handoff_status": "offline"}
    )
    assert reply[0].split() == expected["text"].split(), reply  # the widget drops blank lines
    assert "TEXTO" in reply[0], reply
    messages = [frame for frame in sent if "user_uttered" in frame]
    assert all('"region":"CA"' in frame for frame in messages), messages
