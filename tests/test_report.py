"""The comparison report on synthetic run directories whose metrics are known."""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from trl_sac.reporting.grouping import group_runs
from trl_sac.reporting.report import build_report, parse_frames
from trl_sac.reporting.run_records import RunDirError, find_run_dirs, read_run
from trl_sac.reporting.summary import budgets_for

from conftest import REPO
from helpers.synthetic_runs import make_run


@pytest.fixture
def sweep(tmp_path: Path) -> Path:
    """vnet and twinq over two seeds each; twinq seed 1 is still running (2000 of 3000)."""
    make_run(tmp_path, "vnet-0", ["loss=vnet", "seed=0"], {1000: 100.0, 2000: 300.0, 3000: 500.0})
    make_run(tmp_path, "vnet-1", ["loss=vnet", "seed=1"], {1000: 200.0, 2000: 500.0, 3000: 900.0})
    make_run(
        tmp_path,
        "twinq-0",
        ["loss=twinq", "seed=0"],
        {1000: 400.0, 2000: 3900.0, 3000: 4000.0},
        elapsed_s=60.0,
    )
    make_run(
        tmp_path,
        "twinq-1",
        ["loss=twinq", "seed=1"],
        {1000: 600.0, 2000: 1000.0},
        elapsed_s=40.0,
    )
    return tmp_path


def test_report_gives_the_known_table(sweep: Path, tmp_path: Path) -> None:
    report = build_report([sweep], tmp_path / "out", budgets=[1000, 2000, 3000], progress=False)
    (task,) = report.tasks
    assert task.env_id == "Hopper-v5"
    assert task.threshold == 3800.0  # gymnasium's reward_threshold for Hopper-v5
    assert task.budgets == [1000, 2000, 3000]
    by_label = {summary.variant.label: summary for summary in task.summaries}
    # Told apart by their loss alone, variants are named by it.
    assert set(by_label) == {"vnet (v1)", "twinq (v2)"}

    vnet, twinq = by_label["vnet (v1)"], by_label["twinq (v2)"]
    assert vnet.final_return.mean == 700.0
    assert vnet.final_return.std == pytest.approx(statistics.stdev([500.0, 900.0]))
    assert vnet.at_budgets[2000].mean == 400.0
    assert vnet.frames_to_threshold.count == 0
    # The unfinished run counts with its latest evaluation, and not at budgets it has not reached.
    assert twinq.final_return.mean == 2500.0
    assert twinq.short == "1 unfinished"
    assert twinq.final_frames == (2000, 3000)
    assert twinq.at_budgets[3000].count == 1 and twinq.at_budgets[3000].mean == 4000.0
    assert twinq.at_budgets[2000].mean == 2450.0
    assert (twinq.frames_to_threshold.mean, twinq.frames_to_threshold.count) == (2000, 1)
    assert twinq.elapsed_s.mean == 50.0
    assert twinq.env_steps_per_s.mean == pytest.approx((3000 / 60 + 2000 / 40) / 2)

    table = report.table()
    assert "| twinq (v2) | 2 | 2k–3k (1 unfinished) | 2500.0 ± 2121.3 |" in table
    assert "| 4000.0 (1/2) |" in table
    assert "| 2k (1/2) |" in table
    assert "| vnet (v1) | 2 | 3k | 700.0 ± 282.8 |" in table
    assert "not reached" in table


def test_report_files_are_written(sweep: Path, tmp_path: Path) -> None:
    report = build_report([sweep], tmp_path / "out", progress=False)
    png = report.figure_path.read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    markdown = report.markdown_path.read_text()
    assert "![eval return against env frames](eval_return.png)" in markdown
    assert "4 runs, 1 not finished" in markdown
    assert markdown.count("| Hopper-v5 |") == 4  # one line per run in the runs table


def test_runs_are_grouped_by_the_keys_that_differ(tmp_path: Path) -> None:
    returns = {1000: 1.0}
    runs = [
        make_run(
            tmp_path,
            f"{loss}-{update}-{seed}",
            [f"loss={loss}", f"target_update={update}", f"seed={seed}"],
            returns,
        )
        for loss, update in [("twinq", "soft"), ("twinq", "hard"), ("vnet", "soft")]
        for seed in (0, 1)
    ]
    # Runs differing only by how they ran (budget, device, logging) stay together.
    runs.append(
        make_run(
            tmp_path,
            "twinq-soft-2",
            ["seed=2", "device=cpu", "logger.every_frames=500"],
            returns,
            total_frames=6000,
        )
    )
    variants = group_runs([read_run(path) for path in runs])
    labels = {variant.label: len(variant.runs) for variant in variants}
    # A hard update's utd ratio of 4 follows from target_update and is not named.
    assert labels == {
        "loss=twinq target_update=hard": 2,
        "loss=twinq target_update=soft": 3,
        "loss=vnet target_update=soft": 2,
    }


