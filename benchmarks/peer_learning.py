"""A peer's learning curve on this machine, evaluated the way trl-sac evaluates.

python benchmarks/peer_learning.py --frames 100000 --seeds 0 1 --out runs/peers

Published peer returns (sac-facts.md) are at 1M steps; short budgets need a peer run at the
same budget, on the same task, with the same protocol. This trains Stable-Baselines3's SAC
(twin-Q with a learned temperature, like `loss=twinq`; `pip install 'trl-sac[bench]'`) with
the paper's settings (2x256 networks, Adam 3e-4, batch 256, 1e6 buffer, tau 0.005, one
gradient step per env step). Warm-up, episode cap and evaluation follow trl-sac's config
for the task: `collector.init_random_frames` random steps, and every `eval.every_frames`
frames `eval.episodes` deterministic episodes on an eval env seeded with
`seed + eval.seed_offset` before each evaluation (then reset before every episode, as
TorchRL's set_seed and rollout do). One difference remains: SB3 evaluates after the env
step and before that step's gradient step, trl-sac after both, one update apart.
Each seed writes `<out>/sb3/<env>/seed=<n>/eval.csv` (trl-sac's eval.csv columns) and
`run.json`; `benchmarks/learning.py summary DIR --peers <out>` puts them beside trl-sac's
runs.
"""

from __future__ import annotations

import argparse
import csv
import json
import shlex
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from provenance import current_commit, machine_description

import trl_sac.tasks  # noqa: F401  (registers HumanoidRllab-v0 with gymnasium)
from trl_sac.errors import first_line
from trl_sac.files import write_text_atomically

EVAL_COLUMNS = (
    "frames",
    "eval/return_mean",
    "eval/return_std",
    "eval/return_min",
    "eval/return_max",
    "eval/episode_length_mean",
)


def evaluate_policy(model: Any, env: Any, episodes: int, seed: int) -> dict[str, float]:
    """`episodes` complete deterministic episodes after seeding the env with a reset."""
    env.reset(seed=seed)
    returns, lengths = [], []
    for _ in range(episodes):
        observation, _ = env.reset()
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


@dataclass(frozen=True)
class Protocol:
    """What trl-sac's config sets for a task, applied to the peer too."""

    random_frames: int
    max_episode_steps: int
    eval_every: int
    eval_episodes: int
    eval_seed_offset: int

    @classmethod
    def of_trl_sac(cls, env_id: str, overrides: list[str] | None = None) -> Protocol:
        import gymnasium as gym
        from hydra import compose, initialize_config_module

        gym.spec(env_id)  # an unknown task fails here, before anything is written
        with initialize_config_module("trl_sac.conf", version_base="1.3"):
            cfg = compose("train", [f"env.id={env_id}", *(overrides or [])])
        return cls(
            random_frames=int(cfg.collector.init_random_frames),
            max_episode_steps=int(cfg.env.max_episode_steps),
            eval_every=int(cfg.eval.every_frames),
            eval_episodes=int(cfg.eval.episodes),
            eval_seed_offset=int(cfg.eval.seed_offset),
        )


def train_sb3(args: argparse.Namespace, protocol: Protocol, seed: int, run_dir: Path) -> None:
    import gymnasium as gym
    import stable_baselines3
    import torch
    from stable_baselines3 import SAC
    from stable_baselines3.common.callbacks import BaseCallback

    eval_env = gym.make(args.env, max_episode_steps=protocol.max_episode_steps)
    eval_csv = run_dir / "eval.csv"
    start = time.perf_counter()

    class EvaluateEvery(BaseCallback):
        def _on_step(self) -> bool:
            if self.num_timesteps % protocol.eval_every == 0:
                row = evaluate_policy(
                    self.model,
                    eval_env,
                    protocol.eval_episodes,
                    seed + protocol.eval_seed_offset,
                )
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
        "learning_starts": protocol.random_frames,
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
        gym.make(args.env, max_episode_steps=protocol.max_episode_steps),
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
        "device": args.device,
        "hyperparameters": hyperparameters,
        "protocol": asdict(protocol),
        "wall_time_s": time.perf_counter() - start,
        "machine": machine_description(),
        "commit": current_commit(),
        "date": time.strftime("%Y-%m-%d"),
        "command": shlex.join(["python", *sys.argv]),
    }
    write_text_atomically(run_dir / "run.json", json.dumps(record, indent=2) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", default="Hopper-v5", help="a gymnasium MuJoCo task id")
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", type=Path, default=Path("runs/peers"))
    parser.add_argument(
        "--eval-every",
        type=int,
        help="evaluate every this many frames (default: trl-sac's eval.every_frames); "
        "match the trl-sac sweep it is compared with",
    )
    args = parser.parse_args()
    try:
        import stable_baselines3  # noqa: F401
    except ImportError:
        return fail("Stable-Baselines3 is not installed: pip install -e '.[bench]'")
    try:
        overrides = [] if args.eval_every is None else [f"eval.every_frames={args.eval_every}"]
        protocol = Protocol.of_trl_sac(args.env, overrides)
    except Exception as error:  # Hydra and gymnasium raise many kinds for an unknown task
        return fail(f"no trl-sac config for --env {args.env}: {first_line(error)}")
    if args.frames <= 0 or args.frames % protocol.eval_every:
        return fail(
            f"--frames {args.frames} is not a positive multiple of the evaluation interval "
            f"({protocol.eval_every}): the last budget would have no evaluation"
        )
    for seed in args.seeds:
        run_dir = args.out / "sb3" / args.env / f"seed={seed}"
        if (run_dir / "run.json").exists():
            print(f"{run_dir} is complete; skipped")
            continue
        run_dir.mkdir(parents=True, exist_ok=True)
        train_sb3(args, protocol, seed, run_dir)
    return 0


def fail(message: str) -> int:
    print(f"peer_learning.py: error: {message}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
