"""The step-by-step plan a young person is walked through, and where they are in it.

The order follows what the FBI, NCMEC, C3P, CEOP, ACCCE and eSafety agree on (see the help
directory in `../shared/reference/help-directory.md`). What each step *says* is content; this
module only knows the order, which intents lead where, and what has been done.
"""

from __future__ import annotations

from dataclasses import dataclass, field

STEPS: tuple[str, ...] = (
    "dont_pay",
    "stop_replying",
    "save_evidence",
    "block_report",
    "tell_adult",
    "report_authorities",
    "take_down",
    "secure_accounts",
)
"""The plan, in the order it is walked. The first step can never be skipped silently."""

COMPLETE = "complete"
"""The value of the current step once every step is done."""

FIRST_STEP = STEPS[0]

JUMP_INTENTS: dict[str, str] = {
    "ask_should_pay": "dont_pay",
    "ask_should_reply": "stop_replying",
    "ask_evidence": "save_evidence",
    "ask_block_report": "block_report",
    "ask_tell_adult": "tell_adult",
    "ask_report_police": "report_authorities",
    "ask_takedown": "take_down",
    "ask_secure_account": "secure_accounts",
}
"""Questions about one topic take the user straight to that step."""


@dataclass
class PlanProgress:
    """Where one conversation is in the plan: the current step, and what is done and seen."""

    current: str | None = None
    done: list[str] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)

    @classmethod
    def from_slots(
        cls, current: str | None, done: list[str] | None, seen: list[str] | None
    ) -> PlanProgress:
        """Rebuild progress from slot values, dropping anything that is not a known step."""
        known_current = current if current in STEPS or current == COMPLETE else None
        return cls(
            current=known_current,
            done=[step for step in STEPS if step in (done or [])],
            seen=[step for step in STEPS if step in (seen or [])],
        )

    @property
    def left(self) -> list[str]:
        """Steps not yet done, in plan order."""
        return [step for step in STEPS if step not in self.done]

    def _go_to(self, step: str) -> PlanMove:
        needs_reminder = step != FIRST_STEP and FIRST_STEP not in self.seen
        first_visit = step != COMPLETE and step not in self.seen
        self.current = step
        if first_visit:
            self.seen = [s for s in STEPS if s in self.seen or s == step]
        return PlanMove(step=step, remind_dont_pay_first=needs_reminder, first_visit=first_visit)

    def start_or_resume(self) -> PlanMove:
        """Show the current step, or the first one not done yet."""
        if self.current in STEPS and self.current not in self.done:
            return self._go_to(self.current)
        return self._go_to(self.left[0] if self.left else COMPLETE)

    def mark_current_done_and_advance(self) -> PlanMove:
        """The user finished the current step: record it and show the next one not done."""
        if self.current not in STEPS:
            return self.start_or_resume()
        if self.current not in self.done:
            self.done = [s for s in STEPS if s in self.done or s == self.current]
        later = STEPS[STEPS.index(self.current) + 1 :]
        for step in later + STEPS:
            if step not in self.done:
                return self._go_to(step)
        return self._go_to(COMPLETE)

    def go_back(self) -> PlanMove:
        """Show the step before the current one (the first step stays where it is)."""
        if self.current == COMPLETE:
            return self._go_to(STEPS[-1])
        if self.current not in STEPS:
            return self.start_or_resume()
        return self._go_to(STEPS[max(STEPS.index(self.current) - 1, 0)])

    def jump_to(self, step: str) -> PlanMove:
        """Show a named step, done or not, without changing what is done."""
        if step not in STEPS:
            raise ValueError(f"unknown plan step: {step!r}")
        return self._go_to(step)

    def move_for_intent(self, intent: str | None) -> PlanMove:
        """Apply what the user asked for (an intent name) and say which step to show."""
        if intent == "step_done":
            return self.mark_current_done_and_advance()
        if intent == "go_back":
            return self.go_back()
        if intent in JUMP_INTENTS:
            return self.jump_to(JUMP_INTENTS[intent])
        return self.start_or_resume()


@dataclass(frozen=True)
class PlanMove:
    """The result of a move: which step to show, whether to remind about step one first, and
    whether this conversation reaches the step for the first time (the NGO's count)."""

    step: str
    remind_dont_pay_first: bool = False
    first_visit: bool = False
