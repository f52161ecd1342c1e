"""Learning curves over tasks x loss variants x seeds, beside the published SAC returns.

python benchmarks/learning.py run --tasks hopper walker2d --jobs 6 --override device=cuda
python benchmarks/learning.py run --tasks hopper --frames 100k --seeds 0 1 --name hopper-100k
python benchmarks/learning.py summary runs/hopper-100k --peers runs/peers \
    --export benchmarks/results/hopper-100k --publish docs/results.md
python benchmarks/learning.py overview benchmarks/results/*-100k --figure docs/learning.png \
    --publish README.md --details docs/results.md

`run` trains the grid with recipes/compare.py (so the same command again resumes every
run, and a larger --frames extends them; without --frames each task runs to its paper
budget), records the command, commit, machine and wall time in `runs/<name>/learning.json`,
and ends with `summary`. `summary` writes `summary.md` and `learning.png` into the sweep
directory: eval return (mean ± std over seeds) at 25k, 50k, 100k, 300k, 1M, 3M, 10M frames
(those the runs evaluated at) and at the last evaluation, next to plain SAC's published
return at the same budget and the published returns at 1M (benchmarks/references.py), with
peers trained by benchmarks/peer_learning.py at the same budgets. `--export` copies the
runs' configs and metric CSVs (no weights, snapshots or buffers), the peers' records and
the manifest into a directory small enough to commit, and summarizes from there; exporting
another sweep into the same directory adds its runs and calls (more seeds, another
machine). `--publish` writes the section into markdown files between markers named after
the sweep (the export, when there is one), replacing an earlier version of it and leaving
the rest of the file alone. `overview` puts several exported sweeps in one compact table,
each task at the largest budget all its runs reached, beside the same-budget reference,
with one figure, for a README.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

import yaml
from learning_summary import (
    FIGURE_FILE,
    FLOORS_DIR,
    PEER_RECORD,
    Floor,
    PeerRun,
    overview_rows,
    overview_table,
    plot_learning,
    read_floors,
    read_peer,
    read_peers,
    read_runs,
    rows_table,
    summary_rows,
)
from provenance import (
    MANIFEST_FILE,
    REPO,
    Invocation,
    append_invocation,
    read_manifest,
    start_invocation,
)
from publishing import UsageError, publish_section
from references import BUDGET as REFERENCE_BUDGET
from references import SAME_BUDGET_SOURCE

from trl_sac.errors import RunDirError, first_line
from trl_sac.files import write_text_atomically
from trl_sac.reporting.formatting import duration_text, frames_text
from trl_sac.reporting.report import build_report, parse_frames
from trl_sac.reporting.run_records import RunRecord, is_run_dir, read_run
from trl_sac.runs.interrupts import STOP_SIGNALS
from trl_sac.runs.layout import CONFIG_FILE, METRICS_DIR

SUMMARY_FILE = "summary.md"
# The name of the markers an overview is published between.
OVERVIEW_MARKER = "overview"
PEERS_DIR = "peers"
# Where a published section's figure is copied, beside the document it is published in.
FIGURES_DIR = "figures"
# The tasks with a config of their own; `generic` needs an env.id, so it is not one.
TASKS = sorted(
    path.stem for path in (REPO / "trl_sac/conf/env").glob("*.yaml") if path.stem != "generic"
)
# The loss group's variants: the files that name one (common.yaml holds what both share).
LOSSES = sorted(
    path.stem
    for path in (REPO / "trl_sac/conf/loss").glob("*.yaml")
    if "name" in (yaml.safe_load(path.read_text()) or {})
)


def compare_command(args: argparse.Namespace) -> list[str]:
    for kind, given, known in (("task", args.tasks, TASKS), ("loss", args.losses, LOSSES)):
        unknown = [name for name in given if name not in known]
        if unknown:
            raise UsageError(f"unknown {kind} {', '.join(unknown)}: choose from {', '.join(known)}")
    command = [
        sys.executable,
        str(REPO / "recipes/compare.py"),
        f"env={','.join(args.tasks)}",
        f"loss={','.join(args.losses)}",
        f"seed={','.join(str(seed) for seed in args.seeds)}",
        f"name={args.name}",
        f"jobs={args.jobs}",
        "progress=false",
    ]
    if args.frames:
        command.append(f"collector.total_frames={args.frames}")
    return command + list(args.override)


def run(args: argparse.Namespace) -> int:
    command = compare_command(args)
    sweep_dir = Path("runs") / args.name
    invocation = start_invocation(shlex.join(["python", *sys.argv]))
    invocation.note = args.note
    append_invocation(sweep_dir, invocation)
    start = time.monotonic()
    exit_code = None
    try:
        exit_code = run_sweep(command)
    finally:
        # Kept on an interrupt too: the time spent counts towards the results.
        invocation.ended = time.strftime("%Y-%m-%d %H:%M:%S")
        invocation.wall_s = round(time.monotonic() - start, 1)
        invocation.exit_code = exit_code
        append_invocation(sweep_dir, invocation)
    if any(sweep_dir.rglob(CONFIG_FILE)):  # none when Hydra refused the command line
        summarize(sweep_dir, args.peers, export=None, publish=[], title=None)
    return exit_code


def run_sweep(command: list[str]) -> int:
    """Run the sweep in a process group of its own and return its exit status (128+N for
    signal N). SIGINT and SIGTERM are passed on to the whole group, joblib's workers
    included: each run snapshots and stops, and a second Ctrl-C stops them at once."""
    received: list[int] = []
    process: subprocess.Popen | None = None

    def pass_on(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        if process is not None:
            os.killpg(process.pid, signum)

    previous = {signum: signal.signal(signum, pass_on) for signum in STOP_SIGNALS}
    try:
        process = subprocess.Popen(command, process_group=0)
        for signum in received:  # arrived while the sweep was starting
            os.killpg(process.pid, signum)
        exit_code = process.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 128 - exit_code if exit_code < 0 else exit_code


def export_metrics(
    sweep_dir: Path, peers: Sequence[Path], destination: Path, *, finished_only: bool = False
) -> Path:
    """Copy what the results are made of, and nothing heavy, to `destination`.

    An earlier export there is added to, not replaced, so seeds or tasks run later, or on
    another machine, join the same table: its runs and calls stay, a run exported again is
    replaced by its newer state, and the manifest holds every call once. With
    `finished_only`, runs short of their budget stay out: a run whose snapshots will not
    survive (a session that ends) is redone from the start, and a shorter export of it
    would only block its later export.
    """
    if destination.resolve() == sweep_dir.resolve():
        raise UsageError(f"--export {destination} is the sweep directory itself")
    runs = [run for run in read_runs([sweep_dir]) if run.finished or not finished_only]
    for run in runs:  # all checked before anything is copied
        target = destination / run.path.relative_to(sweep_dir)
        exported = read_run(target).frames if is_run_dir(target) else 0
        if exported > run.frames:
            raise UsageError(
                f"{target} holds {exported} frames of this run, {run.path} only {run.frames}: "
                f"export to another directory, or remove {target} first"
            )
    destination.mkdir(parents=True, exist_ok=True)
    for run in runs:
        target = destination / run.path.relative_to(sweep_dir)
        (target / METRICS_DIR).mkdir(parents=True, exist_ok=True)
        shutil.copy2(run.path / CONFIG_FILE, target / CONFIG_FILE)
        for metrics in (run.path / METRICS_DIR).glob("*.csv"):
            if not metrics.name.startswith("."):  # a killed writer's partial file
                shutil.copy2(metrics, target / METRICS_DIR / metrics.name)
    tasks = {run.env_id for run in read_runs([destination])}
    for peer_root in peers:
        for record in peer_root.rglob(PEER_RECORD):
            if read_peer(record).env_id not in tasks:
                continue  # a peer run of another task, from a peers directory they share
            target = destination / PEERS_DIR / record.parent.relative_to(peer_root)
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(record, target / PEER_RECORD)
            shutil.copy2(record.parent / "eval.csv", target / "eval.csv")
    for invocation in read_manifest(sweep_dir):
        append_invocation(destination, invocation)
    return destination


def summarize(
    sweep_dir: Path,
    peers: Sequence[Path],
    *,
    export: Path | None,
    publish: Sequence[Path],
    title: str | None,
    finished_only: bool = False,
    floors_dir: Path | None = None,
) -> Path:
    peer_dirs = list(peers)
    if (sweep_dir / PEERS_DIR).is_dir() and sweep_dir / PEERS_DIR not in peer_dirs:
        peer_dirs.append(sweep_dir / PEERS_DIR)
    if export is not None:
        sweep_dir = export_metrics(sweep_dir, peer_dirs, export, finished_only=finished_only)
        peer_dirs = [sweep_dir / PEERS_DIR] if (sweep_dir / PEERS_DIR).is_dir() else []
    runs = read_runs([sweep_dir])
    peer_runs = read_peers(peer_dirs, tasks={run.env_id for run in runs})
    manifest = read_manifest(sweep_dir)
    caption = provenance_caption(runs, manifest)
    build_report([sweep_dir], sweep_dir, progress=False, caption=caption)
    plot_learning(runs, peer_runs, sweep_dir / FIGURE_FILE, caption)
    floors = read_floors(floors_dir)
    section = summary_section(sweep_dir, title, runs, peer_runs, peer_dirs, manifest, floors)
    write_text_atomically(
        sweep_dir / SUMMARY_FILE, section.replace("](<FIGURE>)", f"]({FIGURE_FILE})")
    )
    for document in publish:
        figure = publish_figure(sweep_dir / FIGURE_FILE, document, sweep_dir.name)
        publish_section(document, f"learning:{sweep_dir.name}", section.replace("<FIGURE>", figure))
    print((sweep_dir / SUMMARY_FILE).read_text())
    return sweep_dir / SUMMARY_FILE


def floors_lines(floors: dict[str, list[Floor]], env_ids: set[str]) -> list[str]:
    """What the floor rows are and the command that measured them."""
    commands = sorted({floor.command for env_id in env_ids for floor in floors.get(env_id, [])})
    if not commands:
        return []
    listed = "; ".join(f"`{command}`" for command in commands)
    return [
        "*Floors* are policies that learn nothing, evaluated as trl-sac evaluates a run (the "
        "same env, episode limit and evaluation seeds; mean ± std over episodes): uniformly "
        "random actions, and every motor held at zero. A result means little below them: "
        "a row under one has *(below ...)* beside its share. "
        f"Measured by {listed}.",
        "",
    ]


def provenance_caption(runs: Sequence[RunRecord], manifest: Sequence[Invocation]) -> str:
    tasks = ", ".join(sorted({run.env_id for run in runs}))
    seeds = len({run.seed for run in runs})
    frames = frames_text(max(run.frames for run in runs))
    machines = "; ".join(sorted({entry.machine for entry in manifest})) or "machine not recorded"
    return f"{tasks}: up to {frames} env frames, {seeds} seeds; {machines}"


def peer_provenance(runs: Sequence[PeerRun]) -> str:
    """One line naming, for each command and machine, the seeds a peer's runs came from."""
    groups: dict[tuple[str, str], list[int]] = {}
    for run in runs:
        groups.setdefault((run.command, run.machine), []).append(run.seed)
    parts = []
    for (command, machine), seeds in groups.items():
        label = "seed" if len(seeds) == 1 else "seeds"
        listed = ", ".join(str(seed) for seed in sorted(seeds))
        by = f"`{command}`" if command else "a command not recorded"
        parts.append(f"{label} {listed} by {by} on {machine}")
    return f"Peer {runs[0].name}, {len(runs)} runs: " + "; ".join(parts) + "."


