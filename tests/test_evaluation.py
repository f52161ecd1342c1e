"""Evaluation: complete episodes with the deterministic policy on a seeded env of its own."""

from __future__ import annotations

import pytest
import torch

from trl_sac.evaluation.episodes import evaluate
from trl_sac.rollout.envs import make_env, observation_size
from trl_sac.sac.networks import make_actor


def make_cheetah_actor(env):
    torch.manual_seed(0)
    return make_actor(
        observation_size(env), env.action_spec, hidden_sizes=[16], log_std_min=-20, log_std_max=2
    )


def test_evaluation_runs_complete_episodes_up_to_the_time_limit():
    env = make_env("HalfCheetah-v5", seed=5, max_episode_steps=15)
    result = evaluate(env, make_cheetah_actor(env), episodes=3, max_steps=15)
    assert result.lengths == [15, 15, 15]
    assert len(result.returns) == 3
    metrics = result.metrics()
    assert metrics["eval/return_mean"] == pytest.approx(sum(result.returns) / 3)
    assert metrics["eval/episode_length_mean"] == 15


def test_evaluation_stops_at_termination():
    env = make_env("Hopper-v5", seed=0)
    result = evaluate(env, make_cheetah_actor(env), episodes=2, max_steps=1000)
    assert all(length < 1000 for length in result.lengths)


def test_evaluation_is_deterministic_given_the_env_seed():
    first_env = make_env("HalfCheetah-v5", seed=5, max_episode_steps=15)
    actor = make_cheetah_actor(first_env)
    first = evaluate(first_env, actor, episodes=2, max_steps=15)
    torch.manual_seed(123)  # the global RNG must not matter: no action is sampled
    second_env = make_env("HalfCheetah-v5", seed=5, max_episode_steps=15)
    second = evaluate(second_env, actor, episodes=2, max_steps=15)
    assert first.returns == second.returns
