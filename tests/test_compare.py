"""recipes/compare.py: a grid of runs that ends in a report; launchers; a diverged seed."""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

import pytest
from hydra import compose, initialize_config_module

from trl_sac.errors import ConfigError, Diverged
from trl_sac.runs.lock import RunDirLock
from trl_sac.runs.parallel import threads_per_run
from trl_sac.training import cli
from trl_sac.training.command_line import ConfigSource, check_command_line
from trl_sac.training.sweep import FAILURES_FILE, ReportWhenSweepEnds

from conftest import TINY, run_recipe
from helpers.synthetic_runs import make_run


def compare(sweep_dir: Path, *overrides: str):
    return run_recipe("compare", *TINY, f"hydra.sweep.dir={sweep_dir}", *overrides)


@pytest.mark.e2e
def test_compare_runs_the_grid_and_ends_with_a_report(tmp_path: Path) -> None:
    sweep_dir = tmp_path / "sweep"
    # Two at once, each with its share of the cores as torch threads (capped by the tests'
    # OMP_NUM_THREADS=1; the division itself is checked without a run below) and, without
    # a bar, one log line per evaluation.
    done = compare(sweep_dir, "seed=0,1", "jobs=2")
    assert done.returncode == 0, done.stderr[-3000:]

    run_dirs = sorted(path.parent.name for path in sweep_dir.glob("Hopper-v5/*/weights.pt"))
    assert len(run_dirs) == 4
    threads = threads_per_run(2)
    for name in run_dirs:
        run_log = (sweep_dir / "Hopper-v5" / name / "compare.log").read_text()
        assert f"on cpu, {threads} torch thread" in run_log
        assert f"{name}: 120/240 frames, eval return" in run_log
        assert f"{name}: 240/240 frames, eval return" in run_log
    assert {re.search(r"loss=\w+", name)[0] for name in run_dirs} == {"loss=twinq", "loss=vnet"}
    report = (sweep_dir / "report.md").read_text()
    assert "| twinq (v2) | 2 | 240 |" in report and "| vnet (v1) | 2 | 240 |" in report
    assert (sweep_dir / "eval_return.png").stat().st_size > 10_000
    assert "report for" in done.stdout + done.stderr

    # Again, one at a time and with other report budgets: every run is found complete, the
    # report is rewritten.
    again = compare(sweep_dir, "seed=0,1", "jobs=1", "report.budgets=[240]")
    assert again.returncode == 0, again.stderr[-3000:]
    assert "already complete" in again.stdout + again.stderr
    assert len(list(sweep_dir.glob("Hopper-v5/*/weights.pt"))) == 4
    assert "return @ 240 |" in (sweep_dir / "report.md").read_text()


@pytest.mark.e2e
def test_compare_sweeps_any_key(tmp_path: Path) -> None:
    sweep_dir = tmp_path / "sweep"
    done = compare(sweep_dir, "loss=twinq", "target_update=soft,hard", "seed=0")
    assert done.returncode == 0, done.stderr[-3000:]
    report = (sweep_dir / "report.md").read_text()
    assert "| target_update=hard | 1 |" in report and "| target_update=soft | 1 |" in report
    assert "loss=vnet" not in report


@pytest.mark.e2e
def test_a_failed_run_does_not_end_the_sweep(tmp_path: Path) -> None:
    sweep_dir = tmp_path / "sweep"
    # CartPole composes (it is a gymnasium id) and fails as its run starts: discrete actions.
    done = compare(sweep_dir, "loss=twinq", "seed=0", "env.id=CartPole-v1,Hopper-v5")
    assert done.returncode == 1
    assert "trl-sac: error: env.id=CartPole-v1 has a Discrete action space" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    # The other run went on and is in the report; the failure is on record.
    assert len(list(sweep_dir.glob("Hopper-v5/*/weights.pt"))) == 1
    report = (sweep_dir / "report.md").read_text()
    assert report.startswith("# trl-sac report\n\n1 runs,") and report.count("| Hopper-v5 |") == 1
    assert "Discrete action space" in (sweep_dir / "failures.log").read_text()


@pytest.mark.e2e
def test_a_bad_value_anywhere_in_a_sweep_is_refused_before_any_run(tmp_path: Path) -> None:
    sweep_dir = tmp_path / "sweep"
    done = compare(sweep_dir, "loss=twinq", "seed=0", "optim.lr=0.0003,-1")
    assert done.returncode == 2
    assert done.stderr == "trl-sac: error: optim.lr must be positive, got -1.0\n"
    assert not sweep_dir.exists()


def compose_compare(*overrides: str):
    with initialize_config_module("trl_sac.conf", version_base="1.3"):
        return compose("compare", overrides=list(overrides), return_hydra_config=True)


def test_compare_defaults_are_two_variants_by_three_seeds() -> None:
    cfg = compose_compare()
    assert cfg.hydra.sweeper.params == {"loss": "vnet,twinq", "seed": "0,1,2"}
    assert cfg.env.id == "Hopper-v5"
    assert cfg.hydra.launcher._target_.endswith("JoblibLauncher")


@pytest.mark.parametrize(
    ("cores", "jobs", "at_once", "threads", "bar"),
    [
        (2, None, 2, 1, False),  # this machine: one run per core, one thread each
        (16, None, 16, 1, False),  # a 16-core GPU machine: 16 runs share the GPU
        (16, "4", 4, 4, False),
        (2, "1", 1, 2, True),  # one after another, all cores and a bar each
        (1, None, 1, 1, True),
    ],
)
def test_compare_runs_one_run_per_core_by_default(
    monkeypatch, cores: int, jobs: str | None, at_once: int, threads: int, bar: bool
) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)))
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    cfg = compose_compare(*([f"jobs={jobs}"] if jobs else []))
    assert cfg.jobs == (int(jobs) if jobs else "auto")
    assert cfg.hydra.launcher.n_jobs == at_once
    assert threads_per_run(cfg.jobs) == threads
    assert cfg.progress is bar
    assert compose_compare("jobs=2", "progress=true").progress is True  # a bar when asked


