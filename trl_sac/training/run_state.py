"""The training loop's own state: counters, the learning schedule and the open log window."""

from __future__ import annotations

import math
from typing import Any

import torch

from trl_sac.training.schedule import updates_owed
from trl_sac.training.tracking import Clock, TrainWindow


class RunState:
    """Everything about a run's progress that is not a network, an optimizer or the buffer.

    Gradient steps are owed from frame `learning_starts_at` on, `utd_ratio` per env
    step, on top of the `updates_at_learning_start` already taken. A fresh run learns
    from `init_random_frames` with none taken; a run resumed without its replay buffer
    learns again once it has refilled it. `reported_frames` is the last frame whose log
    row and evaluation are done (a run stopped by a signal may snapshot before them).
    """

    def __init__(self, *, learning_starts_at: int, device: torch.device) -> None:
        self.frames = 0
        self.reported_frames = 0
        self.updates = 0
        self.final_return = math.nan
        self.learning_starts_at = learning_starts_at
        self.updates_at_learning_start = 0
        self.window = TrainWindow()
        self.clock = Clock()
        self.device = device

    def updates_owed(self, utd_ratio: float) -> int:
        return self.updates_at_learning_start + updates_owed(
            self.frames, init_random_frames=self.learning_starts_at, utd_ratio=utd_ratio
        )

    def restart_learning_after(self, refill_frames: int) -> None:
        """Hold gradient steps until `refill_frames` more env steps have refilled the buffer."""
        self.learning_starts_at = self.frames + refill_frames
        self.updates_at_learning_start = self.updates

    def state_dict(self) -> dict[str, Any]:
        return {
            "frames": self.frames,
            "reported_frames": self.reported_frames,
            "updates": self.updates,
            "final_return": self.final_return,
            "learning_starts_at": self.learning_starts_at,
            "updates_at_learning_start": self.updates_at_learning_start,
            "window": self.window.state_dict(),
            "clock": self.clock.state_dict(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.frames = state["frames"]
        self.reported_frames = state["reported_frames"]
        self.updates = state["updates"]
        self.final_return = state["final_return"]
        self.learning_starts_at = state["learning_starts_at"]
        self.updates_at_learning_start = state["updates_at_learning_start"]
        self.window.load_state_dict(state["window"], self.device)
        self.clock.load_state_dict(state["clock"], self.frames, self.updates)
