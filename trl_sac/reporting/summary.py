"""Per-variant figures over seeds: curves, final return, returns at budgets, time to a threshold."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from trl_sac.reporting.grouping import Variant


class Evaluated(Protocol):
    """A run's evaluations: a trl-sac run, or a peer's."""

    eval_frames: tuple[int, ...]
    eval_returns: tuple[float, ...]


# The budgets tables report: round numbers up to the paper's (100k, 300k, 1M, 3M, 10M). A
# table takes those at which some run evaluated exactly: a run evaluated every 10k frames
# has no 25k row.
LADDER = (
    1_000,
    2_500,
    5_000,
    10_000,
    25_000,
    50_000,
    100_000,
    300_000,
    1_000_000,
    3_000_000,
    10_000_000,
)


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


def curve_of(runs: Sequence[Evaluated]) -> Curve:
    """Mean and spread over `runs` at every frame count any of them was evaluated at."""
    import pandas as pd  # on first use: reading and grouping runs does not need it

    evaluations = pd.DataFrame(
        [
            (frames, value)
            for run in runs
            for frames, value in zip(run.eval_frames, run.eval_returns, strict=True)
        ],
        columns=["frames", "return"],
    ).dropna()
    points = evaluations.groupby("frames")["return"].agg(["mean", "std", "count"])
    # One seed has no spread: a band of width zero, not a gap.
    points["std"] = points["std"].fillna(0.0)
    return Curve(
        frames=tuple(int(frames) for frames in points.index),
        mean=tuple(points["mean"]),
        std=tuple(points["std"]),
        runs=tuple(int(count) for count in points["count"]),
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


def budgets_for(evaluations: Sequence[Sequence[int]], count: int) -> list[int]:
    """The last `count` budgets of the ladder at which some run evaluated, and the furthest
    evaluation when it falls between them. `evaluations` holds each run's evaluated frames."""
    evaluated = {frames for run in evaluations for frames in run}
    horizon = max(evaluated, default=0)
    budgets = [budget for budget in LADDER if budget in evaluated][-count:]
    if horizon and horizon not in budgets:
        budgets.append(horizon)
    return budgets