@pytest.mark.parametrize(
    ("omp", "jobs", "threads"),
    [
        ("1", "1", 1),
        ("3", "1", 3),
        ("4", "2", 4),
        ("32", "2", 8),
        ("", "1", 16),
        ("0", "1", 16),
        ("x", "2", 8),
        ("²", "1", 16),
    ],
)
def test_omp_num_threads_caps_each_runs_threads(
    monkeypatch, omp: str, jobs: str, threads: int
) -> None:
    # A run started beside other work with OMP_NUM_THREADS=1 keeps to one thread, even alone.
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(16)))
    monkeypatch.setenv("OMP_NUM_THREADS", omp)
    assert threads_per_run(int(jobs)) == threads


@pytest.mark.parametrize("jobs", ["0", "two", "true", "1.5"])
def test_a_bad_jobs_value_is_one_line(jobs: str) -> None:
    with pytest.raises(ConfigError, match=r"^jobs must be auto or a whole number"):
        check_command_line("compare", ConfigSource("pkg://trl_sac.conf"), [f"jobs={jobs}"])


def test_compare_composes_for_a_slurm_cluster() -> None:
    cfg = compose_compare(
        "hydra/launcher=submitit_slurm",
        "hydra.launcher.partition=gpu",
        "hydra.launcher.gpus_per_node=1",
        "hydra.launcher.timeout_min=2880",
    )
    assert cfg.hydra.launcher._target_.endswith("submitit_launcher.SlurmLauncher")
    assert cfg.hydra.launcher.partition == "gpu"
    assert cfg.hydra.callbacks.report._target_ == "trl_sac.training.sweep.ReportWhenSweepEnds"


def test_a_diverged_run_in_a_sweep_is_handed_on(monkeypatch, capsys) -> None:
    def diverge(cfg):
        raise Diverged("loss_qvalue became NaN or infinite in the 40 updates before frame 200")

    monkeypatch.setattr(cli, "train", diverge)
    noted = []
    assert math.isnan(cli.run(None, on_failure=lambda *failure: noted.append(failure)))
    assert noted == [
        ("diverged", "loss_qvalue became NaN or infinite in the 40 updates before frame 200")
    ]
    assert capsys.readouterr().err.startswith("trl-sac: diverged: loss_qvalue became NaN")
    with pytest.raises(SystemExit) as stopped:
        cli.run(None)
    assert stopped.value.code == 1


def test_the_sweep_report_flags_runs_short_of_their_budget(tmp_path: Path) -> None:
    make_run(tmp_path, "done", ["seed=0"], {1000: 1.0, 3000: 2.0})
    make_run(tmp_path, "short", ["seed=1"], {1000: 1.0})
    config = compose_compare(f"hydra.sweep.dir={tmp_path}")
    with pytest.raises(SystemExit) as stopped:
        ReportWhenSweepEnds().on_multirun_end(config)
    assert stopped.value.code == 1
    assert "1k of 3k" in (tmp_path / "report.md").read_text()


def test_a_run_another_call_is_training_is_not_short(tmp_path: Path) -> None:
    make_run(tmp_path, "done", ["seed=0"], {1000: 1.0, 3000: 2.0})
    make_run(tmp_path, "training", ["seed=1"], {1000: 1.0})
    config = compose_compare(f"hydra.sweep.dir={tmp_path}")
    with RunDirLock(tmp_path / "training"):  # as a second call's job holds it
        ReportWhenSweepEnds().on_multirun_end(config)
    with pytest.raises(SystemExit) as stopped:  # that call stopped it short
        ReportWhenSweepEnds().on_multirun_end(config)
    assert stopped.value.code == 1


def test_a_lock_that_cannot_be_probed_leaves_the_run_short(tmp_path: Path, monkeypatch) -> None:
    make_run(tmp_path, "short", ["seed=1"], {1000: 1.0})
    config = compose_compare(f"hydra.sweep.dir={tmp_path}")

    def unwritable(self):
        raise PermissionError(13, "Permission denied", str(self.path))

    monkeypatch.setattr(RunDirLock, "__enter__", unwritable)
    with pytest.raises(SystemExit) as stopped:
        ReportWhenSweepEnds().on_multirun_end(config)
    assert stopped.value.code == 1


def test_the_sweep_counts_only_its_own_failures(tmp_path: Path) -> None:
    make_run(tmp_path, "done", ["seed=0"], {1000: 1.0, 3000: 2.0})
    failures = tmp_path / FAILURES_FILE
    failures.write_text("runs/old: error: from an earlier sweep\n")
    config = compose_compare(f"hydra.sweep.dir={tmp_path}")
    callback = ReportWhenSweepEnds()
    callback.on_multirun_start(config)
    callback.on_multirun_end(config)  # the earlier sweep's failure does not count
    with failures.open("a") as file:
        file.write("runs/new: diverged: loss_qvalue became NaN\n")
    callback.on_multirun_start(config)
    with failures.open("a") as file:
        file.write("runs/newer: error: optim.lr must be positive, got -1\n")
    with pytest.raises(SystemExit) as stopped:
        callback.on_multirun_end(config)
    assert stopped.value.code == 1
