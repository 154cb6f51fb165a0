"""The plan's order and moves (haven/plan/steps.py)."""

import pytest

from haven.plan.steps import COMPLETE, JUMP_INTENTS, STEPS, PlanProgress


def test_the_plan_starts_with_dont_pay_and_ends_with_securing_accounts():
    assert STEPS[0] == "dont_pay"
    assert STEPS[2] == "save_evidence" and STEPS[3] == "block_report"  # evidence before blocking
    assert STEPS[-1] == "secure_accounts"
    assert len(set(STEPS)) == 8


def test_starting_shows_the_first_step():
    progress = PlanProgress()
    move = progress.start_or_resume()
    assert move.step == "dont_pay"
    assert not move.remind_dont_pay_first
    assert progress.seen == ["dont_pay"]


def test_done_walks_every_step_in_order_then_completes():
    progress = PlanProgress()
    progress.start_or_resume()
    shown = [progress.current]
    for _ in STEPS:
        shown.append(progress.mark_current_done_and_advance().step)
    assert shown == [*STEPS, COMPLETE]
    assert progress.done == list(STEPS)
    assert progress.left == []


def test_jumping_ahead_before_step_one_reminds_about_not_paying():
    progress = PlanProgress()
    move = progress.move_for_intent("ask_takedown")
    assert move.step == "take_down"
    assert move.remind_dont_pay_first


def test_jumping_after_seeing_step_one_does_not_remind_again():
    progress = PlanProgress()
    progress.start_or_resume()
    assert not progress.move_for_intent("ask_evidence").remind_dont_pay_first


def test_done_after_a_jump_goes_to_the_next_step_not_done():
    progress = PlanProgress(current="dont_pay", done=[], seen=["dont_pay"])
    progress.move_for_intent("ask_block_report")
    move = progress.move_for_intent("step_done")
    assert move.step == "tell_adult"
    assert progress.done == ["block_report"]


def test_done_on_the_last_step_wraps_to_the_first_step_still_left():
    progress = PlanProgress(current="secure_accounts", done=["stop_replying"], seen=list(STEPS))
    assert progress.mark_current_done_and_advance().step == "dont_pay"


def test_going_back_shows_the_previous_step_and_stops_at_the_first():
    progress = PlanProgress(current="save_evidence", seen=list(STEPS[:3]))
    assert progress.go_back().step == "stop_replying"
    assert progress.go_back().step == "dont_pay"
    assert progress.go_back().step == "dont_pay"


def test_going_back_from_complete_shows_the_last_step():
    progress = PlanProgress(current=COMPLETE, done=list(STEPS), seen=list(STEPS))
    assert progress.go_back().step == "secure_accounts"


def test_going_back_before_starting_starts():
    assert PlanProgress().go_back().step == "dont_pay"


def test_resuming_shows_the_current_step_when_it_is_not_done():
    progress = PlanProgress(current="tell_adult", done=["dont_pay"], seen=list(STEPS[:5]))
    assert progress.start_or_resume().step == "tell_adult"


def test_resuming_a_finished_step_shows_the_first_one_left():
    progress = PlanProgress(current="dont_pay", done=["dont_pay", "stop_replying"])
    assert progress.start_or_resume().step == "save_evidence"


def test_every_jump_intent_leads_to_a_real_step():
    for intent, step in JUMP_INTENTS.items():
        progress = PlanProgress()
        assert progress.move_for_intent(intent).step == step


def test_jumping_to_an_unknown_step_is_an_error():
    with pytest.raises(ValueError, match="unknown plan step"):
        PlanProgress().jump_to("pay_them")


def test_slots_with_unknown_values_are_cleaned_up():
    progress = PlanProgress.from_slots("dance", ["take_down", "nonsense", "dont_pay"], None)
    assert progress.current is None
    assert progress.done == ["dont_pay", "take_down"]  # plan order, unknown dropped
    assert progress.seen == []
