"""action_request_human and action_handoff_consent: the request filed, the honest answer's slots."""

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

import actions.handoff as handoff_actions
from haven.handoff.queue import ADDRESS_METADATA, HandoffDesk, HandoffQueue
from haven.handoff.status import CounselorDesk
from haven.services import Services
from haven.settings import HandoffSettings
from haven.storage.crypto import KeyRing, generate_key_line


class Accounts:
    def __init__(self, online: bool) -> None:
        self.online = online

    def anyone_online(self) -> bool:
        return self.online


NOW = 1_764_000_000.0  # a Monday, 16:00 UTC


@pytest.fixture
def make_desk(tmp_path, monkeypatch):
    def make(online: bool, settings: HandoffSettings | None = None) -> HandoffDesk:
        ring = KeyRing.parse(generate_key_line("k1"))
        queue = HandoffQueue(f"sqlite:///{tmp_path / 'h.db'}", ring, clock=lambda: NOW)
        queue.create_schema()
        counselors = CounselorDesk(f"sqlite:///{tmp_path / 'h.db'}", clock=lambda: NOW)
        counselors.create_schema()
        if online:  # ana's console is connected and she is available
            counselors.seen("ana")
        desk = HandoffDesk(
            queue, Accounts(online), settings or HandoffSettings(), counselors, lambda: NOW
        )
        services = Services.from_environ({})
        services.__dict__["handoff_desk"] = desk  # what the composition root would have built
        monkeypatch.setattr(Services, "_process", services)
        return desk

    return make


def tracker(
    intent="request_human",
    crisis=False,
    slots=None,
    channel="haven_widget",
    address="a1" * 16,
    sender="conv-1",
):
    """A conversation whose latest message came through `channel` (the web chat by default),
    with the address hash that channel adds."""
    events = [{"event": "user", "parse_data": {"intent": {"name": "greet"}}}]
    if crisis:
        events.append({"event": "user", "parse_data": {"intent": {"name": "crisis"}}})
    metadata = {ADDRESS_METADATA: address} if address else {}
    events.append(
        {
            "event": "user",
            "parse_data": {"intent": {"name": intent}},
            "input_channel": channel,
            "metadata": metadata,
        }
    )
    values = {"language": "es", "region": "uk", "steps_done": ["dont_pay"], **(slots or {})}
    return Tracker(sender, values, {"intent": {"name": intent}}, events, False, None, {}, "")


def run(action, the_tracker, domain):
    dispatcher = CollectingDispatcher()
    return action.run(dispatcher, the_tracker, domain), dispatcher.messages


def test_a_counselor_online_files_the_request_with_the_risk_flag(make_desk, domain):
    desk = make_desk(online=True)
    events, messages = run(handoff_actions.ActionRequestHuman(), tracker(crisis=True), domain)
    assert events == [SlotSet("handoff_status", "online"), SlotSet("handoff_wait", "5")]
    assert messages == []  # the rule answers with utter_request_human
    (request,) = desk.queue.waiting()
    assert request.risk and request.language == "es" and request.steps_done == ["dont_pay"]


def test_without_slots_the_chat_metadata_gives_the_language(make_desk, domain):
    desk = make_desk(online=True)
    the_tracker = tracker(slots={"language": None, "region": None})
    the_tracker.latest_message["metadata"] = {"language": "es-MX"}
    run(handoff_actions.ActionRequestHuman(), the_tracker, domain)
    (request,) = desk.queue.waiting()
    assert request.language == "es" and request.region is None


def test_only_known_codes_are_filed_and_shown_to_the_counselor(make_desk, domain):
    desk = make_desk(online=True)
    diary = "my secret diary text"
    slots = {"language": diary, "language_hint": "es", "region": diary, "region_hint": "GB"}
    the_tracker = tracker(slots=slots)
    the_tracker.latest_message["metadata"] = {"language": "my diary"}
    run(handoff_actions.ActionRequestHuman(), the_tracker, domain)
    desk.queue.set_share_summary("conv-1", True)
    (request,) = desk.queue.waiting()
    summary = request.summary(NOW)
    assert (summary["language"], summary["region"]) == ("es", "uk")
    assert diary not in repr(summary)


def test_nobody_logged_in_is_said_honestly_and_the_request_is_kept(make_desk, domain):
    desk = make_desk(online=False)
    events, _ = run(handoff_actions.ActionRequestHuman(), tracker(), domain)
    assert SlotSet("handoff_status", "offline") in events
    assert len(desk.queue.waiting()) == 1


