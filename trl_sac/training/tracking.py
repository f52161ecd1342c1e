"""Bookkeeping between two log rows: finished episodes, loss sums, time per phase."""

from __future__ import annotations

import time
from typing import Any

import torch
from tensordict import TensorDict, TensorDictBase


class TrainWindow:
    """Training metrics between two log rows: finished episodes and summed loss metrics.

    Loss metrics stay on the training device until the row is written, so the loop
    does not wait for the device after each update.
    """

    def __init__(self) -> None:
        self.returns: list[float] = []
        self.lengths: list[int] = []
        self.loss_sum: TensorDictBase | None = None
        self.loss_count = 0

    def add_episodes(self, returns: list[float], lengths: list[int]) -> None:
        self.returns += returns
        self.lengths += lengths

    def add_losses(self, losses: TensorDictBase) -> None:
        self.loss_sum = losses if self.loss_sum is None else self.loss_sum + losses
        self.loss_count += 1

    def nonfinite_losses(self) -> list[str]:
        """Names of the loss metrics that were NaN or infinite in any update of the window."""
        if self.loss_sum is None:
            return []
        return [key for key, value in self.loss_sum.items() if not torch.isfinite(value).all()]

    def metrics(self, updates: int) -> dict[str, float]:
        values = {"train/updates": float(updates), "train/episodes": float(len(self.returns))}
        if self.returns:
            values["train/episode_return"] = sum(self.returns) / len(self.returns)
            values["train/episode_length"] = sum(self.lengths) / len(self.lengths)
        if self.loss_sum is not None:
            means = (self.loss_sum / self.loss_count).to("cpu")
            values.update({f"train/{key}": value.item() for key, value in means.items()})
        return values

    def state_dict(self) -> dict[str, Any]:
        loss_sum = None if self.loss_sum is None else self.loss_sum.to("cpu").to_dict()
        return {
            "returns": list(self.returns),
            "lengths": list(self.lengths),
            "loss_sum": loss_sum,
            "loss_count": self.loss_count,
        }

    def load_state_dict(self, state: dict[str, Any], device: torch.device) -> None:
        self.returns = list(state["returns"])
        self.lengths = list(state["lengths"])
        loss_sum = state["loss_sum"]
        self.loss_sum = None if loss_sum is None else TensorDict(loss_sum, device=device)
        self.loss_count = state["loss_count"]


class Clock:
    """Wall time spent per phase, and throughput since the previous log row.

    Elapsed and per-phase times carry over a resume; throughput after a resume counts
    from the moment training continued.
    """

    def __init__(self) -> None:
        self.start = time.perf_counter()
        # "sample" is also inside "update"; it is reported apart to show the split.
        self.spent = {"collect": 0.0, "sample": 0.0, "update": 0.0, "eval": 0.0, "snapshot": 0.0}
        self._last = (self.start, 0, 0)

    def measure(self, phase: str) -> _Timer:
        return _Timer(self, phase)

    def metrics(self, frames: int, updates: int) -> dict[str, float]:
        now = time.perf_counter()
        last_time, last_frames, last_updates = self._last
        elapsed = max(now - last_time, 1e-9)
        self._last = (now, frames, updates)
        return {
            "time/elapsed_s": now - self.start,
            "time/env_steps_per_s": (frames - last_frames) / elapsed,
            "time/updates_per_s": (updates - last_updates) / elapsed,
            **{f"time/{phase}_s": seconds for phase, seconds in self.spent.items()},
        }

    def state_dict(self) -> dict[str, Any]:
        return {"elapsed_s": time.perf_counter() - self.start, "spent": dict(self.spent)}

    def load_state_dict(self, state: dict[str, Any], frames: int, updates: int) -> None:
        now = time.perf_counter()
        self.start = now - state["elapsed_s"]
        self.spent.update(state["spent"])
        self._last = (now, frames, updates)


class _Timer:
    def __init__(self, clock: Clock, phase: str) -> None:
        self.clock, self.phase = clock, phase

    def __enter__(self) -> None:
        self.begin = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.clock.spent[self.phase] += time.perf_counter() - self.begin
