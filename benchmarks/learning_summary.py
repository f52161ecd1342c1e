"""The learning results table: trl-sac's returns at a ladder of budgets, peers measured on the
same machine at the same budgets, and the published returns beside them; and its figure."""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from references import BUDGET as REFERENCE_BUDGET
from references import SAME_BUDGET_SOURCE, SOURCES, reference_cells, same_budget_return

from trl_sac.errors import RunDirError, first_line
from trl_sac.reporting.formatting import duration_text, frames_text, markdown_table, spread_text
from trl_sac.reporting.grouping import group_runs
from trl_sac.reporting.plots import plot_curves, variant_lines
from trl_sac.reporting.run_records import RunRecord, find_run_dirs, read_rows, read_run, return_at
from trl_sac.reporting.summary import Spread, budgets_for, curve_of

# Rows per variant: the last three budgets of the ladder the runs evaluated at (25k, 50k and
# 100k for a 100k run evaluated every 5k frames), and the furthest evaluation.
ROW_BUDGETS = 3
PEER_RECORD = "run.json"
FIGURE_FILE = "learning.png"
# Written by benchmarks/random_policy.py --out: one <env id>.json per task.
FLOORS_DIR = Path(__file__).resolve().parent / "results" / "floors"
FLOOR_POLICIES = {"uniform_random": "uniform random policy", "zero_action": "zero action"}


@dataclass(frozen=True)
class Floor:
    """A policy that learns nothing, evaluated as trl-sac evaluates (random_policy.py)."""

    env_id: str
    policy: str
    returns: tuple[float, ...]
    command: str

    @property
    def spread(self) -> Spread:
        return Spread.of(list(self.returns))


def read_floors(directory: Path | None = None) -> dict[str, list[Floor]]:
    """Each task's floors, by env id; none where the task was not measured. `directory`
    defaults to the repository's FLOORS_DIR."""
    directory = FLOORS_DIR if directory is None else directory
    floors: dict[str, list[Floor]] = {}
    for path in sorted(directory.glob("*.json")) if directory.is_dir() else []:
        try:
            record = json.loads(path.read_text())
            env_id = record["env_id"]
            floors[env_id] = [
                Floor(env_id, policy, tuple(record[policy]["returns"]), record["command"])
                for policy in FLOOR_POLICIES
            ]
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise RunDirError(f"{path} is not a floors record: {first_line(error)}") from None
    return floors


@dataclass(frozen=True)
class PeerRun:
    """A peer implementation's run, written by benchmarks/peer_learning.py."""

    name: str
    env_id: str
    seed: int
    eval_frames: tuple[int, ...]
    eval_returns: tuple[float, ...]
    wall_time_s: float
    machine: str
    command: str

    def return_at(self, frames: int) -> float:
        return return_at(self.eval_frames, self.eval_returns, frames)


@dataclass(frozen=True)
class Row:
    env_id: str
    variant: str
    seeds: int
    frames: int
    eval_return: Spread
    wall_time_s: Spread
    references: list[str]
    # Plain SAC's published return at this row's own budget, where there is one.
    same_budget: float | None = None

    def share_of_same_budget(self) -> str:
        """ "87%": this row's mean return as a share of the same-budget reference."""
        if self.same_budget is None or self.eval_return.count == 0:
            return "–"
        return f"{100 * self.eval_return.mean / self.same_budget:.0f}%"


def read_peers(paths: Sequence[Path], tasks: Collection[str] | None = None) -> list[PeerRun]:
    """Every peer run under `paths`, each (implementation, task, seed) once; with `tasks`,
    only the runs of those env ids (one peers directory may serve several sweeps)."""
    peers: dict[tuple[str, str, int], PeerRun] = {}
    for path in paths:
        if not path.is_dir():
            raise RunDirError(f"peer directory {path} does not exist")
        for record_path in sorted(path.rglob(PEER_RECORD)):
            peer = read_peer(record_path)
            if tasks is None or peer.env_id in tasks:
                peers.setdefault((peer.name, peer.env_id, peer.seed), peer)
    return list(peers.values())


