"""A Sanic app with only the counselor console (no Rasa model), for the console tests
(tests/unit/handoff/test_console.py and others).

    python -m tests.support.console_app PORT

Storage comes from the environment (HAVEN_DATA_DIR, HAVEN_KEYS) as for the real server.
"""

import sys

from sanic import Sanic

from haven.handoff.console import CounselorConsole
from haven.handoff.relay import HandoffRelay

app = Sanic("console_test")
CounselorConsole.default(HandoffRelay()).register(app)

if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]), access_log=False, workers=1)
