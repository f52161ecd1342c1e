"""A peer's learning curve on this machine, evaluated the way trl-sac evaluates.

python benchmarks/peer_learning.py --frames 100000 --seeds 0 1 --out runs/peers

Published peer returns (sac-facts.md) are at 1M steps; short budgets need a peer run at the
same budget, on the same task, with the same protocol. This trains Stable-Baselines3's SAC
(twin-Q with a learned temperature, like `loss=twinq`; `pip install 'trl-sac[bench]'`) with
the paper's settings (2x256 networks, Adam 3e-4, batch 256, 1e6 buffer, tau 0.005, one
gradient step per env step) after the same random warm-up as trl-sac, and every
`--eval-every` frames runs `--episodes` deterministic episodes on an eval env reseeded to
`seed + 1000003` before each evaluation, as trl-sac does. Each seed writes
`<out>/sb3/<env>/seed=<n>/eval.csv` (trl-sac's eval.csv columns) and `run.json`;
`benchmarks/learning.py --peers <out>` puts them beside trl-sac's runs.
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

# trl-sac's defaults (trl_sac/conf): the same warm-up and eval protocol on both sides.
INIT_RANDOM_FRAMES = 5000
EVAL_SEED_OFFSET = 1000003
EVAL_COLUMNS = (
    "frames",
    "eval/return_mean",
    "eval/return_std",
    "eval/return_min",
    "eval/return_max",
    "eval/episode_length_mean",
)


def evaluate_policy(model: Any, env: Any, episodes: int, seed: int) -> dict[str, float]:
    """`episodes` complete deterministic episodes, the env reseeded once before the first."""
    returns, lengths = [], []
    for index in range(episodes):
        observation, _ = env.reset(seed=seed if index == 0 else None)
        total, steps, done = 0.0, 0, False
        while not done:
            action, _ = model.predict(observation, deterministic=True)
            observation, reward, terminated, truncated, _ = env.step(action)
            total += float(reward)
            steps += 1
            done = terminated or truncated
        returns.append(total)
        lengths.append(steps)
    return {
        "eval/return_mean": statistics.fmean(returns),
        "eval/return_std": statistics.pstdev(returns),
        "eval/return_min": min(returns),
        "eval/return_max": max(returns),
        "eval/episode_length_mean": statistics.fmean(lengths),
    }


def train_sb3(args: argparse.Namespace, seed: int, run_dir: Path) -> None:
    import gymnasium as gym
    import stable_baselines3
    import torch
    from stable_baselines3 import SAC
    from stable_baselines3.common.callbacks import BaseCallback

    eval_env = gym.make(args.env, max_episode_steps=1000)
    eval_csv = run_dir / "eval.csv"
    start = time.perf_counter()

    class EvaluateEvery(BaseCallback):
        def _on_step(self) -> bool:
            if self.num_timesteps % args.eval_every == 0:
                row = evaluate_policy(self.model, eval_env, args.episodes, seed + EVAL_SEED_OFFSET)
                with eval_csv.open("a", newline="") as file:
                    csv.writer(file).writerow(
                        [self.num_timesteps, *(row[column] for column in EVAL_COLUMNS[1:])]
                    )
                print(
                    f"seed {seed}: {self.num_timesteps} frames, "
                    f"eval return {row['eval/return_mean']:.1f}",
                    flush=True,
                )
            return True

    with eval_csv.open("w", newline="") as file:
        csv.writer(file).writerow(EVAL_COLUMNS)
    hyperparameters = {
        "learning_rate": 3e-4,
        "buffer_size": 1_000_000,
        "learning_starts": INIT_RANDOM_FRAMES,
        "batch_size": 256,
        "tau": 0.005,
        "gamma": 0.99,
        "train_freq": 1,
        "gradient_steps": 1,
        "ent_coef": "auto",
        "policy_kwargs": {"net_arch": [256, 256]},
    }
    model = SAC(
        "MlpPolicy",
        gym.make(args.env, max_episode_steps=1000),
        device=args.device,
        seed=seed,
        **hyperparameters,
    )
    model.learn(total_timesteps=args.frames, callback=EvaluateEvery())
    record = {
        "implementation": "stable-baselines3",
        "version": stable_baselines3.__version__,
        "torch": torch.__version__,
        "env": args.env,
        "seed": seed,
        "frames": args.frames,
        "hyperparameters": hyperparameters,
        "eval": {"every_frames": args.eval_every, "episodes": args.episodes},
        "wall_time_s": time.perf_counter() - start,
        "machine": platform.processor() or platform.machine(),
        "date": time.strftime("%Y-%m-%d"),
        "command": " ".join(sys.argv),
    }
    (run_dir / "run.json").write_text(json.dumps(record, indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", default="Hopper-v5")
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--eval-every", type=int, default=10_000)
    parser.add_argument("--episodes", type=int, default=10)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", type=Path, default=Path("runs/peers"))
    args = parser.parse_args()
    for seed in args.seeds:
        run_dir = args.out / "sb3" / args.env / f"seed={seed}"
        if (run_dir / "run.json").exists():
            print(f"{run_dir} is complete; skipped")
            continue
        run_dir.mkdir(parents=True, exist_ok=True)
        train_sb3(args, seed, run_dir)


if __name__ == "__main__":
    main()
