"""What learns, built from a run's config: the agent, its replay buffer, the loop's state,
and the checkpoint that snapshots them together."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import torch
from omegaconf import DictConfig
from torchrl.checkpoint import Checkpoint
from torchrl.data import TensorDictReplayBuffer
from torchrl.envs import EnvBase

from trl_sac.rollout.env_state import TrainingEnvState
from trl_sac.rollout.envs import observation_size
from trl_sac.rollout.replay_buffer import make_replay_buffer, snapshot_adapter
from trl_sac.runs.snapshots import make_checkpoint
from trl_sac.sac.agent import Agent, make_agent
from trl_sac.training.run_state import RunState


class Learner(NamedTuple):
    agent: Agent
    buffer: TensorDictReplayBuffer
    state: RunState
    checkpoint: Checkpoint
    # The training env's part of the snapshots: the collector attaches to it once built.
    train_env: TrainingEnvState


def make_learner(cfg: DictConfig, env: EnvBase, run_dir: Path, device: torch.device) -> Learner:
    """`env` gives the observation size and action spec. The training env joins the
    snapshots through `train_env` (the evaluation env has nothing to save: each evaluation
    reseeds it); the buffer joins them unless `snapshot.replay_buffer` is off."""
    agent = make_agent(
        cfg, observation_size=observation_size(env), action_spec=env.action_spec, device=device
    )
    buffer = make_replay_buffer(
        cfg.replay_buffer, batch_size=cfg.optim.batch_size, device=device, run_dir=run_dir
    )
    state = RunState(learning_starts_at=cfg.collector.init_random_frames, device=device)
    train_env = TrainingEnvState()
    checkpoint = make_checkpoint(
        agent,
        state,
        buffer if cfg.snapshot.replay_buffer else None,
        snapshot_adapter(cfg.replay_buffer),
        envs={"train_env": train_env},
    )
    return Learner(agent, buffer, state, checkpoint, train_env)
