"""The newest policy a run has saved: weights.pt or, while it runs, its newest snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import gymnasium as gym
import torch
import yaml
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException
from torchrl.checkpoint import Checkpoint
from torchrl.envs import EnvBase
from torchrl.modules import ProbabilisticActor

from trl_sac.errors import RunDirError, first_line
from trl_sac.rollout.envs import observation_size
from trl_sac.runs import integrity
from trl_sac.runs.layout import CONFIG_FILE, WEIGHTS_FILE
from trl_sac.runs.run_dir import saved_weights_frames
from trl_sac.runs.snapshots import snapshot_paths
from trl_sac.sac.agent import make_agent


@dataclass(frozen=True)
class TrainedPolicy:
    actor: ProbabilisticActor
    frames: int
    source: Path


def read_run_config(run_dir: Path) -> DictConfig:
    """The resolved config a run was trained with."""
    if not run_dir.is_dir():
        raise RunDirError(f"{run_dir} does not exist")
    path = run_dir / CONFIG_FILE
    if not path.is_file():
        raise RunDirError(f"{run_dir} is not a trl-sac run directory (no {CONFIG_FILE})")
    try:
        cfg = OmegaConf.load(path)
        # Fails on a config of another kind, or of a trl-sac too old to read.
        gym.spec(cfg.env.id)
        int(cfg.seed) + int(cfg.eval.seed_offset) + int(cfg.env.max_episode_steps)
        list(cfg.network.hidden_sizes)
    except (
        OSError,
        yaml.YAMLError,
        OmegaConfBaseException,
        gym.error.Error,
        AttributeError,
        TypeError,
        ValueError,
    ) as error:
        raise RunDirError(f"{path} is unreadable: {first_line(error)}") from None
    return cfg


def load_trained_policy(
    run_dir: Path, cfg: DictConfig, env: EnvBase, device: torch.device
) -> TrainedPolicy:
    """The run's policy at the most frames it has saved, from weights.pt or a snapshot.

    An unreadable weights.pt or snapshot is passed over for the next newest.
    """
    agent = make_agent(
        cfg, observation_size=observation_size(env), action_spec=env.action_spec, device=device
    )
    failures = []
    for frames, source in _candidates(run_dir):
        try:
            if source.name == WEIGHTS_FILE:
                weights = torch.load(source, map_location=device, weights_only=True)
                agent.actor.load_state_dict(weights["actor"])
            else:
                integrity.verify(source)
                Checkpoint(loss=agent.loss).load(source, components={"loss"}, map_location=device)
        except Exception as error:  # unreadable: say why, try the next newest
            failures.append(f"{source.name}: {first_line(error, limit=200)}")
            continue
        return TrainedPolicy(actor=agent.actor, frames=frames, source=source)
    detail = "; ".join(failures) if failures else f"no {WEIGHTS_FILE} and no snapshot"
    raise RunDirError(f"{run_dir} holds no readable policy ({detail})")


def _candidates(run_dir: Path) -> list[tuple[int, Path]]:
    """(frames, path) of weights.pt and each snapshot, most frames first; weights.pt wins a tie."""
    found = [(_snapshot_frames(path), 0, path) for path in snapshot_paths(run_dir)]
    weights = run_dir / WEIGHTS_FILE
    if weights.is_file():
        # Unreadable (None): still a candidate, last, so that its failure is reported.
        frames = saved_weights_frames(run_dir)
        found.append((-1 if frames is None else frames, 1, weights))
    return [(frames, path) for frames, _, path in sorted(found, reverse=True)]


def _snapshot_frames(path: Path) -> int:
    return int(path.name.rsplit("-", 1)[1])