def read_peer(record_path: Path) -> PeerRun:
    try:
        record = json.loads(record_path.read_text())
        rows = read_rows(record_path.parent / "eval.csv")
        return PeerRun(
            name=f"{record['implementation']} {record['version']}",
            env_id=str(record["env"]),
            seed=int(record["seed"]),
            eval_frames=tuple(int(row["frames"]) for row in rows),
            eval_returns=tuple(row["eval/return_mean"] for row in rows),
            wall_time_s=float(record["wall_time_s"]),
            machine=str(record.get("machine", "not recorded")),
            command=str(record.get("command", "")),
        )
    except (ValueError, TypeError, KeyError) as error:
        if isinstance(error, RunDirError):
            raise
        raise RunDirError(
            f"{record_path.parent} is not a peer run of peer_learning.py: "
            f"{type(error).__name__}: {first_line(error)}"
        ) from None


def elapsed_at(run: RunRecord, frames: int) -> float:
    """Wall time the run took to reach `frames` (its time.csv row at or before it)."""
    rows = [row for row in read_rows(run.path / "metrics/time.csv") if row["frames"] <= frames]
    return rows[-1].get("time/elapsed_s", math.nan) if rows else math.nan


def summary_rows(runs: Sequence[RunRecord], peers: Sequence[PeerRun]) -> list[Row]:
    rows = []
    for env_id in sorted({run.env_id for run in runs} | {peer.env_id for peer in peers}):
        task_runs = [run for run in runs if run.env_id == env_id]
        task_peers = [peer for peer in peers if peer.env_id == env_id]
        budgets = budgets_for([run.eval_frames for run in [*task_runs, *task_peers]], ROW_BUDGETS)
        for variant in group_runs(task_runs) if task_runs else []:
            loss = str(variant.runs[0].config.get("loss.name"))
            for budget in budgets:
                rows.append(
                    Row(
                        env_id=env_id,
                        variant=variant.label,
                        seeds=len(variant.runs),
                        frames=budget,
                        eval_return=Spread.of([run.return_at(budget) for run in variant.runs]),
                        wall_time_s=Spread.of(
                            [
                                elapsed_at(run, budget) if run.frames >= budget else math.nan
                                for run in variant.runs
                            ]
                        ),
                        references=reference_cells(env_id, loss),
                        same_budget=same_budget_return(env_id, budget),
                    )
                )
        for name in sorted({peer.name for peer in task_peers}):
            same = [peer for peer in task_peers if peer.name == name]
            for budget in budgets:
                rows.append(
                    Row(
                        env_id=env_id,
                        variant=name,
                        seeds=len(same),
                        frames=budget,
                        eval_return=Spread.of([peer.return_at(budget) for peer in same]),
                        # A peer's run records its total wall time only.
                        wall_time_s=Spread.of(
                            [
                                peer.wall_time_s if peer.eval_frames[-1] == budget else math.nan
                                for peer in same
                                if peer.eval_frames
                            ]
                        ),
                        references=reference_cells(env_id, "twinq"),
                        same_budget=same_budget_return(env_id, budget),
                    )
                )
    return rows


def share_text(row: Row, floors: dict[str, list[Floor]]) -> str:
    """The row's share of its same-budget reference, flagged where the row scores below a
    policy that learns nothing: a share over 100% can still be an ant that only stands."""
    share = row.share_of_same_budget()
    if row.eval_return.count == 0:
        return share
    beaten_by = [
        floor for floor in floors.get(row.env_id, []) if row.eval_return.mean < floor.spread.mean
    ]
    if not beaten_by:
        return share
    highest = max(beaten_by, key=lambda floor: floor.spread.mean)
    return f"{share} (below {FLOOR_POLICIES[highest.policy]})"


