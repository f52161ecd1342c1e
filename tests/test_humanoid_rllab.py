"""The rllab humanoid: layout, seeding, each reward term by hand, termination, time limit."""

from __future__ import annotations

import ctypes.util
import os
import subprocess
import sys

import gymnasium as gym
import imageio.v3 as iio
import mujoco
import numpy as np
import pytest
import torch

import trl_sac.tasks  # noqa: F401  (registers HumanoidRllab-v0)
from trl_sac.rollout.envs import make_env

from conftest import REPO

ENV_ID = "HumanoidRllab-v0"
NQ, NV, NBODY = 28, 27, 14  # free torso (7 + 6) and 21 hinges; 13 bodies and the world


def test_action_and_observation_layout():
    env = gym.make(ENV_ID)
    obs, _ = env.reset(seed=0)
    data = env.unwrapped.data
    assert env.action_space.shape == (21,)
    assert np.allclose(env.action_space.low, -0.4) and np.allclose(env.action_space.high, 0.4)
    assert obs.shape == env.observation_space.shape == (NQ + NV + 6 * NBODY + 3,)
    assert np.array_equal(obs[:NQ], data.qpos)
    assert np.array_equal(obs[NQ : NQ + NV], data.qvel)
    contact = obs[NQ + NV : NQ + NV + 6 * NBODY]
    assert np.array_equal(contact, np.clip(data.cfrc_ext, -1, 1).ravel())
    assert np.array_equal(obs[-3:], data.subtree_com[1])
    assert 1.35 < obs[2] < 1.45, "the torso starts 1.4 above the floor"
    assert gym.spec(ENV_ID).max_episode_steps == 1000
    unwrapped = env.unwrapped
    assert unwrapped.frame_skip == 4 and unwrapped.model.opt.timestep == 0.002
    assert unwrapped.model.opt.integrator == mujoco.mjtIntegrator.mjINT_RK4


def test_trl_sac_env_presents_actions_in_unit_range():
    env = make_env(ENV_ID, seed=0)
    assert env.action_spec.shape == (21,)
    assert torch.equal(env.action_spec.space.high, torch.ones(21))
    assert env.observation_spec["observation"].shape == (142,)


def test_reset_is_deterministic_given_the_seed():
    first, _ = gym.make(ENV_ID).reset(seed=7)
    again, _ = gym.make(ENV_ID).reset(seed=7)
    other, _ = gym.make(ENV_ID).reset(seed=8)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)
    qpos0 = gym.make(ENV_ID).unwrapped.init_qpos
    # Noise N(0, 0.01) on joint positions: small, but present.
    assert 0 < np.abs(first[:NQ] - qpos0).max() < 0.06


def com_velocity_by_hand(model, data) -> np.ndarray:
    """Mass-weighted mean of every body's centre-of-mass velocity (rllab's body_comvels)."""
    momentum, mass = np.zeros(3), 0.0
    velocity = np.zeros(6)
    for body in range(1, model.nbody):
        mujoco.mj_objectVelocity(model, data, mujoco.mjtObj.mjOBJ_BODY, body, velocity, 0)
        momentum += model.body_mass[body] * velocity[3:]
        mass += model.body_mass[body]
    return momentum / mass


def test_each_reward_term_matches_a_hand_computation():
    env = gym.make(ENV_ID)
    env.reset(seed=1)
    action = np.linspace(-0.4, 0.4, 21)
    for _ in range(20):  # the feet start 0.1 above the floor and land after about 12 steps
        obs, reward, terminated, _, info = env.step(action)
    model, data = env.unwrapped.model, env.unwrapped.data
    velocity = com_velocity_by_hand(model, data)
    contact = np.clip(data.cfrc_ext, -1, 1).ravel()
    assert np.abs(data.cfrc_ext).max() > 1, "landing forces exceed the clip"
    assert np.array_equal(obs[NQ + NV : NQ + NV + 6 * NBODY], contact)

    assert info["reward_forward"] == pytest.approx(velocity[0], rel=1e-6, abs=1e-9)
    assert info["reward_alive"] == 0.2
    assert info["cost_ctrl"] == pytest.approx(0.5 * 1e-3 * np.sum((action / 0.4) ** 2))
    assert info["cost_impact"] == pytest.approx(0.5 * 1e-5 * np.sum(contact**2))
    assert info["cost_vel_deviation"] == pytest.approx(
        0.5 * 1e-2 * (velocity[1] ** 2 + velocity[2] ** 2), rel=1e-6
    )
    assert np.any(contact != 0), "the feet should be touching the floor"
    expected = (
        velocity[0] + 0.2 - info["cost_ctrl"] - info["cost_impact"] - info["cost_vel_deviation"]
    )
    assert reward == pytest.approx(expected, rel=1e-6)
    assert not terminated


def test_random_policy_falls_and_the_height_rule_terminates():
    env = gym.make(ENV_ID)
    env.reset(seed=0)
    env.action_space.seed(0)
    steps, terminated, truncated = 0, False, False
    while not (terminated or truncated):
        _, _, terminated, truncated, info = env.step(env.action_space.sample())
        steps += 1
    assert terminated and not truncated
    assert steps < 1000
    assert not 0.8 <= info["torso_height"] <= 2.0


def test_time_limit_truncates_at_1000_steps():
    env = gym.make(ENV_ID, terminate_when_unhealthy=False)
    env.reset(seed=0)
    zero = np.zeros(21)
    steps, truncated = 0, False
    while not truncated:
        _, _, terminated, truncated, _ = env.step(zero)
        steps += 1
        assert not terminated
    assert steps == 1000


@pytest.mark.skipif(
    ctypes.util.find_library("OSMesa") is None and not os.environ.get("CI"),
    reason="off-screen rendering on a CPU needs the OSMesa library (Debian: libosmesa6)",
)
def test_one_frame_renders_off_screen(tmp_path):
    output = tmp_path / "frame.png"
    env = {**os.environ, "MUJOCO_GL": "osmesa", "PYTHONWARNINGS": "ignore"}
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "render_reset.py"),
            ENV_ID,
            str(output),
            "--size",
            "96",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    frame = iio.imread(output)
    assert frame.shape == (96, 96, 3)
    assert frame.std() > 10, "the frame should show a scene, not a blank image"
