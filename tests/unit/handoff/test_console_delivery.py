"""`POST /counselor/api/chats/<id>/send` says whether the young person's widget got the message,
on a running web chat and console: delivered while their socket is there, "not delivered" once
they are gone (and shown so in the chat), and sent again (`{again: n}`) once they are back."""

import asyncio
import json

from tests.support.polling import until
from tests.support.running_haven import disconnect
from tests.unit.handoff.test_widget_handoff import (  # noqa: F401 (`haven` is a fixture)
    ask,
    hang_up,
    haven,
    young_person,
)


def test_a_message_is_delivered_reported_lost_and_sent_again_once_they_are_back(haven):  # noqa: F811
    async def scenario():
        client = await young_person(haven.port)
        request = ask(haven.queue, client.session["session_id"], share=False)
        assert haven.counselor.post("/counselor/api/claim", {"id": request.request_id})[0] == 200
        path = f"/counselor/api/chats/{request.request_id}"
        status, sent = haven.counselor.post(f"{path}/send", {"text": "hello"})
        assert status == 200 and sent["ok"] and sent["delivered"] is True

        claim = {k: client.session[k] for k in ("session_id", "token")}
        await disconnect(client)  # the tab closed, or their server went away
        status, lost = haven.counselor.post(f"{path}/send", {"text": "still there?"})
        assert status == 200 and lost["delivered"] is False
        chat = json.loads(haven.counselor.request("GET", path)[1])
        assert [m["delivered"] for m in chat["messages"] if m["n"] == lost["n"]] == [False]

        back = await young_person(haven.port, claim)
        pushed = []
        back.on("bot_uttered", pushed.append)
        status, again = haven.counselor.post(f"{path}/send", {"again": lost["n"]})
        assert status == 200 and again == {"ok": True, "n": lost["n"], "delivered": True}
        await until(lambda: pushed)
        assert pushed == [{"text": "still there?", "from": "counselor"}]
        assert haven.counselor.post(f"{path}/send", {"again": lost["n"]})[1]["delivered"]
        await asyncio.sleep(0.3)
        assert len(pushed) == 1  # already delivered: not sent twice

        assert haven.counselor.post(f"{path}/send", {"again": 999})[0] == 404
        for wrong in ("1", True, None, 1.5):
            assert haven.counselor.post(f"{path}/send", {"again": wrong})[0] == 400
        assert haven.counselor.post(f"{path}/end")[0] == 200
        await hang_up(back)

    asyncio.run(scenario())
