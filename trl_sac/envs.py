"""Build a MuJoCo task as a TorchRL env with the transforms SAC needs."""

from __future__ import annotations

import torch
from torchrl.envs import (
    ActionScaling,
    Compose,
    DoubleToFloat,
    GymEnv,
    RewardScaling,
    RewardSum,
    StepCounter,
    TransformedEnv,
)


def make_env(
    env_id: str,
    *,
    seed: int,
    reward_scale: float = 1.0,
    max_episode_steps: int = 1000,
    device: torch.device | str = "cpu",
) -> TransformedEnv:
    """A seeded gymnasium MuJoCo env whose policy-facing actions lie in [-1, 1].

    `episode_reward` sums the env's own reward: RewardSum sits before RewardScaling in
    the chain, so reported returns compare with published numbers while the replay
    buffer stores `reward_scale * reward`.
    """
    base = GymEnv(env_id, device=device, max_episode_steps=max_episode_steps)
    env = TransformedEnv(
        base,
        Compose(
            DoubleToFloat(),
            # The policy acts in [-1, 1] and the env sees its motors' range, as rllab's
            # normalize wrapper did for the paper (Humanoid's motors span +-0.4).
            ActionScaling(),
            StepCounter(),
            RewardSum(),
            RewardScaling(loc=0.0, scale=reward_scale),
        ),
    )
    env.set_seed(seed)
    return env


def observation_size(env: TransformedEnv) -> int:
    return env.observation_spec["observation"].shape[-1]