def summary_section(
    sweep_dir: Path,
    title: str | None,
    runs: Sequence[RunRecord],
    peers: Sequence[PeerRun],
    peer_dirs: Sequence[Path],
    manifest: Sequence[Invocation],
    floors: dict[str, list[Floor]],
) -> str:
    # Named after the directory it summarizes: the export, when there is one.
    lines = [f"### {title or f'Learning curves: {sweep_dir.name}'}", ""]
    if manifest:
        lines += manifest_lines(manifest)
    else:
        lines += [f"No {MANIFEST_FILE} in `{sweep_dir}`: commands and machine not recorded.", ""]
    own_peers = sweep_dir / PEERS_DIR  # found without being named
    peers_option = "".join(f" --peers {path}" for path in peer_dirs if path != own_peers)
    title_option = f" --title {shlex.quote(title)}" if title else ""
    lines += [
        "Summarized by:",
        "",
        "```bash",
        f"python benchmarks/learning.py summary {sweep_dir}{peers_option}{title_option}",
        "```",
        "",
    ]
    for name in sorted({peer.name for peer in peers}):
        lines += [peer_provenance([peer for peer in peers if peer.name == name]), ""]
    unfinished = sum(not run.finished for run in runs)
    seeds = ", ".join(str(seed) for seed in sorted({run.seed for run in runs}))
    lines += [
        f"{len(runs)} runs, seeds {seeds}; {unfinished} not finished. *Eval return* is the "
        "deterministic policy's mean return over its evaluation episodes, as mean ± sample "
        "std over seeds at each budget (*(k/n)*: only k of n runs got there). *Wall time per "
        "run* is to that budget, as each run's time.csv counts it (a run resumed from a "
        "snapshot does not count the time of frames lost and redone). *Same budget* is "
        f"{SAME_BUDGET_SOURCE}: its mean evaluation return at the row's own budget, where "
        "published (100k, 300k, 1M), and *share of it* the row's mean as a share of that. "
        f"The other published columns are returns at {frames_text(REFERENCE_BUDGET)} env "
        "steps, whatever the row's budget "
        "(benchmarks/references.py): the papers' figures are read off their plots (v1 "
        "MuJoCo tasks); CleanRL reports training-episode returns on v4 tasks, the SB3 zoo and "
        "Tianshou deterministic evaluation returns on v3 tasks.",
        "",
        rows_table(summary_rows(runs, peers), floors),
        "",
        *floors_lines(floors, {run.env_id for run in runs}),
        "",
        "![eval return against env frames](<FIGURE>)",
        "",
    ]
    return "\n".join(lines)


