"""The comparison report: curves and a table per task from any finished or running runs.

python -m trl_sac.reporting RUN_OR_SWEEP_DIR... [--out DIR] [--budgets 100k 200k] [--threshold X]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import gymnasium as gym
from tqdm.auto import tqdm

from trl_sac.errors import ConfigError, first_line
from trl_sac.files import write_text_atomically
from trl_sac.progress import bar_disabled
from trl_sac.reporting.formatting import (
    duration_text,
    frames_text,
    markdown_table,
    spread_text,
)
from trl_sac.reporting.grouping import group_runs
from trl_sac.reporting.plots import plot_curves, variant_lines
from trl_sac.reporting.run_records import RunRecord, find_run_dirs, read_run
from trl_sac.reporting.summary import Spread, VariantSummary, budgets_for, summarize

REPORT_FILE = "report.md"
FIGURE_FILE = "eval_return.png"
# "return @" columns of a task's table, from the budget ladder.
TABLE_BUDGETS = 4


@dataclass(frozen=True)
class TaskReport:
    env_id: str
    summaries: list[VariantSummary]
    budgets: list[int]
    threshold: float | None


@dataclass(frozen=True)
class Report:
    tasks: list[TaskReport]
    runs: list[RunRecord]
    markdown_path: Path
    figure_path: Path

    def table(self) -> str:
        return "\n\n".join(task_table(task) for task in self.tasks)


def build_report(
    paths: Sequence[Path],
    out_dir: Path,
    *,
    budgets: Sequence[int] | None = None,
    threshold: float | None = None,
    progress: bool | None = None,
    caption: str = "",
) -> Report:
    """Read every run under `paths`, group them into variants per task, and write
    `report.md` and `eval_return.png` to `out_dir`.

    `threshold` defaults to each task's gymnasium reward_threshold (none for some tasks);
    `budgets` to the last four budgets of the ladder the runs evaluated at (summary.py).
    """
    run_dirs = find_run_dirs(paths)
    runs = [
        read_run(path)
        for path in tqdm(run_dirs, desc="reading runs", disable=bar_disabled(progress))
    ]
    tasks = []
    for env_id in sorted({run.env_id for run in runs}):
        task_runs = [run for run in runs if run.env_id == env_id]
        task_budgets = (
            sorted(budgets)
            if budgets
            else budgets_for([run.eval_frames for run in task_runs], TABLE_BUDGETS)
        )
        task_threshold = threshold if threshold is not None else reward_threshold(env_id)
        summaries = [
            summarize(variant, task_budgets, task_threshold) for variant in group_runs(task_runs)
        ]
        tasks.append(TaskReport(env_id, summaries, task_budgets, task_threshold))
    figure_path = plot_curves(
        {
            task.env_id: variant_lines([summary.variant for summary in task.summaries])
            for task in tasks
        },
        out_dir / FIGURE_FILE,
        thresholds={task.env_id: task.threshold for task in tasks},
        caption=caption,
    )
    markdown_path = out_dir / REPORT_FILE
    report = Report(tasks=tasks, runs=runs, markdown_path=markdown_path, figure_path=figure_path)
    write_text_atomically(markdown_path, report_markdown(report, paths, caption))
    return report


def reward_threshold(env_id: str) -> float | None:
    """Gymnasium's reward_threshold for the task ("solved"), where it defines one."""
    try:
        return gym.spec(env_id).reward_threshold
    except gym.error.Error:
        return None


def report_markdown(report: Report, paths: Sequence[Path], caption: str = "") -> str:
    unfinished = sum(not run.finished for run in report.runs)
    status = f", {unfinished} not finished" if unfinished else ""
    sources = ", ".join(f"`{path}`" for path in paths)
    lines = [
        "# trl-sac report",
        "",
        f"{len(report.runs)} runs{status}, read from {sources} on "
        f"{time.strftime('%Y-%m-%d %H:%M')}.",
        "",
        f"![eval return against env frames]({report.figure_path.name})",
        "",
    ]
    if caption:
        lines += [f"*{caption}*", ""]
    untrained = [run for run in report.runs if not run.trained]
    if untrained:
        lines += [untrained_warning(untrained), ""]
    for task in report.tasks:
        lines += [f"## {task.env_id}", "", task_table(task), ""]
    lines += [_EXPLANATION, "", "## Runs", "", runs_table(report.tasks), ""]
    duplicates = [
        f"- `{run.path}` (seed {run.seed} of {summary.variant.label} again)"
        for task in report.tasks
        for summary in task.summaries
        for run in summary.variant.duplicates
    ]
    if duplicates:
        lines += [
            "Left out as repeats of a run above with the same settings and seed "
            "(the run with the most frames is kept):",
            "",
            *duplicates,
            "",
        ]
    return "\n".join(lines)


