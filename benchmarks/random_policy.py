"""The floors a learning curve starts from: a uniform-random policy and one that does nothing,
measured with trl-sac's own evaluation (the env a run evaluates on, its episode limit, its
evaluation seeds, the env's unscaled return).

python benchmarks/random_policy.py HumanoidRllab-v0 --episodes 20
python benchmarks/random_policy.py Ant-v5 Humanoid-v5 --out benchmarks/results/floors

With --out, each task's record is written to <out>/<env id>.json; learning.py's summaries
put those floors beside the learning results of the same task.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

import torch
from tensordict import TensorDictBase
from tensordict.nn import TensorDictModuleBase
from torchrl.envs.utils import RandomPolicy

from trl_sac.errors import ConfigError, first_line
from trl_sac.evaluation.episodes import evaluate
from trl_sac.files import write_text_atomically
from trl_sac.rollout.envs import check_env_id, make_env
from trl_sac.tasks.episode_limit import episode_limit

# trl-sac's default eval.seed_offset: the floors see the evaluation episodes of seed 0.
EVAL_SEED = 1_000_003


class ZeroAction(TensorDictModuleBase):
    """Holds every motor at the middle of its range: the policy that does nothing."""

    def __init__(self, action_size: int) -> None:
        super().__init__()
        self.in_keys, self.out_keys = ["observation"], ["action"]
        self.action_size = action_size

    def forward(self, tensordict: TensorDictBase) -> TensorDictBase:
        return tensordict.set("action", torch.zeros(self.action_size))


def floors(env_id: str, episodes: int, seed: int, command: str) -> dict:
    limit = episode_limit(env_id)
    record: dict = {
        "env_id": env_id,
        "episodes": episodes,
        "seed": seed,
        "max_steps": limit,
        "command": command,
    }
    for name in ("uniform_random", "zero_action"):
        torch.manual_seed(seed)
        env = make_env(env_id, seed=seed, max_episode_steps=limit)
        spec = env.action_spec
        policy = RandomPolicy(spec) if name == "uniform_random" else ZeroAction(spec.shape[-1])
        result = evaluate(env, policy, episodes=episodes, max_steps=limit)
        env.close()
        metrics = result.metrics()
        record[name] = {
            "return_mean": metrics["eval/return_mean"],
            "return_std": metrics["eval/return_std"],
            "length_mean": metrics["eval/episode_length_mean"],
            "returns": result.returns,
            "lengths": result.lengths,
        }
    return record


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("env_ids", nargs="+")
    parser.add_argument("--episodes", type=int, default=10)
    parser.add_argument("--seed", type=int, default=EVAL_SEED, help="the evaluation env's seed")
    parser.add_argument("--out", type=Path, help="write <out>/<env id>.json per task")
    args = parser.parse_args()
    for env_id in args.env_ids:
        try:
            check_env_id(env_id)
        except ConfigError as error:
            sys.stderr.write(f"trl-sac: error: {first_line(error)}\n")
            return 2
        command = shlex.join(["python", "benchmarks/random_policy.py", *sys.argv[1:]])
        record = floors(env_id, args.episodes, args.seed, command)
        text = json.dumps(record, indent=2)
        if args.out is not None:
            args.out.mkdir(parents=True, exist_ok=True)
            write_text_atomically(args.out / f"{env_id}.json", text + "\n")
        sys.stdout.write(
            f"{env_id}: uniform random {record['uniform_random']['return_mean']:.1f} "
            f"({record['uniform_random']['length_mean']:.0f} steps), zero action "
            f"{record['zero_action']['return_mean']:.1f} "
            f"({record['zero_action']['length_mean']:.0f} steps), {args.episodes} episodes\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
