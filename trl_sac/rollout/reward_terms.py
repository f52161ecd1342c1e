"""Where an episode's return comes from: the reward terms a MuJoCo task reports in `info`.

gymnasium's locomotion tasks add up their reward from named terms (`reward_forward`,
`reward_ctrl`, `reward_contact`, `reward_survive`, ...) and report each one in the step's
info; trl-sac's rllab humanoid reports `reward_*` and `cost_*` the same way. Summed over an
episode, they tell a policy that walks from one that only survives. gymnasium's terms add
up to the reward; the rllab humanoid's `cost_*` terms are positive and subtracted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from tensordict import TensorDictBase
from torchrl.data import Composite, Unbounded
from torchrl.envs.gym_like import BaseInfoDictReader

from trl_sac import tasks  # noqa: F401  (registers trl-sac's own tasks with gymnasium)

TERM_PREFIXES = ("reward_", "cost_")


def reward_terms(env_id: str) -> tuple[str, ...]:
    """The scalar reward terms `env_id` reports in its step info, in the task's own order.

    Learned from one step of a fresh env with default arguments (10-50 ms here): the
    tasks declare the names nowhere else.
    """
    env = gym.make(env_id)
    try:
        env.reset(seed=0)
        *_, info = env.step(np.zeros(env.action_space.shape, dtype=env.action_space.dtype))
    finally:
        env.close()
    return tuple(
        name
        for name, value in info.items()
        if name.startswith(TERM_PREFIXES) and np.ndim(value) == 0
    )


class RewardTermsReader(BaseInfoDictReader):
    """Copies named scalar terms from a step's info into its tensordict.

    They are read as float64 and reach a rollout as float32, like the reward (make_env's
    DoubleToFloat). TorchRL's default reader expects numpy values; some tasks report Python
    floats, and a reset's info has no reward terms at all (they read 0 there).
    """

    def __init__(self, terms: Sequence[str]) -> None:
        self.terms = list(terms)
        self._spec = Composite(
            {term: Unbounded((), dtype=torch.float64) for term in self.terms}, shape=()
        )

    def __call__(self, info_dict: dict[str, Any], tensordict: TensorDictBase) -> TensorDictBase:
        for term in self.terms:
            value = torch.tensor(float(info_dict.get(term, 0.0)), dtype=torch.float64)
            tensordict.set(term, value.to(tensordict.device))
        return tensordict

    @property
    def info_spec(self) -> Composite:
        return self._spec


def episode_terms(episode: TensorDictBase, terms: Sequence[str]) -> dict[str, float]:
    """Each term summed over one episode's steps (the env's own units, before reward scaling)."""
    return {term: episode["next", term].sum().item() for term in terms}