def test_any_swept_key_names_its_variants(tmp_path: Path) -> None:
    runs = [
        make_run(tmp_path, f"utd{utd}-{seed}", [f"optim.utd_ratio={utd}", f"seed={seed}"], {1: 1.0})
        for utd in (1, 4)
        for seed in (0, 1)
    ]
    labels = sorted(variant.label for variant in group_runs([read_run(p) for p in runs]))
    assert labels == ["optim.utd_ratio=1", "optim.utd_ratio=4"]


def test_a_run_in_progress_is_read_up_to_its_last_complete_row(tmp_path: Path) -> None:
    run_dir = make_run(tmp_path, "live", ["seed=0"], {1000: 10.0, 2000: 20.0})
    with (run_dir / "metrics/eval.csv").open("a") as file:
        file.write("3000,30.5,1.0")  # a row the writer has not finished: 1.0 may be 1.05
    run = read_run(run_dir)
    assert run.eval_frames == (1000, 2000)
    assert run.final_return == 20.0
    assert not run.finished


def test_the_same_experiment_twice_counts_once(tmp_path: Path) -> None:
    # compare.py run once with loss swept, once with target_update swept: the twinq-soft
    # runs exist under two directory names.
    make_run(tmp_path, "loss=twinq,seed=0", ["seed=0"], {1000: 10.0, 2000: 20.0})
    make_run(tmp_path, "loss=twinq,seed=0,target_update=soft", ["seed=0"], {1000: 10.0})
    make_run(tmp_path, "loss=twinq,seed=1", ["seed=1"], {1000: 30.0, 2000: 40.0})
    report = build_report([tmp_path], tmp_path / "out", progress=False)
    (summary,) = report.tasks[0].summaries
    assert [run.path.name for run in summary.variant.runs] == [
        "loss=twinq,seed=0",
        "loss=twinq,seed=1",
    ]
    assert [run.path.name for run in summary.variant.duplicates] == [
        "loss=twinq,seed=0,target_update=soft"
    ]
    assert summary.final_return.mean == 30.0
    assert "Left out as repeats" in report.markdown_path.read_text()


def test_a_diverged_run_is_told_apart_from_a_running_one(tmp_path: Path) -> None:
    diverged = make_run(tmp_path, "diverged", ["seed=0"], {1000: 10.0})
    with (diverged / "metrics/train.csv").open("a") as file:
        file.write("1200,nan\n")
    running = make_run(tmp_path, "running", ["seed=1"], {1000: 10.0})
    assert (read_run(diverged).status, read_run(running).status) == ("diverged", "unfinished")
    report = build_report([tmp_path], tmp_path / "out", progress=False)
    assert "(1 diverged, 1 unfinished)" in report.table()


def test_runs_moved_aside_by_restart_are_left_out(tmp_path: Path) -> None:
    make_run(tmp_path, "seed0", ["seed=0"], {1000: 10.0})
    make_run(tmp_path, "seed0.replaced-20261125-120000", ["seed=0"], {1000: 99.0})
    assert [path.name for path in find_run_dirs([tmp_path])] == ["seed0"]


def test_several_tasks_get_a_panel_and_table_each(tmp_path: Path) -> None:
    make_run(tmp_path, "hopper", ["seed=0"], {1000: 10.0})
    make_run(tmp_path, "walker", ["seed=0"], {1000: 20.0}, config_name="walker2d")
    report = build_report([tmp_path], tmp_path / "out", budgets=[1000], progress=False)
    assert [task.env_id for task in report.tasks] == ["Hopper-v5", "Walker2d-v5"]
    assert report.tasks[1].threshold is None  # gymnasium gives Walker2d no threshold
    markdown = report.markdown_path.read_text()
    walker_table = markdown.split("## Walker2d-v5")[1].split("How to read")[0]
    assert "frames to" not in walker_table and "frames to 3800" in markdown


