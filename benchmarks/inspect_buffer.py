"""What a run trained on: the replay buffer of its newest snapshot, checked against the run's logs.

python benchmarks/inspect_buffer.py RUN_DIR

Prints the transitions held, how many ended an episode by termination and by the time
limit (only terminations may cut the bootstrap), the reward scale the buffer's rewards
imply (mean stored reward over the env's mean reward per step from train.csv, both over
the complete episodes), and, for
Hopper and Walker2d, whether every `terminated` flag agrees with gymnasium's health rule
applied to the next observation (height and torso angle).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from tensordict import TensorDict

from trl_sac.errors import RunDirError
from trl_sac.reporting.run_records import read_rows, read_run
from trl_sac.runs.snapshots import snapshot_paths

# gymnasium's healthy ranges (v5 defaults) on observation[0] (height) and [1] (torso angle).
HEALTH = {"Hopper-v5": ((0.7, math.inf), (-0.2, 0.2)), "Walker2d-v5": ((0.8, 2.0), (-1.0, 1.0))}


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
        (low_z, high_z), (low_angle, high_angle) = HEALTH[env_id]
        height, angle = held["next", "observation"][:, 0], held["next", "observation"][:, 1]
        healthy = (height > low_z) & (height < high_z) & (angle > low_angle) & (angle < high_angle)
        # gymnasium also ends an episode on a state out of [-100, 100]; rare, counted apart.
        disagree = int((terminated == healthy).sum())
        print(f"terminated flags that disagree with the height/angle rule: {disagree}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
