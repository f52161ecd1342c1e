"""A run stopped at any frame and resumed by the same call ends bit for bit where the
unbroken run ends: the learner, the training env mid-episode, the evaluation env.

In-process through `train()`: a stop request (SIGTERM) arrives at chosen frames, inside
the random warm-up and mid-episode; each stop snapshots, and the next call resumes.
The e2e tier kills subprocesses with SIGKILL at random moments (test_snapshots.py).
"""

from __future__ import annotations

import csv
import os
import signal
from pathlib import Path

import pytest
import torch

from trl_sac import train
from trl_sac.errors import Interrupted
from trl_sac.rollout.direct_collection import DirectCollector
from trl_sac.rollout.env_state import load_mujoco_env_state, mujoco_env_state
from trl_sac.rollout.envs import make_env

from conftest import TINY, compose_config

# Hopper's episodes end at random lengths: several in 400 frames, some cut mid-way by a stop.
RUN = [
    *TINY,
    "collector.total_frames=400",
    "collector.init_random_frames=100",
    "eval.every_frames=100",
    "eval.episodes=2",
    "env.max_episode_steps=1000",
    "snapshot.every_frames=1000",  # only the stops snapshot
]
# Columns that depend on the wall clock, not on the run.
TIMED = ("time/",)


def metrics(run_dir: Path, namespace: str) -> list[dict[str, str]]:
    with (run_dir / "metrics" / f"{namespace}.csv").open() as file:
        rows = list(csv.DictReader(file))
    return [{k: v for k, v in row.items() if not k.startswith(TIMED)} for row in rows]


def stop_at(monkeypatch, frames: list[int]) -> list[int]:
    """Send this process SIGTERM as the training env takes each of `frames` (run frames)."""
    pending = sorted(frames)
    seen: list[int] = []
    step = DirectCollector.step

    def stepping(self, collected, random):
        step(self, collected, random)
        seen.append(0)
        if pending and len(seen) == pending[0]:
            pending.pop(0)
            os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(DirectCollector, "step", stepping)
    return seen


@pytest.mark.parametrize(
    ("variant", "stops"),
    [
        ("twinq", [37, 211, 302]),  # in the warm-up, then twice mid-learning
        ("vnet", [100, 101, 250]),  # at the warm-up's last frame and the first update
    ],
)
def test_a_run_stopped_and_resumed_ends_bit_for_bit_as_the_unbroken_run(
    tmp_path, monkeypatch, variant, stops
):
    unbroken = compose_config("hopper", [*RUN, f"loss={variant}", f"run_dir={tmp_path / 'a'}"])
    train(unbroken)

    broken = compose_config("hopper", [*RUN, f"loss={variant}", f"run_dir={tmp_path / 'b'}"])
    stop_at(monkeypatch, stops)
    calls = 0
    while True:
        calls += 1
        try:
            train(broken)
            break
        except Interrupted:
            assert calls <= len(stops)
    assert calls == len(stops) + 1

    a, b = tmp_path / "a", tmp_path / "b"
    for namespace in ("train", "eval"):
        assert metrics(b, namespace) == metrics(a, namespace), namespace
    weights_a = torch.load(a / "weights.pt", weights_only=True)
    weights_b = torch.load(b / "weights.pt", weights_only=True)
    for part in ("actor", "loss"):
        for key, value in weights_a[part].items():
            assert torch.equal(weights_b[part][key], value), (part, key)


def test_a_restored_env_steps_bit_for_bit_like_the_original():
    """Mid-episode, through resets: the physics, the reset noise and the step limit."""
    first = make_env("Hopper-v5", seed=3, max_episode_steps=30).base_env._env
    second = make_env("Hopper-v5", seed=99, max_episode_steps=30).base_env._env
    first.reset(seed=3)
    second.reset(seed=99)
    actions = torch.rand(200, 3, generator=torch.Generator().manual_seed(0)).numpy() * 2 - 1
    for action in actions[:17]:
        first.step(action)
    load_mujoco_env_state(second, mujoco_env_state(first))
    resets = 0
    for action in actions[17:]:
        one, two = first.step(action), second.step(action)
        assert (one[0] == two[0]).all() and one[1:4] == two[1:4]
        if one[2] or one[3]:
            resets += 1
            assert (first.reset()[0] == second.reset()[0]).all()
    assert resets >= 3  # the 30-step limit and falls both happened after the restore


class Crash(Exception):
    """Stands in for SIGKILL: the process ends at once, without a snapshot."""


def test_a_run_that_died_before_its_first_snapshot_starts_again_and_ends_the_same(
    tmp_path, monkeypatch
):
    unbroken = compose_config("hopper", [*RUN, f"run_dir={tmp_path / 'a'}"])
    train(unbroken)

    broken = compose_config("hopper", [*RUN, f"run_dir={tmp_path / 'b'}"])
    step = DirectCollector.step
    taken: list[int] = []

    def crashing(self, collected, random):
        step(self, collected, random)
        taken.append(0)
        if len(taken) == 170:
            raise Crash

    monkeypatch.setattr(DirectCollector, "step", crashing)
    with pytest.raises(Crash):
        train(broken)
    assert not list((tmp_path / "b" / "snapshots").glob("snapshot-*"))
    assert metrics(tmp_path / "b", "eval")  # it had logged rows before it died
    monkeypatch.setattr(DirectCollector, "step", step)
    train(broken)
    for namespace in ("train", "eval"):
        assert metrics(tmp_path / "b", namespace) == metrics(tmp_path / "a", namespace)