def overview(
    sweep_dirs: Sequence[Path],
    figure: Path,
    publish: Sequence[Path],
    details: Path | None,
    floors_dir: Path | None = None,
) -> str:
    """One compact table across exported sweeps (each task at its largest common budget),
    one figure, one sentence on the machine and budget, and a link to the details."""
    runs = read_runs(sweep_dirs)
    peer_dirs = [path / PEERS_DIR for path in sweep_dirs if (path / PEERS_DIR).is_dir()]
    peers = read_peers(peer_dirs, tasks={run.env_id for run in runs})
    manifest = [entry for path in sweep_dirs for entry in read_manifest(path)]
    rows = overview_rows(summary_rows(runs, peers))
    floors = read_floors(floors_dir)
    caption = provenance_caption(runs, manifest)
    plot_learning(runs, peers, figure, caption)
    machines = "; ".join(dict.fromkeys(entry.machine for entry in manifest)) or "not recorded"
    budgets = sorted({row.frames for row in rows})
    budget = " and ".join(frames_text(frames) for frames in budgets)
    peer_names = sorted({peer.name for peer in peers})
    beside = f", beside {', '.join(peer_names)} trained the same way" if peer_names else ""
    sections = []
    for document in publish:
        lines = [
            f"{budget} env frames per run (a short budget; the paper ran 1M-10M){beside}. "
            "Each row is the deterministic policy's eval return, mean ± sample std over "
            f"seeds, at the largest budget all of the task's runs reached. Trained on "
            f"{machines}.",
            "",
            overview_table(rows, floors),
            "",
            f"![eval return against env frames]({_relative(figure, document.parent)})",
        ]
        if details is not None:
            link = _relative(details, document.parent)
            lines += ["", f"Commands, every budget, wall times and provenance: [{link}]({link})."]
        section = "\n".join(lines) + "\n"
        publish_section(document, f"learning:{OVERVIEW_MARKER}", section)
        sections.append(section)
    return sections[0] if sections else overview_table(rows, floors) + "\n"


