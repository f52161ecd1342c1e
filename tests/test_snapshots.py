"""Runs that survive: snapshots, exact resume, kills, signals, corrupt files and NaNs."""

from __future__ import annotations

import csv
import logging
import math
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from trl_sac import run, train
from trl_sac.runs import disk
from trl_sac.runs.lock import RunDirLock
from trl_sac.runs.snapshots import ProcessRNGState, SnapshotStore
from trl_sac.sac.fused_step import FusedSACLoss
from trl_sac.training.metrics import MetricsWriter

from conftest import REPO, TINY, compose_config
from helpers.learner import build_learner, gradient_steps


def rows(run_dir: Path, namespace: str) -> list[dict[str, str]]:
    with (run_dir / "metrics" / f"{namespace}.csv").open() as file:
        return list(csv.DictReader(file))


def frames_column(run_dir: Path, namespace: str) -> list[int]:
    return [int(row["frames"]) for row in rows(run_dir, namespace)]


def snapshot_frames(run_dir: Path) -> list[int]:
    return sorted(
        int(path.name.split("-")[1])
        for path in (run_dir / "snapshots").iterdir()
        if path.name.startswith("snapshot-")
    )


# --- exact resume of the learner -------------------------------------------------------


@pytest.mark.parametrize(
    "variant,target_update,storage",
    [("vnet", "hard", "tensor"), ("twinq", "soft", "tensor"), ("twinq", "hard", "memmap")],
)
@pytest.mark.e2e
def test_resume_in_a_fresh_process_equals_training_without_a_break(
    tmp_path, variant, target_update, storage
):
    run_dir = tmp_path / "run"
    env, agent, buffer, state, checkpoint = build_learner(variant, target_update, storage, run_dir)
    buffer.extend(env.rollout(200, break_when_any_done=False).select(*agent.loss.in_keys))
    # 6 updates then 7: the hard copy every 4 updates falls on both sides of the snapshot.
    gradient_steps(agent, buffer, state, 6)
    SnapshotStore(run_dir, keep=2).save(checkpoint, frames=6, metadata={"frames": 6})
    gradient_steps(agent, buffer, state, 7)
    uninterrupted = agent.loss.state_dict()

    out = tmp_path / "resumed.pt"
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from helpers.learner import parameters_after_resume as f;"
        "from pathlib import Path;"
        "f(sys.argv[2], sys.argv[3], sys.argv[4], Path(sys.argv[5]), 7, sys.argv[6])"
    )
    args = [str(REPO / "tests"), variant, target_update, storage, str(run_dir), str(out)]
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    resumed = torch.load(out)
    assert resumed["updates"] == 13
    assert resumed["params"].keys() == uninterrupted.keys()
    for key, value in uninterrupted.items():
        assert torch.equal(resumed["params"][key], value), key


def test_snapshot_holds_every_part_training_depends_on(tmp_path):
    run_dir = tmp_path / "run"
    env, agent, buffer, state, checkpoint = build_learner("vnet", "hard", "tensor", run_dir)
    buffer.extend(env.rollout(50, break_when_any_done=False).select(*agent.loss.in_keys))
    gradient_steps(agent, buffer, state, 3)
    state.frames, state.reported_frames = 50, 40
    path = SnapshotStore(run_dir, keep=2).save(checkpoint, frames=50, metadata={"frames": 50})
    manifest = checkpoint.manifest(path)
    assert set(manifest["components"]) == {
        "loss",
        "optimizer",
        "target_updater",
        "rng",
        "run_state",
        "train_env",
        "replay_buffer",
    }
    assert {"torch", "torchrl", "tensordict", "gymnasium", "mujoco", "trl-sac"} <= set(
        manifest["metadata"]["versions"]
    )

    _, fresh, fresh_buffer, fresh_state, fresh_checkpoint = build_learner(
        "vnet", "hard", "tensor", tmp_path / "other"
    )
    SnapshotStore(run_dir, keep=2).restore_newest(fresh_checkpoint)
    # Actor, both Q's, V, target V and the temperature all live in the loss state.
    saved, restored = agent.loss.state_dict(), fresh.loss.state_dict()
    assert any(key.startswith("target_value_network_params") for key in saved)
    assert all(torch.equal(saved[key], restored[key]) for key in saved)
    for before, after in zip(agent.actor.parameters(), fresh.actor.parameters(), strict=True):
        assert torch.equal(before, after)
    adam_before, adam_after = agent.optimizer.state_dict(), fresh.optimizer.state_dict()
    for index, moments in adam_before["state"].items():
        assert torch.equal(moments["exp_avg_sq"], adam_after["state"][index]["exp_avg_sq"])
    assert fresh.target_updater.counter == agent.target_updater.counter == 3
    assert (fresh_state.frames, fresh_state.reported_frames, fresh_state.updates) == (50, 40, 3)
    assert fresh_state.window.loss_count == 3
    assert len(fresh_buffer) == len(buffer) == 50


