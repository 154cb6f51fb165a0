"""A failed custom action ends the turn only while a channel is handling a message."""

import logging

import pytest

from haven.rasa_edge.patches.action_failures import ActionFailed, abort_turn_on_action_failure

processor_logger = logging.getLogger("rasa.core.processor")
FAILURE = "Encountered an exception while running action 'action_plan_move'.Bot will continue"


def test_a_failed_action_while_handling_a_message_raises():
    with abort_turn_on_action_failure(), pytest.raises(ActionFailed):
        processor_logger.error(FAILURE)


def test_other_records_and_records_outside_a_message_pass(caplog):
    with abort_turn_on_action_failure():
        processor_logger.warning("Circuit breaker tripped.")
    processor_logger.error(FAILURE)  # e.g. Rasa's own tools, not a channel: logged, not raised
    assert [r.getMessage() for r in caplog.records] == ["Circuit breaker tripped.", FAILURE]
