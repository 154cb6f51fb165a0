"""A handoff end to end on a real Haven: the young person asks for a person over the web chat's
Socket.IO, a counselor logs in, claims, they talk both ways, the counselor hands back and the
bot answers again; nothing either typed is on disk or in the logs."""

import asyncio

import pytest

from tests.support.counselor_console import Browser
from tests.support.polling import until
from tests.support.running_haven import disconnect

pytestmark = pytest.mark.server

YOUNG_WORDS = "zorblax keeps messaging me"
AUSTRALIA = '/tell_region{"region": "au"}'
COUNSELOR_WORDS = "quibbleflux here for you"


@pytest.fixture(scope="module")
def haven(haven_behind_proxy):
    return haven_behind_proxy()  # the same as test_server.py's (tests/integration/conftest.py)


async def young_person(haven, address=None):
    """A web chat client from `address` (a random one by default), with a new conversation."""
    import secrets

    import socketio

    address = address or f"192.0.2.{secrets.randbelow(254) + 1}"
    client = socketio.AsyncClient(reconnection=False)
    pushed = []
    client.on("bot_uttered", lambda message: pushed.append(message))
    await client.connect(
        f"http://127.0.0.1:{haven.rasa_port}",
        transports=["polling"],
        headers={"X-Forwarded-For": address},
    )
    session = await client.call("session_request", {}, timeout=10)
    client.conversation_id = session["session_id"]
    return client, pushed


def stored_events(haven, conversation_id):
    """The conversation's stored events, read with the key file as the server does."""
    from haven.settings import StorageSettings
    from haven.storage.conversations import ConversationStore

    settings = StorageSettings.load({"HAVEN_DATA_DIR": str(haven.tmp / "data")})
    return [e["event"] for e in ConversationStore(settings).load(conversation_id) or []]


def test_nobody_online_is_said_honestly_with_the_young_persons_own_lines(haven):
    async def scenario():
        client, _ = await young_person(haven)
        await client.call("user_uttered", {"message": AUSTRALIA, "seq": 1}, timeout=60)
        said = await client.call(
            "user_uttered", {"message": "/request_human", "seq": 2}, timeout=60
        )
        text = "\n".join(m["text"] for m in said["messages"])
        assert "no counselor is online" in text
        assert "Kids Helpline" in text and "childhelplineinternational.org" not in text
        await client.call("leave", timeout=10)  # out of the queue: the next tests' is theirs
        await disconnect(client)

    asyncio.run(scenario())


def test_a_counselor_takes_over_and_hands_back(haven):
    counselor = Browser(haven.rasa_port)
    assert counselor.login("ana")[0].status == 303

    async def scenario():
        from tests.support.console_live import close, connect

        live, states, _ = await connect(haven.rasa_port, counselor.cookie)
        await until(lambda: states)  # ana's console is open: she can take a chat
        client, pushed = await young_person(haven)
        await client.call("user_uttered", {"message": AUSTRALIA, "seq": 10}, timeout=60)
        said = await client.call(
            "user_uttered", {"message": "/request_human", "seq": 11}, timeout=60
        )
        text = "\n".join(m["text"] for m in said["messages"])
        assert "takes about 5 minutes, and it can be longer" in text
        said = await client.call("user_uttered", {"message": "/affirm", "seq": 12}, timeout=60)
        assert "will see that summary" in said["messages"][-1]["text"]

        state = counselor.request("GET", "/counselor/api/state")[1]
        import json

        (waiting,) = [item for item in json.loads(state)["queue"] if item["shared"]]
        status, claimed = counselor.post("/counselor/api/claim", {"id": waiting["id"]})
        assert status == 200
        await until(lambda: any("counselor has joined" in m["text"] for m in pushed))
        assert stored_events(haven, client.conversation_id)[-1] == "pause"  # Rasa's own event

        said = await client.call("user_uttered", {"message": YOUNG_WORDS, "seq": 13}, timeout=30)
        assert said["ok"] and said["messages"] == []  # the bot is paused; the counselor reads it
        chat_path = f"/counselor/api/chats/{claimed['id']}"
        chat = json.loads(counselor.request("GET", chat_path)[1])
        assert [m["text"] for m in chat["messages"] if m["from"] == "young_person"] == [YOUNG_WORDS]
        assert not chat["messages"][-1]["risk"]

        said = await client.call("user_uttered", {"message": "i want to die", "seq": 9}, timeout=30)
        # The crisis lines of the region the young person chose, not the default ones.
        assert "The counselor is reading your message" in said["messages"][0]["text"]
        assert "000" in said["messages"][0]["text"]
        assert "Kids Helpline" in said["messages"][0]["text"]

        status, _ = counselor.post(f"{chat_path}/send", {"text": COUNSELOR_WORDS})
        assert status == 200
        await until(lambda: any(m.get("from") == "counselor" for m in pushed))
        assert [m["text"] for m in pushed if m.get("from") == "counselor"] == [COUNSELOR_WORDS]

        status, _ = counselor.post(f"{chat_path}/hand_back")
        assert status == 200
        await until(lambda: any("handed you back" in m["text"] for m in pushed))
        assert stored_events(haven, client.conversation_id)[-1] == "resume"
        said = await client.call("user_uttered", {"message": "/show_menu", "seq": 14}, timeout=60)
        assert said["messages"], "the bot answers again"
        await disconnect(client)
        await close(live)

    asyncio.run(scenario())
    stored = b"".join(p.read_bytes() for p in (haven.tmp / "data").glob("haven.db*"))
    logs = b"".join(p.read_bytes() for p in haven.log_dir.glob("*"))
    for words in (YOUNG_WORDS, COUNSELOR_WORDS):
        assert words.encode() not in stored
        assert words.encode() not in logs


