"""Honest waiting in real Chromium (two young people's browser contexts, a counselor over HTTP),
on the web chat without a Rasa model (support/widget_app.py): the second young person sees their
place and estimate, and sees both change the moment the request ahead is claimed; the one claimed
sees the counselor join, what stays private, and the counselor's typing dots; a request that
expires tells the young person at once, with their region's crisis lines. No page logs an error."""

import json
import time
from types import SimpleNamespace

import pytest

from tests.browser.test_widget import DESKTOP, RESULTS, Chat, browser  # noqa: F401 - fixture
from tests.support.counselor_console import Browser, ask
from tests.support.waiting import running, seed_claims

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def haven(tmp_path_factory):
    with running(tmp_path_factory.mktemp("waiting-browser"), 120.0) as found:
        yield found


@pytest.fixture(scope="module")
def haven_keeping_briefly(tmp_path_factory):
    with running(
        tmp_path_factory.mktemp("expiring-browser"), 1.0, HAVEN_HANDOFF_KEEP_MINUTES="0.05"
    ) as found:
        yield found


def young_person(chromium, haven) -> SimpleNamespace:
    chat = Chat(chromium.new_context(viewport=DESKTOP), f"http://127.0.0.1:{haven.port}/").open()
    stored = chat.session_storage()["haven.conversation"]
    return SimpleNamespace(chat=chat, id=json.loads(stored)["id"])


def queue_line(chat: Chat) -> str:
    line = chat.page.locator(".haven-queue")
    return "" if line.is_hidden() else line.inner_text()


def wait_for_queue_line(chat: Chat, words: str, timeout: float = 5_000) -> None:
    chat.page.wait_for_function(
        "words => { const line = document.querySelector('.haven-queue');"
        " return line && !line.hidden && line.textContent.includes(words); }",
        arg=words,
        timeout=timeout,
    )


def test_the_place_and_estimate_change_as_the_request_ahead_is_claimed(haven, browser):  # noqa: F811
    ahead, mine = young_person(browser, haven), young_person(browser, haven)
    seed_claims(haven.queue, every_seconds=300, waited_seconds=300)  # 5 minutes a place
    first = ask(haven.queue, ahead.id)
    ask(haven.queue, mine.id)
    mine.chat.say("still there?")  # a turn: the channel looks at the queue
    wait_for_queue_line(mine.chat, "number 2")
    assert queue_line(mine.chat) == (
        "You're number 2 in the queue for a counselor. "
        "Right now it takes about 10 minutes. It can be longer."
    )
    assert mine.chat.axe_violations() == []

    counselor = Browser(haven.port)
    assert counselor.login("ana")[0].status == 303
    started = time.monotonic()
    assert counselor.post("/counselor/api/claim", {"id": first.request_id})[0] == 200
    wait_for_queue_line(mine.chat, "You're next")
    assert time.monotonic() - started < 5  # pushed by the claim; the watcher's round is 120 s
    assert "about 5 minutes. It can be longer." in queue_line(mine.chat)

    ahead.chat.page.wait_for_function(
        "() => [...document.querySelectorAll('.haven-msg--bot')]"
        ".some(m => m.textContent.includes('stays private'))"
    )
    assert queue_line(ahead.chat) == ""  # no longer waiting: the line is gone
    chat_path = f"/counselor/api/chats/{first.request_id}/typing"
    assert counselor.post(chat_path, {"typing": True})[0] == 200
    ahead.chat.page.locator(".haven-counselor-typing").wait_for(state="visible")
    RESULTS.mkdir(parents=True, exist_ok=True)
    mine.chat.page.screenshot(path=str(RESULTS / "waiting-place.png"))
    assert not ahead.chat.errors and not mine.chat.errors, (ahead.chat.errors, mine.chat.errors)


def test_an_expired_request_tells_the_young_person_with_the_crisis_lines(
    haven_keeping_briefly,
    browser,  # noqa: F811
):
    haven = haven_keeping_briefly
    young = young_person(browser, haven)
    ask(haven.queue, young.id)
    young.chat.say("hello?")
    wait_for_queue_line(young.chat, "You're next")
    young.chat.page.wait_for_function(
        "() => [...document.querySelectorAll('.haven-msg--bot')]"
        ".some(m => m.textContent.includes('in time'))",
        timeout=15_000,
    )
    told = next(text for text in young.chat.bot_texts() if "in time" in text)
    assert "0800 1111" in told and "85258" in told  # the UK's crisis lines
    assert young.chat.page.locator(".haven-reply", has_text="What do I do meanwhile?").count()
    assert queue_line(young.chat) == ""
    assert young.chat.axe_violations() == []
    assert not young.chat.errors, young.chat.errors
