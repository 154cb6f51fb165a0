"""`action_request_human` tells the estimated wait (haven/handoff/waiting.py): the usual wait of
handoff.yml with too few recent claims, the estimate for the young person's place with enough."""

from rasa_sdk.events import SlotSet

from actions import handoff as handoff_actions
from tests.unit.actions.test_handoff import NOW, make_desk, run, tracker  # noqa: F401 - fixture


def test_the_wait_told_is_the_estimate_for_the_place_with_enough_recent_claims(make_desk, domain):  # noqa: F811
    desk = make_desk(online=True)
    desk.queue.request(
        "someone-ahead", language="en", region="uk", age_band=None, steps_done=[], risk=False
    )
    events, _ = run(handoff_actions.ActionRequestHuman(), tracker(sender="conv-2"), domain)
    assert SlotSet("handoff_wait", "5") in events  # too few claims: the usual wait
    with desk.queue.engine.begin() as connection:
        for minutes_ago in (14, 10, 6, 2):  # a claim every 4 minutes
            connection.execute(
                desk.queue.waits.table.insert().values(
                    claimed_at=int(NOW - minutes_ago * 60), waited_seconds=600
                )
            )
    events, _ = run(handoff_actions.ActionRequestHuman(), tracker(sender="conv-2"), domain)
    assert SlotSet("handoff_wait", "8") in events  # second in the queue, 4 minutes a place