def test_outside_the_hours_nobody_can_come_even_if_logged_in(make_desk, domain):
    closed = HandoffSettings(days=("sat", "sun"))
    make_desk(online=True, settings=closed)
    events, _ = run(handoff_actions.ActionRequestHuman(), tracker(), domain)
    assert SlotSet("handoff_status", "offline") in events


def test_consent_is_recorded_and_refiles_an_expired_request(make_desk, domain):
    desk = make_desk(online=True)
    run(handoff_actions.ActionHandoffConsent(), tracker(intent="affirm"), domain)
    assert desk.queue.waiting()[0].share_summary is True
    run(handoff_actions.ActionHandoffConsent(), tracker(intent="deny"), domain)
    assert desk.queue.waiting()[0].share_summary is False


def test_the_rules_answer_after_the_actions(domain):
    import yaml

    from tests.support import PROJECT

    rules = yaml.safe_load((PROJECT / "data" / "rules" / "crisis.yml").read_text())["rules"]
    asked = [r["steps"] for r in rules if {"intent": "request_human"} in r["steps"]]
    assert asked == [
        [
            {"intent": "request_human"},
            {"action": "action_request_human"},
            {"action": "utter_request_human"},
            {"action": "utter_ask_share_summary"},
        ]
    ]
    for name in ("action_request_human", "action_handoff_consent"):
        assert name in domain["actions"]


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_answer_is_honest_and_always_has_the_crisis_lines(language):
    from haven.packs.content import content
    from haven.packs.render import Renderer

    renderer = Renderer(content())
    crisis = renderer.render("utter_crisis", language=language, region="uk", slots={})["text"]
    first_line = next(line for line in crisis.splitlines() if line.startswith("- "))
    for status in ("online", "offline"):
        slots = {"handoff_status": status, "handoff_wait": "5"}
        text = renderer.render("utter_request_human", language=language, region="uk", slots=slots)[
            "text"
        ]
        assert first_line in text
        assert ("5 minutes" in text or "5 minutos" in text) == (status == "online")


REFUSED_EVENTS = [SlotSet("handoff_status", None), FollowupAction("action_listen")]


@pytest.mark.parametrize(
    "the_tracker",
    [
        tracker(channel="rest"),  # the REST channel cannot carry a counselor's reply
        tracker(address=None),  # no address hash: not the web chat channel's own message
    ],
)
def test_a_request_from_a_channel_without_live_replies_gets_the_help_lines(
    make_desk, domain, the_tracker
):
    desk = make_desk(online=True)
    events, messages = run(handoff_actions.ActionRequestHuman(), the_tracker, domain)
    assert events == REFUSED_EVENTS
    assert [m["response"] for m in messages] == ["utter_handoff_unavailable"]
    assert desk.queue.waiting() == []
    # A later "yes" to sharing files nothing either.
    run(handoff_actions.ActionHandoffConsent(), tracker(intent="affirm", channel="rest"), domain)
    assert desk.queue.waiting() == []


def test_new_requests_are_limited_per_address_and_overall(make_desk, domain):
    settings = HandoffSettings(new_requests_per_address=2, new_requests_overall=5)
    desk = make_desk(online=True, settings=settings)
    request = handoff_actions.ActionRequestHuman()
    statuses = []
    for index in range(4):  # one address, four conversations
        events, _ = run(request, tracker(sender=f"same-{index}", address="aa" * 16), domain)
        statuses.append(events[0].get("value"))
    assert statuses == ["online", "online", None, None]
    for index in range(5):  # five more addresses, one conversation each: the overall cap is 5
        events, _ = run(
            request, tracker(sender=f"other-{index}", address=f"{index:02}" * 16), domain
        )
        statuses.append(events[0].get("value"))
    assert statuses[4:] == ["online", "online", "online", None, None]
    assert len(desk.queue.waiting()) == 5


def test_asking_again_refreshes_the_request_without_using_the_allowance(make_desk, domain):
    settings = HandoffSettings(new_requests_per_address=1, new_requests_overall=1)
    desk = make_desk(online=True, settings=settings)
    for _ in range(3):
        events, _ = run(handoff_actions.ActionRequestHuman(), tracker(), domain)
        assert SlotSet("handoff_status", "online") in events
    assert len(desk.queue.waiting()) == 1


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_unavailable_answer_has_the_crisis_lines(language):
    from haven.packs.content import content
    from haven.packs.render import Renderer

    renderer = Renderer(content())
    crisis = renderer.render("utter_crisis", language=language, region="uk", slots={})["text"]
    first_line = next(line for line in crisis.splitlines() if line.startswith("- "))
    text = renderer.render("utter_handoff_unavailable", language=language, region="uk", slots={})
    assert first_line in text["text"]
