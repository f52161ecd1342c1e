"""The envs: paper action dims, actions in [-1, 1], reward scaling, truncation vs termination."""

from __future__ import annotations

import pytest
import torch

from trl_sac.rollout.envs import make_env, observation_size

from conftest import PAPER_ACTION_DIMS, compose_config


@pytest.mark.parametrize("recipe", sorted(PAPER_ACTION_DIMS))
def test_paper_envs_have_paper_action_dims(recipe):
    cfg = compose_config(recipe)
    env = make_env(cfg.env.id, seed=0)
    action_size = env.action_spec.shape[-1]
    assert action_size == PAPER_ACTION_DIMS[recipe]
    assert observation_size(env) == env.base_env.observation_spec["observation"].shape[-1]
    # The policy acts in [-1, 1] whatever the motors' range.
    assert torch.equal(env.action_spec.space.low, -torch.ones(action_size))
    assert torch.equal(env.action_spec.space.high, torch.ones(action_size))
    td = env.reset()
    assert td["observation"].dtype == torch.float32
    env.close()


def test_policy_actions_are_mapped_onto_the_motor_range():
    env = make_env("Humanoid-v5", seed=0)
    assert torch.allclose(env.base_env.action_spec.space.high, torch.full((17,), 0.4))
    td = env.reset()
    td["action"] = torch.full((17,), 1.0)
    # ActionScaling's inverse is what the base env receives.
    assert torch.allclose(env.transform.inv(td.clone())["action"], torch.full((17,), 0.4))


def test_reward_scaling_scales_training_reward_but_not_reported_return():
    scaled = make_env("Hopper-v5", seed=3, reward_scale=5.0)
    plain = make_env("Hopper-v5", seed=3, reward_scale=1.0)
    torch.manual_seed(0)
    td_scaled, td_plain = scaled.reset(), plain.reset()
    raw_total = 0.0
    for action in torch.rand(20, 3) * 2 - 1:
        td_scaled["action"], td_plain["action"] = action, action
        out_scaled, out_plain = scaled.step(td_scaled), plain.step(td_plain)
        raw = out_plain["next", "reward"]
        raw_total += raw.item()
        assert torch.allclose(out_scaled["next", "reward"], 5.0 * raw)
        assert out_scaled["next", "episode_reward"].item() == pytest.approx(raw_total, rel=1e-5)
        if out_scaled["next", "done"].item():
            break
        td_scaled, td_plain = out_scaled["next"].clone(), out_plain["next"].clone()
    assert any(t.__class__.__name__ == "RewardScaling" for t in scaled.transform)


def test_time_limit_truncates_without_terminating():
    env = make_env("HalfCheetah-v5", seed=0, max_episode_steps=7)
    rollout = env.rollout(100, break_when_any_done=True)
    assert rollout.shape[0] == 7
    last = rollout[-1]["next"]
    assert last["truncated"].item() and last["done"].item()
    assert not last["terminated"].item()
    assert not rollout["next", "done"][:-1].any()
    assert rollout["next", "step_count"][-1].item() == 7


def test_falling_hopper_terminates_before_the_time_limit():
    env = make_env("Hopper-v5", seed=0)
    torch.manual_seed(0)
    rollout = env.rollout(1000, break_when_any_done=True)
    assert rollout.shape[0] < 1000
    assert rollout[-1]["next", "terminated"].item()
    assert not rollout[-1]["next", "truncated"].item()


def test_same_seed_same_start_and_eval_seed_differs():
    first = make_env("Hopper-v5", seed=11).reset()["observation"]
    again = make_env("Hopper-v5", seed=11).reset()["observation"]
    other = make_env("Hopper-v5", seed=11 + 1_000_003).reset()["observation"]
    assert torch.equal(first, again)
    assert not torch.equal(first, other)
