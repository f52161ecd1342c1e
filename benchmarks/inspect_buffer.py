"""What a run trained on: the replay buffer of its newest snapshot, checked against the run's logs.

python benchmarks/inspect_buffer.py RUN_DIR

Prints the transitions held, how many ended an episode by termination and by the time
limit (only terminations may cut the bootstrap), the reward scale the buffer's rewards
imply (mean stored reward over the env's mean reward per step from train.csv, both over
the complete episodes), and, for the paper's tasks that can fall, whether every
`terminated` flag agrees with the task's health rule applied to the next observation
(torso height, and Hopper's and Walker2d's torso angle), and on which side of its healthy
range each termination lies (a fall, or a jump too high).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import torch
from tensordict import TensorDict

from trl_sac.errors import RunDirError
from trl_sac.reporting.run_records import read_rows, read_run
from trl_sac.runs.snapshots import snapshot_paths

# Each task's healthy ranges (gymnasium's v5 defaults, trl-sac's rllab humanoid) as
# (name, observation index, low, high): the torso's height, and Hopper's and Walker2d's angle.
# Checked inclusive; gymnasium's are strict for some tasks, which differs only on a bound.
HEALTH = {
    "Hopper-v5": [("height", 0, 0.7, math.inf), ("angle", 1, -0.2, 0.2)],
    "Walker2d-v5": [("height", 0, 0.8, 2.0), ("angle", 1, -1.0, 1.0)],
    "Ant-v5": [("height", 0, 0.2, 1.0)],
    "Humanoid-v5": [("height", 0, 1.0, 2.0)],
    "HumanoidRllab-v0": [("height", 2, 0.8, 2.0)],  # its observation starts with x and y
}


def logged_reward_per_step(run_dir: Path, frames: int) -> float:
    """The env's own reward per step over the training episodes train.csv logged to `frames`."""
    rows = [
        row
        for row in read_rows(run_dir / "metrics/train.csv")
        if row["train/episodes"] > 0 and row["frames"] <= frames
    ]
    steps = sum(row["train/episodes"] * row["train/episode_length"] for row in rows)
    reward = sum(row["train/episodes"] * row["train/episode_return"] for row in rows)
    return reward / steps if steps else math.nan


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir", type=Path)
    args = parser.parse_args(argv)
    try:
        env_id = read_run(args.run_dir).env_id
    except RunDirError as error:
        print(f"inspect_buffer.py: error: {error}", file=sys.stderr)
        return 2
    snapshots = snapshot_paths(args.run_dir)  # newest first
    # TorchRL's Checkpoint numbers its component folders in the order they were registered.
    found = sorted((snapshots[0] / "components").glob("*-replay_buffer")) if snapshots else []
    storage = found[0] / "storage" if found else None
    if storage is None or not storage.is_dir():
        print(
            f"inspect_buffer.py: error: {args.run_dir} has no snapshot with a replay buffer",
            file=sys.stderr,
        )
        return 2
    buffer = TensorDict.load_memmap(storage)
    frames = int(snapshots[0].name.rsplit("-", 1)[1])
    held = buffer[: min(frames, buffer.shape[0])]
    done = held["next", "done"].squeeze(-1)
    terminated = held["next", "terminated"].squeeze(-1)
    reward = held["next", "reward"].squeeze(-1)
    print(f"{snapshots[0]}: {held.shape[0]} transitions")
    print(f"episode ends: {int(done.sum())}, terminated {int(terminated.sum())}, "
          f"time-limit truncations {int((done & ~terminated).sum())}")  # fmt: skip
    # Over the complete episodes only: those are the ones train.csv logged.
    ends = done.nonzero().flatten()
    complete = reward[: int(ends[-1]) + 1] if len(ends) else reward[:0]
    per_step = logged_reward_per_step(args.run_dir, frames)
    scale = complete.mean() / per_step
    print(f"mean stored reward over complete episodes {complete.mean():.3f}; env reward per "
          f"step in train.csv {per_step:.3f}; implied reward scale {scale:.2f}")  # fmt: skip
    if env_id in HEALTH:
        observation = held["next", "observation"]
        healthy = torch.ones_like(terminated)
        sides = []
        for name, index, low, high in HEALTH[env_id]:
            value = observation[:, index]
            healthy &= (value >= low) & (value <= high)
            # Which way the episodes ended: an ant that falls and one that jumps both leave.
            sides += [f"{name} < {low:g}: {int((terminated & (value < low)).sum())}"]
            if math.isfinite(high):
                sides += [f"{name} > {high:g}: {int((terminated & (value > high)).sum())}"]
        # Hopper also ends an episode on a state out of [-100, 100], and Ant on one that is
        # not finite; rare, and counted here as a disagreement.
        disagree = int((terminated == healthy).sum())
        print(f"terminated flags that disagree with the health rule: {disagree}")
        print(f"terminations outside the healthy range: {', '.join(sides)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
