"""`SummarizedLog`: a log line that a flood of events cannot multiply.

A line written for every refused request lets whoever sends the requests fill the disk (40,000
refused requests a minute wrote 40,000 lines). The first event is logged at once, so an operator
sees it start; later ones are counted, and at most one line per `every_seconds` says how many came.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable


class SummarizedLog:
    """One message logged at most once per `every_seconds`, with the count of events since."""

    def __init__(
        self,
        logger: logging.Logger,
        message: str,
        every_seconds: float = 60.0,
        level: int = logging.WARNING,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger
        self.message = message
        self.every_seconds = every_seconds
        self.level = level
        self.clock = clock
        self._unlogged = 0
        self._last: float | None = None

    def note(self) -> None:
        """Counts one event; logs the message with the count when the period has passed."""
        now = self.clock()
        self._unlogged += 1
        if self._last is not None and now - self._last < self.every_seconds:
            return
        self.logger.log(
            self.level, "%s (%d since the last such line)", self.message, self._unlogged
        )
        self._unlogged = 0
        self._last = now
