"""A learner built from the tiny config, for exact-resume tests across processes."""

from __future__ import annotations

from pathlib import Path

import torch

from trl_sac.rollout.envs import make_env
from trl_sac.runs.snapshots import SnapshotStore
from trl_sac.training.learner import make_learner
from trl_sac.training.loop import seed_everything

from conftest import TINY, compose_config


def build_learner(variant: str, target_update: str, storage: str, run_dir: Path):
    overrides = [*TINY, f"loss={variant}", f"target_update={target_update}"]
    if target_update == "hard":
        overrides.append("target_update.interval=4")
    overrides += [f"replay_buffer.storage={storage}", f"run_dir={run_dir}"]
    cfg = compose_config("hopper", [*overrides, "collector.init_random_frames=0"])
    seed_everything(0)
    env = make_env("Hopper-v5", seed=0, reward_scale=5.0, max_episode_steps=50)
    learner = make_learner(cfg, env, run_dir, torch.device("cpu"))
    return env, learner.agent, learner.buffer, learner.state, learner.checkpoint


def gradient_steps(agent, buffer, state, count: int) -> None:
    for _ in range(count):
        state.window.add_losses(agent.gradient_step(buffer.sample()))
        agent.target_updater.step()
        state.updates += 1


def parameters_after_resume(variant, target_update, storage, run_dir, more_steps, out) -> None:
    """Runs in a fresh process: rebuild everything, load the snapshot, take more steps."""
    _, agent, buffer, state, checkpoint = build_learner(variant, target_update, storage, run_dir)
    SnapshotStore(run_dir, keep=2).restore_newest(checkpoint)
    gradient_steps(agent, buffer, state, more_steps)
    torch.save({"params": agent.loss.state_dict(), "updates": state.updates}, out)