# --- whole runs: kill, signals, run-directory rules ------------------------------------


def recipe_command(run_dir: Path, *overrides: str) -> list[str]:
    return [
        sys.executable,
        str(REPO / "recipes" / "hopper.py"),
        *TINY,
        f"run_dir={run_dir}",
        "collector.total_frames=1500",
        "snapshot.every_frames=100",
        "eval.every_frames=500",
        *overrides,
    ]


def start(command: list[str]) -> subprocess.Popen:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.Popen(
        command, cwd=REPO, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def wait_for_snapshot(process: subprocess.Popen, run_dir: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not list((run_dir / "snapshots").glob("snapshot-*")):
        assert process.poll() is None, process.communicate()[1][-2000:]
        assert time.monotonic() < deadline, "no snapshot appeared"
        time.sleep(0.05)


def signal_after_first_snapshot(command: list[str], run_dir: Path, signum: int) -> tuple[int, str]:
    """Start `command`, send `signum` once its first snapshot exists; its status and stderr."""
    process = start(command)
    wait_for_snapshot(process, run_dir)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=120)
    return process.returncode, stderr


def finish(command: list[str]) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run(command, cwd=REPO, env=env, text=True, capture_output=True, timeout=300)


@pytest.mark.e2e
def test_a_killed_run_resumes_and_ends_with_one_row_per_logging_step(tmp_path):
    run_dir = tmp_path / "run"
    command = recipe_command(run_dir)
    status, _ = signal_after_first_snapshot(command, run_dir, signal.SIGKILL)
    assert status == -signal.SIGKILL
    killed_at = max(frames_column(run_dir, "train"))
    assert killed_at < 1500

    resumed = finish(command)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    output = resumed.stdout + resumed.stderr
    assert "resuming" in output and "from frame" in output
    every_logging_step = [*range(40, 1500, 40), 1500]  # and the last frame
    assert frames_column(run_dir, "train") == every_logging_step
    assert frames_column(run_dir, "time") == every_logging_step
    assert frames_column(run_dir, "eval") == [500, 1000, 1500]
    last = rows(run_dir, "train")[-1]
    assert float(last["train/updates"]) == 1500 - 80
    assert snapshot_frames(run_dir) == [1400, 1500]
    assert (run_dir / "weights.pt").exists()


@pytest.mark.e2e
def test_a_stop_signal_snapshots_says_how_to_resume_and_the_same_command_finishes(tmp_path):
    run_dir = tmp_path / "run"
    command = recipe_command(run_dir)
    status, stderr = signal_after_first_snapshot(command, run_dir, signal.SIGTERM)
    assert status == 128 + signal.SIGTERM, stderr[-2000:]
    assert "Traceback" not in stderr
    message = stderr.strip().splitlines()[-1]
    assert message.startswith("trl-sac: SIGTERM: stopped at frame ")
    assert "Run the same command again to resume" in message
    stopped_at = int(message.split("stopped at frame ")[1].split(";")[0])
    assert stopped_at in snapshot_frames(run_dir)
    assert str(run_dir / "snapshots" / f"snapshot-{stopped_at:012d}") in message

    resumed = finish(command)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    every_logging_step = [*range(40, 1500, 40), 1500]
    assert frames_column(run_dir, "train") == every_logging_step
    assert frames_column(run_dir, "eval") == [500, 1000, 1500]
    assert float(rows(run_dir, "train")[-1]["train/updates"]) == 1500 - 80
    assert torch.load(run_dir / "weights.pt", weights_only=True)["frames"] == 1500


@pytest.mark.e2e
def test_killed_at_random_moments_a_run_ends_bit_for_bit_as_the_unbroken_one(tmp_path):
    """SIGKILL three times at random moments (the first may land before any snapshot, or in
    the random warm-up), the same command each time: the end equals the unbroken run's."""
    overrides = ["eval.every_frames=300", "eval.episodes=2", "env.max_episode_steps=1000"]
    unbroken = finish(recipe_command(tmp_path / "a", *overrides))
    assert unbroken.returncode == 0, unbroken.stderr[-2000:]

    command = recipe_command(tmp_path / "b", *overrides)
    delays = random.Random(os.getpid()).sample([x / 10 for x in range(20, 90)], 3)
    for delay in delays:
        process = start(command)
        time.sleep(delay)  # the interpreter and torch take ~2 s to start; then it trains
        process.kill()
        process.communicate(timeout=60)
    resumed = finish(command)
    assert resumed.returncode == 0, (delays, resumed.stderr[-2000:])
    for namespace in ("train", "eval"):
        assert untimed(tmp_path / "b", namespace) == untimed(tmp_path / "a", namespace), delays
    weights = [
        torch.load(path / "weights.pt", weights_only=True)
        for path in (tmp_path / "a", tmp_path / "b")
    ]
    for key, value in weights[0]["actor"].items():
        assert torch.equal(weights[1]["actor"][key], value), (delays, key)


def untimed(run_dir: Path, namespace: str) -> list[dict[str, str]]:
    return [
        {key: value for key, value in row.items() if not key.startswith("time/")}
        for row in rows(run_dir, namespace)
    ]


def tiny_run(tmp_path, *overrides: str):
    return compose_config("hopper", [*TINY, f"run_dir={tmp_path / 'run'}", *overrides])


def test_rerunning_a_finished_run_changes_nothing_and_a_larger_budget_extends_it(tmp_path):
    cfg = tiny_run(tmp_path, "snapshot.every_frames=80")
    first = train(cfg)
    run_dir = Path(cfg.run_dir)
    weights = (run_dir / "weights.pt").read_bytes()
    assert train(cfg) == first
    assert (run_dir / "weights.pt").read_bytes() == weights
    # Killed after the last snapshot but before the weights: the re-run writes them.
    (run_dir / "weights.pt").unlink()
    train(cfg)
    assert (run_dir / "weights.pt").read_bytes() == weights

    longer = tiny_run(tmp_path, "snapshot.every_frames=80", "collector.total_frames=320")
    train(longer)
    assert frames_column(run_dir, "train") == list(range(40, 321, 40))
    assert snapshot_frames(run_dir) == [240, 320]
    # Weights left from before the extension are replaced, not kept as if current.
    (run_dir / "weights.pt").write_bytes(weights)
    train(longer)
    assert torch.load(run_dir / "weights.pt", weights_only=True)["frames"] == 320


def test_restart_needs_asking_for_and_moves_the_old_run_aside(tmp_path, capsys):
    cfg = tiny_run(tmp_path)
    train(cfg)
    with pytest.raises(SystemExit) as exit_info:
        run(tiny_run(tmp_path, "optim.lr=0.001"))
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "optim.lr: 0.0003 -> 0.001" in err[0] and "restart=true" in err[0]

    train(tiny_run(tmp_path, "optim.lr=0.001", "restart=true"))
    aside = [path for path in tmp_path.iterdir() if path.name.startswith("run.replaced-")]
    assert len(aside) == 1 and (aside[0] / "weights.pt").exists()
    assert frames_column(tmp_path / "run", "train") == list(range(40, 241, 40))


def test_a_used_run_dir_without_snapshots_is_refused_not_overwritten(tmp_path, capsys):
    run_dir = tmp_path / "run"
    (run_dir / "metrics").mkdir(parents=True)
    (run_dir / "metrics" / "train.csv").write_text("frames\n40\n")
    with pytest.raises(SystemExit) as exit_info:
        run(tiny_run(tmp_path))
    assert exit_info.value.code == 2
    assert "no snapshot to resume from" in capsys.readouterr().err
    assert (run_dir / "metrics" / "train.csv").read_text() == "frames\n40\n"


# --- corrupt snapshots and diverging runs ----------------------------------------------


def largest_file(directory: Path) -> Path:
    return max(
        (path for path in directory.rglob("*") if path.is_file()),
        key=lambda path: path.stat().st_size,
    )


def test_a_truncated_snapshot_is_reported_and_the_previous_one_used(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="trl_sac")
    cfg = tiny_run(tmp_path, "snapshot.every_frames=80")
    train(cfg)
    run_dir = Path(cfg.run_dir)
    newest = run_dir / "snapshots" / "snapshot-000000000240"
    damaged = largest_file(newest)
    damaged.write_bytes(damaged.read_bytes()[:100])

    train(tiny_run(tmp_path, "snapshot.every_frames=80", "collector.total_frames=320"))
    assert f"snapshot {newest} is unreadable ({damaged} is truncated" in caplog.text
    assert "resuming" in caplog.text and "from frame 160" in caplog.text
    assert frames_column(run_dir, "train") == list(range(40, 321, 40))
    # Reaching frame 240 again did not destroy the damaged snapshot.
    kept = [path for path in newest.parent.iterdir() if ".unreadable-" in path.name]
    assert len(kept) == 1 and (kept[0] / damaged.relative_to(newest)).stat().st_size == 100


def test_damage_that_keeps_a_snapshot_s_size_is_caught_by_its_checksum(tmp_path, caplog):
    cfg = tiny_run(tmp_path, "snapshot.every_frames=80")
    train(cfg)
    run_dir = Path(cfg.run_dir)
    newest = run_dir / "snapshots" / "snapshot-000000000240"
    damaged = largest_file(newest)
    data = bytearray(damaged.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte: same size, same name
    damaged.write_bytes(bytes(data))

    longer = tiny_run(tmp_path, "snapshot.every_frames=80", "collector.total_frames=320")
    with caplog.at_level(logging.INFO):
        train(longer)
    assert f"snapshot {newest} is unreadable" in caplog.text
    assert f"{damaged} is corrupt (checksum mismatch)" in caplog.text
    # The previous snapshot (frame 160) was used and the run went on from there; the
    # damaged one was set aside when the new snapshot at 240 took its name, not deleted.
    assert "from frame 160" in caplog.text
    assert frames_column(run_dir, "train") == list(range(40, 321, 40))
    assert list((run_dir / "snapshots").glob("snapshot-000000000240.unreadable-*"))


def test_no_readable_snapshot_is_one_line_and_deletes_nothing(tmp_path, capsys):
    cfg = tiny_run(tmp_path, "snapshot.every_frames=80")
    train(cfg)
    run_dir = Path(cfg.run_dir)
    for snapshot in (run_dir / "snapshots").iterdir():
        (snapshot / "manifest.json").write_text("{not json")
    with pytest.raises(SystemExit) as exit_info:
        run(tiny_run(tmp_path, "snapshot.every_frames=80", "collector.total_frames=320"))
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no readable snapshot" in err[0] and "snapshot-000000000240" in err[0]
    assert snapshot_frames(run_dir) == [160, 240]


def test_a_nan_loss_stops_the_run_and_keeps_the_last_good_snapshot(tmp_path, capsys, monkeypatch):
    forward = FusedSACLoss.__call__
    calls = []

    def poisoned(self, batch):
        losses = forward(self, batch)
        calls.append(1)
        if len(calls) > 100:  # updates start at frame 80: update 101 is at frame 181
            losses["loss_qvalue"] = losses["loss_qvalue"] * math.nan
        return losses

    monkeypatch.setattr(FusedSACLoss, "__call__", poisoned)
    cfg = tiny_run(tmp_path, "snapshot.every_frames=80")
    with pytest.raises(SystemExit) as exit_info:
        run(cfg)
    assert exit_info.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert "loss_qvalue" in err[0] and "before frame 200" in err[0]
    run_dir = Path(cfg.run_dir)
    assert str(run_dir / "snapshots" / "snapshot-000000000160") in err[0]
    assert snapshot_frames(run_dir) == [80, 160]
    assert not (run_dir / "weights.pt").exists()

    monkeypatch.setattr(FusedSACLoss, "__call__", forward)
    _, agent, buffer, state, checkpoint = build_learner("twinq", "soft", "tensor", tmp_path / "x")
    SnapshotStore(run_dir, keep=2).restore_newest(checkpoint)
    assert state.frames == 160
    assert all(torch.isfinite(p).all() for p in agent.loss.parameters())


def test_without_the_replay_buffer_a_resumed_run_refills_before_learning(tmp_path):
    cfg = tiny_run(tmp_path, "snapshot.every_frames=80", "snapshot.replay_buffer=false")
    train(cfg)
    run_dir = Path(cfg.run_dir)
    train(
        tiny_run(
            tmp_path,
            "snapshot.every_frames=80",
            "snapshot.replay_buffer=false",
            "collector.total_frames=400",
        )
    )
    updates = {int(row["frames"]): float(row["train/updates"]) for row in rows(run_dir, "train")}
    assert updates[240] == 160
    # 80 frames refill the buffer after the resume at 240, then one update per frame.
    assert updates[320] == 160 and updates[400] == 240


def test_memmap_buffer_lives_in_the_run_dir_and_is_not_copied_into_snapshots(tmp_path):
    cfg = tiny_run(tmp_path, "snapshot.every_frames=80", "replay_buffer.storage=memmap")
    train(cfg)
    run_dir = Path(cfg.run_dir)
    buffer_dir = run_dir / "replay_buffer"
    buffer_bytes = sum(path.stat().st_size for path in buffer_dir.rglob("*.memmap"))
    assert buffer_bytes > 0
    snapshot = run_dir / "snapshots" / "snapshot-000000000240"
    assert not list(snapshot.rglob("*observation*"))

    train(
        tiny_run(
            tmp_path,
            "snapshot.every_frames=80",
            "replay_buffer.storage=memmap",
            "collector.total_frames=320",
        )
    )
    assert frames_column(run_dir, "train") == list(range(40, 321, 40))


def test_a_write_killed_half_way_is_ignored_and_cleared(tmp_path):
    cfg = tiny_run(tmp_path, "snapshot.every_frames=80")
    train(cfg)
    snapshots = Path(cfg.run_dir) / "snapshots"
    # What a kill during a write leaves: a staged folder under a hidden name.
    half_written = snapshots / ".snapshot-000000000320.writing-0123"
    (half_written / "components").mkdir(parents=True)
    (half_written / "components" / "state.pt").write_bytes(b"partial")

    train(tiny_run(tmp_path, "snapshot.every_frames=80", "collector.total_frames=320"))
    assert snapshot_frames(Path(cfg.run_dir)) == [240, 320]
    assert not half_written.exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a GPU")
def test_rng_state_of_a_gpu_machine_loads_without_a_gpu():
    rng = ProcessRNGState()
    state = rng.state_dict()
    expected = torch.rand(3)
    rng.load_state_dict({**state, "torch_cuda": [torch.zeros(16, dtype=torch.uint8)]})
    assert torch.equal(torch.rand(3), expected)


def test_a_run_dir_in_use_by_another_process_is_refused(tmp_path, capsys):
    cfg = tiny_run(tmp_path)
    with RunDirLock(Path(cfg.run_dir)):
        with pytest.raises(SystemExit) as exit_info:
            run(cfg)
    assert exit_info.value.code == 2
    assert "is in use by another process" in capsys.readouterr().err
    train(cfg)  # free again once the holder lets go


# --- a disk that fills up --------------------------------------------------------------


def test_a_full_disk_stops_before_the_next_snapshot_with_one_line_and_resumes(
    tmp_path, capsys, monkeypatch
):
    cfg = tiny_run(tmp_path, "snapshot.every_frames=80")
    run_dir = Path(cfg.run_dir)
    plenty = disk.free_bytes(tmp_path)

    def free_after_the_first_snapshot(path: Path) -> int:
        return 1000 if snapshot_frames_or_none(run_dir) else plenty

    monkeypatch.setattr(disk, "free_bytes", free_after_the_first_snapshot)
    with pytest.raises(SystemExit) as exit_info:
        run(cfg)
    assert exit_info.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith(
        f"trl-sac: error: no room for the snapshot at frame 160 in {run_dir / 'snapshots'}: "
        "it needs "
    )
    assert "and 1000 bytes (1.0 kB) are free" in err[0]
    assert f"the last snapshot is kept: {run_dir / 'snapshots' / 'snapshot-000000000080'}" in err[0]
    assert snapshot_frames(run_dir) == [80]

    monkeypatch.setattr(disk, "free_bytes", lambda path: plenty)
    train(cfg)
    assert snapshot_frames(run_dir) == [160, 240]
    assert frames_column(run_dir, "eval") == [120, 240]


def test_a_disk_too_small_for_any_snapshot_stops_within_the_first_batch(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setattr(disk, "free_bytes", lambda path: 5_000_000)
    cfg = tiny_run(tmp_path, "replay_buffer.size=100000")
    with pytest.raises(SystemExit) as exit_info:
        run(cfg)
    assert exit_info.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no room for this run's snapshots and replay buffer" in err[0], err
    assert "no snapshot was written yet" in err[0]
    assert not snapshot_frames_or_none(Path(cfg.run_dir))


def test_a_failing_write_of_the_metrics_is_one_line(tmp_path, capsys, monkeypatch):
    def full(self, frames, values):
        raise OSError(28, "No space left on device", "train.csv")

    monkeypatch.setattr(MetricsWriter, "log", full)
    with pytest.raises(SystemExit) as exit_info:
        run(tiny_run(tmp_path))
    assert exit_info.value.code == 1
    assert capsys.readouterr().err.strip().splitlines() == [
        "trl-sac: error: [Errno 28] No space left on device: 'train.csv'"
    ]


def snapshot_frames_or_none(run_dir: Path) -> list[int]:
    return snapshot_frames(run_dir) if (run_dir / "snapshots").exists() else []


def test_a_failed_torch_save_is_one_line(tmp_path, capsys, monkeypatch):
    def full(*args, **kwargs):
        # What torch.save raises when the disk fills under it.
        raise RuntimeError("[enforce fail] PytorchStreamWriter failed writing file data/0")

    monkeypatch.setattr(torch, "save", full)
    with pytest.raises(SystemExit) as exit_info:
        run(tiny_run(tmp_path))
    assert exit_info.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("trl-sac: error: writing ") and "PytorchStreamWriter" in err[0]
    assert not list(Path(tmp_path / "run" / "snapshots").glob(".*writing*"))
