"""Per-variant figures over seeds: curves, final return, returns at budgets, time to a threshold."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from trl_sac.reporting.grouping import Variant
from trl_sac.reporting.run_records import RunRecord


class Evaluated(Protocol):
    """A run's evaluations: a trl-sac run, or a peer's."""

    eval_frames: tuple[int, ...]
    eval_returns: tuple[float, ...]


@dataclass(frozen=True)
class Spread:
    """Mean and sample standard deviation over the seeds that have a value."""

    mean: float
    std: float
    count: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        present = [value for value in values if not math.isnan(value)]
        if not present:
            return cls(math.nan, math.nan, 0)
        std = statistics.stdev(present) if len(present) > 1 else 0.0
        return cls(statistics.fmean(present), std, len(present))


@dataclass(frozen=True)
class Curve:
    """Mean and standard deviation of eval return over seeds at each evaluated frame count.

    A run still in progress counts at the frames it has reached.
    """

    frames: tuple[int, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    runs: tuple[int, ...]


def curve(variant: Variant) -> Curve:
    return curve_of(variant.runs)


def curve_of(runs: Sequence[Evaluated]) -> Curve:
    """Mean and spread over `runs` at every frame count any of them was evaluated at."""
    by_frames: dict[int, list[float]] = {}
    for run in runs:
        for frames, value in zip(run.eval_frames, run.eval_returns, strict=True):
            by_frames.setdefault(frames, []).append(value)
    points = [(frames, Spread.of(values)) for frames, values in sorted(by_frames.items())]
    return Curve(
        frames=tuple(frames for frames, _ in points),
        mean=tuple(spread.mean for _, spread in points),
        std=tuple(spread.std for _, spread in points),
        runs=tuple(spread.count for _, spread in points),
    )


@dataclass(frozen=True)
class VariantSummary:
    variant: Variant
    final_return: Spread
    final_frames: tuple[int, int]
    # "1 diverged, 1 unfinished" for runs short of their budget; empty when all finished.
    short: str
    at_budgets: dict[int, Spread]
    threshold: float | None
    frames_to_threshold: Spread
    elapsed_s: Spread
    env_steps_per_s: Spread


def summarize(variant: Variant, budgets: Sequence[int], threshold: float | None) -> VariantSummary:
    runs = variant.runs
    reached = [run.frames_to_reach(threshold) for run in runs] if threshold is not None else []
    return VariantSummary(
        variant=variant,
        final_return=Spread.of([run.final_return for run in runs]),
        final_frames=(min(run.frames for run in runs), max(run.frames for run in runs)),
        short=", ".join(
            f"{count} {status}"
            for status in ("diverged", "unfinished")
            if (count := sum(run.status == status for run in runs))
        ),
        at_budgets={
            budget: Spread.of([run.return_at(budget) for run in runs]) for budget in budgets
        },
        threshold=threshold,
        frames_to_threshold=Spread.of([math.nan if at is None else at for at in reached]),
        elapsed_s=Spread.of([run.elapsed_s for run in runs]),
        env_steps_per_s=Spread.of([run.env_steps_per_s for run in runs]),
    )


def default_budgets(runs: Sequence[RunRecord], count: int = 4) -> list[int]:
    """`count` evenly spaced evaluation points up to the furthest evaluation of any run."""
    evaluated = sorted({frames for run in runs for frames in run.eval_frames})
    if not evaluated:
        return []
    horizon = evaluated[-1]
    budgets = []
    for step in range(1, count + 1):
        target = horizon * step / count
        at_or_before = [frames for frames in evaluated if frames <= target]
        if at_or_before and at_or_before[-1] not in budgets:
            budgets.append(at_or_before[-1])
    return budgets