def manifest_lines(manifest: Sequence[Invocation]) -> list[str]:
    commits = ", ".join(dict.fromkeys(entry.commit for entry in manifest))
    machines = "; ".join(dict.fromkeys(entry.machine for entry in manifest))
    dates = sorted({entry.started[:10] for entry in manifest})
    span = dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}"
    ended = [entry for entry in manifest if entry.ended]
    total = duration_text(sum(entry.wall_s for entry in ended))
    if len(ended) < len(manifest):
        unended = len(manifest) - len(ended)
        without_end = (
            "1 call that never recorded its end"
            if unended == 1
            else f"{unended} calls that never recorded their end"
        )
        total += f" (and {without_end}; a call still running has none yet)"
    versions = ", ".join(f"{name} {version}" for name, version in manifest[-1].versions.items())
    calls = []
    for entry in manifest:
        if entry.ended:
            status = "killed" if entry.exit_code is None else f"exit {entry.exit_code}"
            outcome = f"{status}, {duration_text(entry.wall_s)}"
        else:
            outcome = "no end recorded"
        if entry.threads:  # recorded since 2026-12-03
            outcome += f", OMP_NUM_THREADS={entry.threads}, nice {entry.nice}"
        calls.append(f"{entry.command}  # {entry.started}, {outcome}")
    notes = [entry.note for entry in manifest if entry.note]
    return [
        f"Machine: {machines}. Commit: {commits}. Date: {span}. Wall time of the calls: "
        f"{total}. Versions: {versions}.",
        "",
        "```bash",
        *calls,
        "```",
        "",
        *([" ".join(dict.fromkeys(notes)), ""] if notes else []),
    ]