def test_the_counselor_sees_when_the_young_person_leaves(haven):
    counselor = Browser(haven.rasa_port)
    assert counselor.login("ana")[0].status == 303

    async def scenario():
        import json

        client, pushed = await young_person(haven)
        await client.call("user_uttered", {"message": "/request_human", "seq": 1}, timeout=60)
        await client.call("user_uttered", {"message": "/affirm", "seq": 2}, timeout=60)
        state = json.loads(counselor.request("GET", "/counselor/api/state")[1])
        # Only this test's request shares the summary.
        (mine,) = [item for item in state["queue"] if item["shared"]]
        status, claimed = counselor.post("/counselor/api/claim", {"id": mine["id"]})
        assert status == 200
        await until(lambda: pushed)
        await disconnect(client)  # what quick exit does to the connection
        chat_path = f"/counselor/api/chats/{claimed['id']}"

        def left():
            chat = json.loads(counselor.request("GET", chat_path)[1])
            return [m for m in chat["messages"] if m["from"] == "notice" and m["text"] == "left"]

        await until(left)
        assert counselor.post(f"{chat_path}/end")[0] == 200
        assert stored_events(haven, client.conversation_id)[-1] == "resume"

    asyncio.run(scenario())


def queue_ids(counselor):
    import json

    return {
        item["id"]
        for item in json.loads(counselor.request("GET", "/counselor/api/state")[1])["queue"]
    }


def test_a_request_over_rest_gets_the_help_lines_and_never_enters_the_queue(haven):
    counselor = Browser(haven.rasa_port)
    assert counselor.login("ana")[0].status == 303  # a counselor is online
    before = queue_ids(counselor)
    status, replies = haven.post({"sender": "rest-asker", "message": "/request_human"})
    text = "\n".join(reply.get("text", "") for reply in replies)
    assert status == 200 and "can't connect you to a person from here" in text
    assert "talk to someone right now" in text and "summary" not in text
    status, replies = haven.post({"sender": "rest-asker", "message": "/affirm"})
    assert queue_ids(counselor) == before


def test_one_address_gets_a_few_places_in_the_queue_not_a_flood(haven):
    from haven.settings import HandoffSettings

    places = HandoffSettings.load().new_requests_per_address

    async def scenario():
        clients, refused = [], []
        for _ in range(places + 2):
            client, _ = await young_person(haven, address="198.51.100.7")
            said = await client.call(
                "user_uttered", {"message": "/request_human", "seq": 1}, timeout=60
            )
            text = "\n".join(m["text"] for m in said["messages"])
            refused.append("can't connect you to a person from here" in text)
            clients.append(client)
        for client in clients:  # out of the queue again
            await client.call("leave", timeout=10)
            await disconnect(client)
        return refused

    assert asyncio.run(scenario()) == [False] * places + [True, True]
