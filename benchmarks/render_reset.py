"""Render a task's first frame after reset, off-screen, to a PNG.

python benchmarks/render_reset.py HumanoidRllab-v0 docs/humanoid_rllab_reset.png
"""

from __future__ import annotations

import argparse
import os

# MuJoCo reads MUJOCO_GL when it is first imported: choose before importing it.
os.environ.setdefault("MUJOCO_GL", "osmesa")

import gymnasium as gym  # noqa: E402
import imageio.v3 as iio  # noqa: E402

import trl_sac.tasks  # noqa: E402, F401  (registers trl-sac's own tasks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("env_id")
    parser.add_argument("output")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--size", type=int, default=480)
    args = parser.parse_args()

    env = gym.make(args.env_id, render_mode="rgb_array", width=args.size, height=args.size)
    env.reset(seed=args.seed)
    frame = env.render()
    env.close()
    iio.imwrite(args.output, frame)
    print(f"{args.output}: {frame.shape[1]}x{frame.shape[0]} ({os.environ['MUJOCO_GL']})")


if __name__ == "__main__":
    main()