def publish_figure(figure: Path, document: Path, name: str) -> str:
    """Copy `figure` beside `document` (figures/<name>.png) and return the link to it: a
    documentation site serves only the files under its own directory."""
    target = document.parent / FIGURES_DIR / f"{name}{figure.suffix}"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(figure, target)
    return f"{FIGURES_DIR}/{target.name}"


def _relative(path: Path, start: Path) -> str:
    return os.path.relpath(path.resolve(), start.resolve())


def jobs_value(text: str) -> str:
    if text != "auto" and not (text.isdigit() and int(text) >= 1):
        raise argparse.ArgumentTypeError(f"{text!r} is not auto or a whole number >= 1")
    return text


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python benchmarks/learning.py", description=__doc__.split("\n\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser("run", help="train the grid (resumable), then summarize")
    train.add_argument("--tasks", nargs="+", default=["hopper"], help=f"of {', '.join(TASKS)}")
    train.add_argument("--losses", nargs="+", default=["vnet", "twinq"])
    train.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    train.add_argument(
        "--frames", type=parse_frames, help="env frames per run (default: the paper's budget)"
    )
    train.add_argument(
        "--jobs",
        type=jobs_value,
        default="auto",
        help="runs at once, one process each (auto: one per CPU core, compare.py's default)",
    )
    train.add_argument("--name", default="learning", help="the sweep is runs/<name>")
    train.add_argument(
        "--peers", nargs="*", type=Path, default=[], help="dirs of peer_learning.py runs"
    )
    train.add_argument("--note", default="", help="a remark kept with this call's record")
    train.add_argument(
        "--override",
        nargs="+",
        default=[],
        metavar="KEY=VALUE",
        help="more Hydra overrides for every run, e.g. device=cuda",
    )
    summary = commands.add_parser("summary", help="the table and figure of a sweep")
    summary.add_argument("sweep_dir", type=Path)
    summary.add_argument(
        "--peers", nargs="*", type=Path, default=[], help="dirs of peer_learning.py runs"
    )
    summary.add_argument("--export", type=Path, help="copy the metrics here and summarize there")
    summary.add_argument(
        "--publish",
        nargs="+",
        type=Path,
        default=[],
        help="markdown files to write the section into (docs/results.md README.md)",
    )
    summary.add_argument("--title", help="the section's heading")
    summary.add_argument(
        "--floors", type=Path, help=f"random_policy.py --out records (default {FLOORS_DIR})"
    )
    summary.add_argument(
        "--finished-only",
        action="store_true",
        help="export only the runs that reached their budget",
    )
    glance = commands.add_parser(
        "overview", help="one compact table and figure across exported sweeps"
    )
    glance.add_argument("sweep_dirs", nargs="+", type=Path)
    glance.add_argument(
        "--figure", type=Path, required=True, help="where to write the figure (PNG)"
    )
    glance.add_argument(
        "--publish", nargs="+", type=Path, default=[], help="markdown files to write it into"
    )
    glance.add_argument("--details", type=Path, help="the document the overview links to")
    glance.add_argument(
        "--floors", type=Path, help=f"random_policy.py --out records (default {FLOORS_DIR})"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.command == "run":
            return run(args)
        if args.command == "overview":
            text = overview(args.sweep_dirs, args.figure, args.publish, args.details, args.floors)
            print(text, end="")
            return 0
        summarize(
            args.sweep_dir,
            args.peers,
            export=args.export,
            publish=args.publish,
            title=args.title,
            finished_only=args.finished_only,
            floors_dir=args.floors,
        )
        return 0
    except (UsageError, RunDirError, ValueError, OSError) as error:
        print(f"learning.py: error: {first_line(error)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