def rows_table(rows: Sequence[Row], floors: dict[str, list[Floor]] | None = None) -> str:
    """The rows, each task followed by its floors (policies that learn nothing)."""
    header = ["task", "variant", "seeds", "env frames", "eval return"]
    header += [f"same budget: {SAME_BUDGET_SOURCE}", "share of it", "wall time per run"]
    header += [f"{source} @ {frames_text(REFERENCE_BUDGET)}" for source in SOURCES]
    lines = []
    for index, row in enumerate(rows):
        lines.append(
            [
                row.env_id,
                row.variant,
                str(row.seeds),
                frames_text(row.frames),
                spread_text(
                    row.eval_return.mean, row.eval_return.std, row.eval_return.count, row.seeds
                ),
                "–" if row.same_budget is None else f"{row.same_budget:g}",
                share_text(row, floors or {}),
                duration_text(row.wall_time_s.mean),
                *row.references,
            ]
        )
        last_of_task = index + 1 == len(rows) or rows[index + 1].env_id != row.env_id
        if last_of_task:
            for floor in (floors or {}).get(row.env_id, []):
                spread = floor.spread
                lines.append(
                    [
                        row.env_id,
                        f"{FLOOR_POLICIES[floor.policy]} (floor)",
                        f"{spread.count} episodes",
                        "no training",
                        spread_text(spread.mean, spread.std, spread.count, spread.count),
                        "–",
                        "–",
                        "–",
                        *["–" for _ in SOURCES],
                    ]
                )
    return markdown_table(header, lines)


def plot_learning(
    runs: Sequence[RunRecord], peers: Sequence[PeerRun], path: Path, caption: str
) -> Path:
    panels = {}
    for env_id in sorted({run.env_id for run in runs} | {peer.env_id for peer in peers}):
        task_runs = [run for run in runs if run.env_id == env_id]
        lines = variant_lines(group_runs(task_runs) if task_runs else [])
        task_peers = [peer for peer in peers if peer.env_id == env_id]
        for name in sorted({peer.name for peer in task_peers}):
            same = [peer for peer in task_peers if peer.name == name]
            lines.append((name, curve_of(same), len(same)))
        panels[env_id] = lines
    return plot_curves(panels, path, caption=caption)


def read_runs(paths: Sequence[Path]) -> list[RunRecord]:
    return [read_run(path) for path in find_run_dirs(paths)]


def overview_rows(rows: Sequence[Row]) -> list[Row]:
    """Each task's rows at its largest budget that every run of the task reached (failing
    that, its largest budget with any return): the one line per variant a reader scans."""
    chosen = []
    for env_id in dict.fromkeys(row.env_id for row in rows):
        task_rows = [row for row in rows if row.env_id == env_id]
        budgets = sorted({row.frames for row in task_rows})
        complete = [
            budget
            for budget in budgets
            if all(row.eval_return.count == row.seeds for row in task_rows if row.frames == budget)
        ]
        reached = [
            budget
            for budget in budgets
            if any(row.eval_return.count for row in task_rows if row.frames == budget)
        ]
        budget = max(complete or reached or budgets)
        chosen += [row for row in task_rows if row.frames == budget]
    return chosen


def overview_table(rows: Sequence[Row], floors: dict[str, list[Floor]] | None = None) -> str:
    """One row per task and variant; with floors, a column of what learning nothing scores."""
    floors = floors or {}
    header = ["task", "variant", "seeds", "env frames", "eval return"]
    header += [f"same budget: {SAME_BUDGET_SOURCE}", "share of it"]
    if floors:
        header.append("floor: random · zero action")
    lines = []
    for row in rows:
        count = row.eval_return.count
        lines.append(
            [
                row.env_id,
                row.variant,
                str(count) if count == row.seeds else f"{count} of {row.seeds}",
                frames_text(row.frames),
                spread_text(row.eval_return.mean, row.eval_return.std, count, count, digits=0),
                "–" if row.same_budget is None else f"{row.same_budget:g}",
                share_text(row, floors),
            ]
        )
        if floors:
            task_floors = floors.get(row.env_id, [])
            lines[-1].append(
                " · ".join(str(round(floor.spread.mean)) for floor in task_floors) or "–"
            )
    return markdown_table(header, lines)