def untrained_warning(runs: Sequence[RunRecord]) -> str:
    """The line a report opens with when some runs never got past their random warm-up."""
    every = "" if len(runs) == 1 else f"{len(runs)} runs "
    return (
        f"**Untrained: {every}{', '.join(f'`{run.path}`' for run in runs)} made no gradient "
        "update** (each stopped within its random warm-up, `collector.init_random_frames`): "
        "their returns are a random policy's, not their variant's."
    )


def task_table(task: TaskReport) -> str:
    header = ["variant", "seeds", "frames", "final eval return"]
    header += [f"return @ {frames_text(budget)}" for budget in task.budgets]
    if task.threshold is not None:
        header.append(f"frames to {task.threshold:g}")
    header += ["wall time", "env steps/s"]
    rows = []
    for summary in task.summaries:
        seeds = len(summary.variant.runs)
        low, high = summary.final_frames
        frames = frames_text(high) if low == high else f"{frames_text(low)}–{frames_text(high)}"
        if summary.short:
            frames += f" ({summary.short})"
        untrained = sum(not run.trained for run in summary.variant.runs)
        if untrained:
            frames += f" ({untrained}/{seeds} untrained)"
        row = [summary.variant.label, str(seeds), frames, _spread(summary.final_return, seeds)]
        row += [_spread(summary.at_budgets[budget], seeds) for budget in task.budgets]
        if task.threshold is not None:
            reached = summary.frames_to_threshold
            row.append(_frames_spread(reached, seeds))
        row += [
            duration_text(summary.elapsed_s.mean),
            _spread(summary.env_steps_per_s, seeds),
        ]
        rows.append(row)
    return markdown_table(header, rows)


def runs_table(tasks: Sequence[TaskReport]) -> str:
    header = ["env", "variant", "seed", "frames", "final eval return", "run dir"]
    rows = []
    for task in tasks:
        for summary in task.summaries:
            for run in summary.variant.runs:
                frames = frames_text(run.frames)
                if not run.finished:
                    frames += f" of {frames_text(run.total_frames)}, {run.status}"
                if not run.trained:
                    frames += ", untrained"
                rows.append(
                    [
                        run.env_id,
                        summary.variant.label,
                        str(run.seed),
                        frames,
                        f"{run.final_return:.1f}",
                        f"`{run.path}`",
                    ]
                )
    return markdown_table(header, rows)


_EXPLANATION = """\
How to read the tables: a variant is the runs that share every setting but the seed; its
name lists only the settings that tell the variants apart. *final eval return* is each run's
latest evaluation (mean return of the deterministic policy over `eval.episodes` episodes),
as mean ± sample standard deviation over seeds. *return @ N* is the latest evaluation at or
before N env frames, over the runs that have reached N; *(k/n)* marks a figure over k of
the n runs. *frames to X* is the first evaluation whose mean return reaches X (by default
gymnasium's reward threshold for the task), over the runs that reached it. *wall time* and
*env steps/s* include collection, updates and evaluation. The figure shows the same
evaluations: a line per variant for the mean over seeds, a band for ± one standard
deviation; the line is dashed where only some of the variant's runs have got so far."""


def _frames_spread(spread: Spread, of: int) -> str:
    if spread.count == 0:
        return "not reached"
    text = frames_text(round(spread.mean))
    if spread.count > 1:
        text += f" ± {frames_text(round(spread.std))}"
    return text if spread.count == of else f"{text} ({spread.count}/{of})"


def _spread(spread: Spread, of: int) -> str:
    return spread_text(spread.mean, spread.std, spread.count, of)


def parse_frames(text: str) -> int:
    """100000, 100k or 1M."""
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:].lower(), 1)
    digits = text[:-1] if scale != 1 else text
    try:
        value = float(digits) * scale
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a frame count (e.g. 100000, 100k, 1M)"
        ) from None
    if value <= 0 or value != int(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number of frames")
    return int(value)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m trl_sac.reporting",
        description="Curves and a table per task from trl-sac run or sweep directories.",
    )
    parser.add_argument("paths", nargs="+", type=Path, help="run directories or dirs holding runs")
    parser.add_argument(
        "--out",
        type=Path,
        help="where to write report.md and eval_return.png "
        "(default: the one path given, else ./report)",
    )
    parser.add_argument(
        "--budgets", nargs="+", type=parse_frames, help="frame budgets for the table (100k 1M)"
    )
    parser.add_argument(
        "--threshold",
        type=float,
        help="return for the frames-to-threshold column "
        "(default: gymnasium's reward_threshold for the task)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    out_dir = args.out or (args.paths[0] if len(args.paths) == 1 else Path("report"))
    try:
        report = build_report(
            args.paths,
            out_dir,
            budgets=args.budgets,
            threshold=args.threshold,
            progress=False if args.no_progress else None,
        )
    except (ConfigError, OSError) as error:
        sys.stderr.write(f"trl-sac: error: {first_line(error)}\n")
        return 2
    sys.stdout.write(f"{report.table()}\n\n{report.markdown_path}\n{report.figure_path}\n")
    return 0
