"""Return and episode length of a uniform-random policy: the floor a learning curve starts from.

python benchmarks/random_policy.py HumanoidRllab-v0 --episodes 20 --seed 0
"""

from __future__ import annotations

import argparse
import json
import statistics

import gymnasium as gym

import trl_sac.tasks  # noqa: F401  (registers trl-sac's own tasks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("env_id")
    parser.add_argument("--episodes", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    env = gym.make(args.env_id)
    env.action_space.seed(args.seed)
    returns, lengths = [], []
    for episode in range(args.episodes):
        env.reset(seed=args.seed + episode)
        total, steps, done = 0.0, 0, False
        while not done:
            _, reward, terminated, truncated, _ = env.step(env.action_space.sample())
            total, steps, done = total + reward, steps + 1, terminated or truncated
        returns.append(total)
        lengths.append(steps)
    summary = {
        "env_id": args.env_id,
        "episodes": args.episodes,
        "seed": args.seed,
        "return_mean": statistics.mean(returns),
        "return_std": statistics.pstdev(returns),
        "length_mean": statistics.mean(lengths),
        "length_std": statistics.pstdev(lengths),
    }
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
