"""Named schedules, so the training loop reads as prose instead of modulo arithmetic."""

from __future__ import annotations

import math


class Every:
    """True once each time a growing count reaches the next multiple of `interval`.

    `after` is the count already reached (a resumed run's frames): multiples up to it
    have had their turn.
    """

    def __init__(self, interval: int, *, after: int = 0) -> None:
        self.interval = interval
        self.next_at = (after // interval + 1) * interval

    def __call__(self, count: int) -> bool:
        if count < self.next_at:
            return False
        self.next_at = (count // self.interval + 1) * self.interval
        return True


def updates_owed(frames: int, *, init_random_frames: int, utd_ratio: float) -> int:
    """Gradient steps a run should have taken after `frames` env steps.

    Learning starts after the random warm-up and then keeps `utd_ratio` gradient steps
    per env step, whatever the collector's batch size.
    """
    return math.floor(max(0, frames - init_random_frames) * utd_ratio)
