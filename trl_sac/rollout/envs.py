"""Build a MuJoCo task as a TorchRL env with the transforms SAC needs."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

import gymnasium as gym
import numpy as np
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

from trl_sac import tasks  # noqa: F401  (registers trl-sac's own tasks with gymnasium)
from trl_sac.errors import ConfigError, first_line
from trl_sac.rollout.reward_terms import RewardTermsReader
from trl_sac.tasks.episode_limit import episode_limit


def make_env(
    env_id: str,
    *,
    seed: int,
    reward_scale: float = 1.0,
    max_episode_steps: int | None = None,
    device: torch.device | str = "cpu",
    render_size: tuple[int, int] | None = None,
    reward_terms: Sequence[str] = (),
) -> TransformedEnv:
    """A seeded gymnasium MuJoCo env whose policy-facing actions lie in [-1, 1].

    `episode_reward` sums the env's own reward: RewardSum sits before RewardScaling in
    the chain, so reported returns compare with published numbers while the replay
    buffer stores `reward_scale * reward`.

    Episodes last `max_episode_steps`, by default the task's (trl_sac/tasks/episode_limit.py).
    With `render_size` (width, height), `env.base_env.render()` returns an RGB frame;
    nothing is rendered unless it is called. Choose MUJOCO_GL first (trl_sac.evaluation.rendering).
    Each step also carries the named `reward_terms` from the env's info
    (trl_sac/rollout/reward_terms.py).
    """
    if max_episode_steps is None:
        max_episode_steps = episode_limit(env_id)
    rendering = {}
    if render_size is not None:
        width, height = render_size
        rendering = {"render_mode": "rgb_array", "width": width, "height": height}
    base = GymEnv(env_id, device=device, max_episode_steps=max_episode_steps, **rendering)
    if reward_terms:
        base.set_info_dict_reader(RewardTermsReader(reward_terms))
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


def frames_per_second(env: TransformedEnv) -> float:
    """The task's real-time frame rate (gymnasium's render_fps: one frame per env step)."""
    return float(env.base_env.metadata.get("render_fps", 30))


def check_env_id(env_id: str) -> None:
    """Fail with close matches when gymnasium does not know `env_id`."""
    if env_id in gym.registry:
        return
    matches = difflib.get_close_matches(str(env_id), list(gym.registry), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(matches)}?" if matches else ""
    raise ConfigError(f"unknown env.id {env_id!r}{hint}")


def check_trainable(env_id: str) -> None:
    """Refuse, in one line, a task this SAC cannot train: it acts through a bounded Box of
    actions and observes one flat vector (a 1-D Box)."""
    try:
        env = gym.make(env_id)
    except Exception as error:  # a missing extra, a broken registration: one line either way
        raise ConfigError(f"env.id={env_id} cannot be made: {first_line(error)}") from None
    action, observation = env.action_space, env.observation_space
    env.close()
    if not isinstance(action, gym.spaces.Box):
        raise ConfigError(
            f"env.id={env_id} has a {type(action).__name__} action space ({action}); "
            "trl-sac trains tasks with continuous actions (a Box)"
        )
    if len(action.shape) != 1 or not (
        np.isfinite(action.low).all() and np.isfinite(action.high).all()
    ):
        raise ConfigError(
            f"env.id={env_id} acts through {action}; trl-sac needs a 1-D Box with finite "
            "bounds (its tanh policy is scaled onto them)"
        )
    if not isinstance(observation, gym.spaces.Box) or len(observation.shape) != 1:
        raise ConfigError(
            f"env.id={env_id} observes {observation}; trl-sac needs one flat vector "
            "(a 1-D Box observation)"
        )
