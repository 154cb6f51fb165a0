"""Haven starts and answers with an NGO's credentials.yml and endpoints.yml of before the move to
`haven/` (tests/fixtures/credentials-before-move.yml and endpoints-before-move.yml), and logs a
warning naming each new path. The old paths themselves are checked without a server in
tests/unit/test_old_dotted_paths.py.
"""

import pytest

from tests.support import PROJECT
from tests.support.running_haven import Haven, texts

pytestmark = pytest.mark.server

FIXTURES = PROJECT / "tests" / "fixtures"


def test_haven_starts_and_answers_with_the_credentials_and_endpoints_of_before(tmp_path):
    haven = Haven(
        tmp_path,
        HAVEN_CREDENTIALS=str(FIXTURES / "credentials-before-move.yml"),
        HAVEN_ENDPOINTS=str(FIXTURES / "endpoints-before-move.yml"),
        HAVEN_ACTION_SECRET="an-old-profile-secret-" + "0" * 16,
    )
    try:
        reply = texts(haven.say("old-paths-1", "someone is threatening to share my pics"))
        assert "Step 1" in reply
    finally:
        haven.stop()
    log = (haven.log_dir / "rasa.log").read_text(encoding="utf-8", errors="replace")
    for old, new in [
        ("bot.channels", "haven.rasa_edge.rest_channel"),
        ("bot.widget_channel", "haven.rasa_edge.widget_channel"),
        ("bot.tracker_store", "haven.rasa_edge.tracker_store"),
        ("bot.nlg", "haven.rasa_edge.nlg"),
    ]:
        assert f"{old} moved to {new};" in log, log[-3000:]
