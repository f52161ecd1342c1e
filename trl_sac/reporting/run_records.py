"""Reading finished or still-running run directories back: their config and metric rows."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from trl_sac.errors import RunDirError
from trl_sac.runs.layout import CONFIG_FILE, METRICS_DIR, flatten_config

# Runs that `restart=true` moved aside are history, not part of an experiment.
REPLACED_MARK = ".replaced-"


@dataclass(frozen=True)
class RunRecord:
    """One run as its files describe it, up to its last complete metric row."""

    path: Path
    config: dict[str, Any]
    eval_frames: tuple[int, ...]
    eval_returns: tuple[float, ...]
    frames: int
    elapsed_s: float
    timed_frames: int
    # A loss logged as NaN or infinite: the run stopped on its non-finite guard.
    diverged: bool = False

    @property
    def env_id(self) -> str:
        return str(self.config["env.id"])

    @property
    def seed(self) -> int:
        return int(self.config["seed"])

    @property
    def total_frames(self) -> int:
        return int(self.config["collector.total_frames"])

    @property
    def finished(self) -> bool:
        return self.frames >= self.total_frames

    @property
    def warm_up_frames(self) -> int:
        return int(self.config.get("collector.init_random_frames") or 0)

    @property
    def trained(self) -> bool:
        """Whether the run got past its random warm-up, before which it makes no update."""
        return self.frames > self.warm_up_frames

    @property
    def status(self) -> str:
        if self.finished:
            return "finished"
        return "diverged" if self.diverged else "unfinished"

    @property
    def final_return(self) -> float:
        return self.eval_returns[-1] if self.eval_returns else math.nan

    @property
    def env_steps_per_s(self) -> float:
        """Env steps over wall time, all phases included (evaluation too)."""
        if math.isnan(self.elapsed_s) or self.elapsed_s <= 0:
            return math.nan
        return self.timed_frames / self.elapsed_s

    def return_at(self, frames: int) -> float:
        """The latest evaluation at or before `frames`; NaN when the run has not got there."""
        return return_at(self.eval_frames, self.eval_returns, frames)

    def frames_to_reach(self, threshold: float) -> int | None:
        """The first evaluation whose mean return is at least `threshold`, if any."""
        for at, value in zip(self.eval_frames, self.eval_returns, strict=True):
            if value >= threshold:
                return at
        return None


def return_at(eval_frames: Sequence[int], eval_returns: Sequence[float], frames: int) -> float:
    """The latest of the evaluations at or before `frames`; NaN when they stop short of it."""
    if not eval_frames or eval_frames[-1] < frames:
        return math.nan
    before = [value for at, value in zip(eval_frames, eval_returns, strict=True) if at <= frames]
    return before[-1] if before else math.nan


def is_run_dir(path: Path) -> bool:
    return (path / CONFIG_FILE).is_file() and (path / METRICS_DIR).is_dir()


def find_run_dirs(paths: Iterable[Path]) -> list[Path]:
    """Each path that is a run directory, and every run directory below each other path."""
    found: list[Path] = []
    for path in paths:
        if not path.exists():
            raise RunDirError(f"{path} does not exist")
        if is_run_dir(path):
            found.append(path)
            continue
        below = sorted(
            config.parent
            for config in path.rglob(CONFIG_FILE)
            if is_run_dir(config.parent)
            and not any(REPLACED_MARK in part for part in config.parent.relative_to(path).parts)
        )
        if not below:
            raise RunDirError(f"{path} holds no run directory (a config.yaml beside metrics/)")
        found.extend(below)
    return list(dict.fromkeys(found))


def read_run(path: Path) -> RunRecord:
    """Read `path`'s config and metrics; rows cut short by a kill or a live writer are skipped."""
    try:
        config = flatten_config(OmegaConf.load(path / CONFIG_FILE))
    except (OSError, yaml.YAMLError, OmegaConfBaseException) as error:
        raise RunDirError(f"{path / CONFIG_FILE} is unreadable: {error}") from None
    for key, kind in (("env.id", str), ("seed", int), ("collector.total_frames", int)):
        if not isinstance(config.get(key), kind):
            raise RunDirError(
                f"{path / CONFIG_FILE} is not a trl-sac run config "
                f"({key} is {config.get(key)!r}, not a {kind.__name__})"
            )
    metrics = path / METRICS_DIR
    evals = read_rows(metrics / "eval.csv")
    times = read_rows(metrics / "time.csv")
    train = read_rows(metrics / "train.csv")
    scored = [row for row in evals if not math.isnan(row.get("eval/return_mean", math.nan))]
    last_rows = [rows[-1] for rows in (evals, times, train) if rows]
    return RunRecord(
        path=path,
        config=config,
        eval_frames=tuple(int(row["frames"]) for row in scored),
        eval_returns=tuple(row["eval/return_mean"] for row in scored),
        frames=max((int(row["frames"]) for row in last_rows), default=0),
        elapsed_s=times[-1].get("time/elapsed_s", math.nan) if times else math.nan,
        timed_frames=int(times[-1]["frames"]) if times else 0,
        diverged=_logs_non_finite(metrics / "train.csv"),
    )


def read_rows(path: Path) -> list[dict[str, float]]:
    """A metrics CSV as numbers (blank cells are NaN), in frame order."""
    if not path.exists():
        return []
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise RunDirError(f"{path} is unreadable: {error}") from None
    if not text.strip():
        return []
    if not text.endswith("\n"):  # the last row is still being written, or was cut by a kill
        text = text[: text.rfind("\n") + 1]
        if not text:
            return []
    try:
        header, *rows = list(csv.reader(io.StringIO(text)))
        if not header or header[0] != "frames":
            raise RunDirError(f"{path} is not a metrics table (its first column is not frames)")
        rows = [
            {name: _number(cell) for name, cell in zip(header, row, strict=True)}
            for row in rows
            if len(row) == len(header) and row[0]
        ]
    except csv.Error as error:
        raise RunDirError(f"{path} is not a readable CSV table: {error}") from None
    except ValueError as error:
        if isinstance(error, RunDirError):
            raise
        raise RunDirError(f"{path} holds a value that is not a number: {error}") from None
    if not all(math.isfinite(row["frames"]) for row in rows):
        raise RunDirError(f"{path} has a frames value that is not a finite number")
    return sorted(rows, key=lambda row: row["frames"])


def _logs_non_finite(path: Path) -> bool:
    """Whether a logged value is NaN or infinite (a blank cell is a value not logged)."""
    if not path.exists():
        return False
    with path.open(newline="") as file:
        return any(
            cell.strip().lower() in ("nan", "inf", "-inf")
            for row in csv.reader(file)
            for cell in row
        )


def _number(cell: str) -> float:
    return float(cell) if cell else math.nan
