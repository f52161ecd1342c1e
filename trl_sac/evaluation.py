"""Evaluation of the deterministic policy over complete episodes."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from tensordict.nn import TensorDictModuleBase
from torchrl.envs import EnvBase
from torchrl.envs.utils import ExplorationType, set_exploration_type


@dataclass(frozen=True)
class EvalResult:
    returns: list[float]
    lengths: list[int]

    def metrics(self) -> dict[str, float]:
        returns = torch.tensor(self.returns)
        return {
            "eval/return_mean": returns.mean().item(),
            "eval/return_std": returns.std(unbiased=False).item(),
            "eval/return_min": returns.min().item(),
            "eval/return_max": returns.max().item(),
            "eval/episode_length_mean": sum(self.lengths) / len(self.lengths),
        }


def evaluate(
    env: EnvBase, policy: TensorDictModuleBase, *, episodes: int, max_steps: int
) -> EvalResult:
    """Run `episodes` complete episodes with tanh of the policy mean.

    Returns are the env's own reward (`episode_reward` is summed before reward scaling).
    """
    returns, lengths = [], []
    with torch.no_grad(), set_exploration_type(ExplorationType.DETERMINISTIC):
        for _ in range(episodes):
            episode = env.rollout(max_steps, policy, break_when_any_done=True)
            returns.append(episode["next", "episode_reward"][-1].item())
            lengths.append(episode.shape[0])
    return EvalResult(returns=returns, lengths=lengths)