def test_cli_writes_the_report_next_to_the_runs(sweep: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "trl_sac.reporting", str(sweep), "--budgets", "2k", "--no-progress"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "return @ 2k" in done.stdout
    assert (sweep / "report.md").exists() and (sweep / "eval_return.png").exists()


@pytest.mark.parametrize(
    ("make_bad", "message"),
    [
        (lambda root: root / "missing", "does not exist"),
        (lambda root: root, "holds no run directory"),
    ],
)
def test_cli_bad_paths_give_one_line(tmp_path: Path, make_bad, message: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "trl_sac.reporting", str(make_bad(tmp_path))],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and message in done.stderr


def test_a_corrupt_config_is_named(tmp_path: Path) -> None:
    run_dir = make_run(tmp_path, "bad", ["seed=0"], {1000: 10.0})
    (run_dir / "config.yaml").write_text("env: [unclosed")
    with pytest.raises(RunDirError, match="config.yaml is unreadable"):
        read_run(run_dir)


def test_a_config_of_another_kind_is_named(tmp_path: Path) -> None:
    run_dir = make_run(tmp_path, "bad", ["seed=0"], {1000: 10.0})
    config = (run_dir / "config.yaml").read_text().replace("seed: 0\n", "seed: abc\n")
    (run_dir / "config.yaml").write_text(config)
    with pytest.raises(RunDirError, match="seed is 'abc', not a int"):
        read_run(run_dir)


def test_corrupt_metrics_are_named(tmp_path: Path) -> None:
    run_dir = make_run(tmp_path, "bad", ["seed=0"], {1000: 10.0})
    (run_dir / "metrics/eval.csv").write_text("frames,eval/return_mean\n1000,abc\n")
    with pytest.raises(RunDirError, match="eval.csv holds a value that is not a number"):
        read_run(run_dir)


def test_frame_counts_parse() -> None:
    assert [parse_frames(text) for text in ("2500", "100k", "1M", "1.5M")] == [
        2500,
        100_000,
        1_000_000,
        1_500_000,
    ]


def test_the_report_command_loads_no_torch_torchrl_or_mujoco() -> None:
    code = (
        "import sys, trl_sac.reporting.report;"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    loaded = set(done.stdout.split())
    assert "trl_sac" in loaded
    assert not loaded & {"torch", "torchrl", "tensordict", "mujoco"}


def test_budgets_follow_the_ladder_and_the_last_evaluation() -> None:
    every_10k = range(10_000, 120_001, 10_000)
    assert budgets_for([every_10k, [90_000]], 3) == [10_000, 50_000, 100_000, 120_000]
    # A ladder budget counts only where some run evaluated at it: 25k needs a 5k interval.
    every_5k = range(5_000, 100_001, 5_000)
    assert budgets_for([every_5k], 3) == [25_000, 50_000, 100_000]
    every_100k = range(100_000, 1_000_001, 100_000)
    assert budgets_for([every_100k], 3) == [100_000, 300_000, 1_000_000]
    assert budgets_for([[1000, 2000, 3000]], 4) == [1000, 3000]
    assert budgets_for([], 4) == []


def test_runs_written_before_and_after_the_typed_schema_group_together(tmp_path: Path) -> None:
    # Older configs hold utd_ratio 1, newer ones 1.0: the same experiment.
    make_run(tmp_path, "old", ["seed=0"], {1000: 10.0})
    make_run(tmp_path, "new", ["seed=1", "optim.utd_ratio=1.0"], {1000: 30.0})
    (variant,) = group_runs([read_run(path) for path in find_run_dirs([tmp_path])])
    assert [run.seed for run in variant.runs] == [0, 1]


def test_runs_that_never_left_their_random_warm_up_are_not_passed_off_as_trained(
    tmp_path: Path,
) -> None:
    """A comparison of runs that made no update compares random policies: the report says so."""
    untrained = ["collector.init_random_frames=5000"]
    make_run(tmp_path, "vnet-0", ["loss=vnet", "seed=0", *untrained], {3000: 20.0})
    make_run(tmp_path, "twinq-0", ["loss=twinq", "seed=0", *untrained], {3000: 25.0})
    make_run(
        tmp_path,
        "twinq-1",
        ["loss=twinq", "seed=1", *untrained],
        {3000: 25.0, 6000: 300.0},
        total_frames=6000,
    )
    report = build_report([tmp_path], tmp_path / "out", progress=False)

    trained = {run.path.name: run.trained for run in report.runs}
    assert trained == {"twinq-0": False, "twinq-1": True, "vnet-0": False}
    table = report.table()
    assert "| twinq (v2) | 2 | 3k–6k (1/2 untrained) |" in table
    assert "| vnet (v1) | 1 | 3k (1/1 untrained) |" in table
    text = report.markdown_path.read_text()
    assert "**Untrained: 2 runs " in text and "made no gradient update**" in text
    assert ", untrained |" in text.split("## Runs")[1]


def test_trained_runs_carry_no_warning(sweep: Path, tmp_path: Path) -> None:
    report = build_report([sweep], tmp_path / "out", progress=False)
    assert all(run.trained for run in report.runs)
    assert "untrained" not in report.markdown_path.read_text().lower()
