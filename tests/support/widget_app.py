"""A Sanic app with the web chat channel and the counselor console, without a Rasa model, for
tests/unit/handoff/test_widget_handoff.py. Every message the bot would get is answered "ok";
"/the_end" also carries the mark of the end of the plan (so the channel asks "did this help?").

    python -m tests.support.widget_app PORT LEAVE_GRACE_SECONDS [WATCH_SECONDS]

WATCH_SECONDS: how often the queue watcher looks at the queue unprompted (haven/handoff/waiting.py).

Storage comes from the environment (HAVEN_DATA_DIR, HAVEN_KEYS) as for the real server.
"""

import sys

from sanic import Sanic

from haven.handoff.relay import HandoffRelay
from haven.handoff.waiting import ASK_HELPFUL
from haven.rasa_edge.console_channel import CounselorConsoleInput
from haven.rasa_edge.widget_channel import HavenWidgetInput

app = Sanic("widget_test")


async def answer(message):
    await message.output_channel.send_text_message(message.sender_id, "ok")
    if message.text == "/the_end":  # as the content pack NLG marks the end of the plan
        await message.output_channel.send_custom_json(message.sender_id, {ASK_HELPFUL: True})


if __name__ == "__main__":
    watch = {"watch_seconds": float(sys.argv[3])} if len(sys.argv) > 3 else {}
    channel = HavenWidgetInput(
        relay=HandoffRelay(), leave_grace_seconds=float(sys.argv[2]), **watch
    )
    app.blueprint(channel.blueprint(answer), url_prefix="/webhooks/haven_widget")
    console = CounselorConsoleInput(relay=channel.relay)  # its own entry, as in credentials.yml
    app.blueprint(console.blueprint(answer), url_prefix="/webhooks/counselor_console")
    app.run(host="127.0.0.1", port=int(sys.argv[1]), access_log=False, workers=1)
