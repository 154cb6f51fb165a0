"""A clock a test moves by hand (`clock.now += 60`), for the queue, the desk and the waits."""

START = 1_700_000_000.0


class Clock:
    """Called like `time.time`; starts at `now`."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
