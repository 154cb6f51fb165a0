"""`ContentPackNLG`: Rasa's natural language generator for Haven's content packs.

Set in `endpoints.yml` (`nlg: type: haven.rasa_edge.nlg.ContentPackNLG`); Rasa 3.6 loads the class
from its module path and calls `ContentPackNLG(endpoint_config=..., domain=...)` in the Rasa server
itself (no extra service). For each response it renders `content/languages/<language>/responses.yml`
in the conversation's language, with the help lines of its region and age group
(`haven.packs.render.Renderer`, the process's one from haven/services.py unless endpoints.yml
names another `content_dir`). A response the packs lack is a startup error, never a silent gap.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from rasa.core.nlg.generator import NaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from haven.handoff.queue import REQUEST_CHANNEL
from haven.handoff.waiting import ASK_HELPFUL, ASK_HELPFUL_AFTER
from haven.metrics import counts
from haven.nlu.locale_finding import (
    LANGUAGE_SET,
    LANGUAGE_SET_RESPONSE,
    effective_language,
    effective_region,
)
from haven.packs.content import CONTENT_DIR, ContentError, Problem
from haven.rasa_edge import patches
from haven.services import Services

logger = logging.getLogger(__name__)


class ContentPackNLG(NaturalLanguageGenerator):
    """Renders every response from the content packs, in the tracker's language and region."""

    def __init__(
        self,
        endpoint_config: EndpointConfig | None = None,
        domain: Domain | None = None,
        services: Services | None = None,
    ) -> None:
        patches.install()  # every adapter Rasa builds puts Haven's patches in place
        options = (endpoint_config.kwargs if endpoint_config else None) or {}
        self.services = services or Services.for_process()
        content_dir = Path(options.get("content_dir") or CONTENT_DIR)
        self.packs = self.services.packs_in(content_dir)
        self.renderer = self.services.renderer_in(content_dir)
        missing = [
            key
            for key in (domain.responses if domain else {})
            if not self.renderer.has_response(key)
        ]
        if missing:
            raise ContentError(
                [
                    Problem(CONTENT_DIR, 1, f"the domain's response `{key}` has no English text")
                    for key in missing
                ]
            )
        for warning in self.packs.warnings:
            # Visible at every start: a text that falls back to English is a gap to fill.
            logger.warning("Content pack: %s", warning)

    async def generate(
        self,
        utter_action: str,
        tracker: DialogueStateTracker,
        output_channel: str,
        **kwargs: Any,
    ) -> dict[str, Any] | None:
        """The message for `utter_action`, or None (Rasa logs it) if no pack has it."""
        counts.response_sent(utter_action)  # crisis replies are counted for the NGO
        slots = tracker.current_slot_values()
        language = effective_language(slots, self.packs)
        message = self.renderer.render(
            utter_action,
            language=language,
            region=effective_region(slots, self.packs),
            slots=slots,
        )
        if message is None or tracker.get_latest_input_channel() != REQUEST_CHANNEL:
            return message
        if utter_action in ASK_HELPFUL_AFTER:
            # The web chat then asks "did this help?" (haven/rasa_edge/widget_channel.py).
            message["custom"] = {ASK_HELPFUL: True}
        elif utter_action == LANGUAGE_SET_RESPONSE:
            # The web chat then shows its own texts in the language chosen in the chat.
            message["custom"] = {LANGUAGE_SET: language}
        return message
