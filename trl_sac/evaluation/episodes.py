"""Evaluation of the deterministic policy over complete episodes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from tensordict import TensorDictBase
from tensordict.nn import TensorDictModuleBase
from torchrl.envs import EnvBase
from torchrl.envs.utils import ExplorationType, set_exploration_type
from tqdm.auto import tqdm

from trl_sac.evaluation.video import Mp4Writer
from trl_sac.progress import bar_disabled
from trl_sac.rollout.envs import frames_per_second
from trl_sac.rollout.reward_terms import episode_terms


@dataclass(frozen=True)
class EvalResult:
    returns: list[float]
    lengths: list[int]
    # Per episode: whether the task's own rule ended it (the torso left its healthy
    # range: a fall, or a jump too high), not the time limit.
    terminated: list[bool] = field(default_factory=list)
    # Per reward term the env reports, its sum in each episode.
    terms: dict[str, list[float]] = field(default_factory=dict)

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
    env: EnvBase,
    policy: TensorDictModuleBase,
    *,
    episodes: int,
    max_steps: int,
    video: Path | None = None,
    progress: bool | None = False,
    terms: Sequence[str] = (),
) -> EvalResult:
    """Run `episodes` complete episodes with tanh of the policy mean.

    Returns are the env's own reward (`episode_reward` is summed before reward scaling).
    With `video`, the first episode is also written there as an mp4 (the env must have
    been made with a render_size): its reset frame and one frame per step. `terms` are
    reward terms the env carries from its info (make_env's `reward_terms`), summed
    per episode.
    """
    returns, lengths, terminated = [], [], []
    sums: dict[str, list[float]] = {term: [] for term in terms}
    with torch.no_grad(), set_exploration_type(ExplorationType.DETERMINISTIC):
        for index in tqdm(range(episodes), desc="episodes", disable=bar_disabled(progress)):
            if index == 0 and video is not None:
                episode = _recorded_rollout(env, policy, max_steps, video)
            else:
                episode = env.rollout(max_steps, policy, break_when_any_done=True)
            returns.append(episode["next", "episode_reward"][-1].item())
            lengths.append(episode.shape[0])
            terminated.append(bool(episode["next", "terminated"][-1].item()))
            for term, value in episode_terms(episode, terms).items():
                sums[term].append(value)
    return EvalResult(returns=returns, lengths=lengths, terminated=terminated, terms=sums)


def _recorded_rollout(
    env: EnvBase, policy: TensorDictModuleBase, max_steps: int, video: Path
) -> TensorDictBase:
    # Each state is rendered as the policy is about to act on it, and the last one after
    # the rollout: the episode is the same as an unrecorded one, and frames go to the
    # encoder as they come.
    render = env.base_env.render
    with Mp4Writer(video, fps=frames_per_second(env)) as writer:

        def act(tensordict: TensorDictBase) -> TensorDictBase:
            writer.add(render())
            return policy(tensordict)

        episode = env.rollout(max_steps, act, break_when_any_done=True)
        writer.add(render())
    return episode
