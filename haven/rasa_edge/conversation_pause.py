"""Pausing the bot for a conversation while a counselor has it, with Rasa's own events.

The counselor console (haven/handoff/console.py, Rasa-free) calls this when a counselor claims a
chat (paused: the bot stays quiet) and when the chat ends or is handed back (resumed). It runs
under the conversation's lock, so no message of the young person is handled halfway through.
"""

from __future__ import annotations

from rasa.shared.core.events import ConversationPaused, ConversationResumed
from sanic import Sanic


async def set_paused(app: Sanic, conversation_id: str, paused: bool) -> None:
    """Pauses or resumes the bot for a conversation with Rasa's own events, under its lock."""
    agent = getattr(app.ctx, "agent", None)
    if agent is None or agent.processor is None:
        return  # no model loaded: there is no bot to pause
    async with agent.lock_store.lock(conversation_id):
        tracker = await agent.processor.fetch_tracker_with_initial_session(conversation_id)
        tracker.update(ConversationPaused() if paused else ConversationResumed())
        await agent.tracker_store.save(tracker)
