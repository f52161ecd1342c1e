"""Check a composed config and derive the values that depend on the machine or the variant."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

import torch
from omegaconf import DictConfig

from trl_sac.devices import resolve_device
from trl_sac.errors import ConfigError
from trl_sac.rollout.envs import check_env_id
from trl_sac.rollout.replay_buffer import STORAGES

# Each logger backend and the module it needs (csv needs nothing beyond the standard library).
LOGGER_BACKENDS = {"csv": None, "tensorboard": "tensorboard", "wandb": "wandb"}


@dataclass(frozen=True)
class RunSettings:
    """Values derived from the config once, at start-up; the config itself is never mutated."""

    device: torch.device
    reward_scale: float


def resolve_settings(cfg: DictConfig) -> RunSettings:
    """Validate every value a run depends on, then derive device and reward scale."""
    check_env_id(cfg.env.id)
    _check_positive("collector.total_frames", cfg.collector.total_frames)
    _check_positive("collector.frames_per_batch", cfg.collector.frames_per_batch)
    _check_non_negative("collector.init_random_frames", cfg.collector.init_random_frames)
    _check_positive("optim.batch_size", cfg.optim.batch_size)
    _check_positive("optim.lr", cfg.optim.lr)
    _check_positive("optim.utd_ratio", cfg.optim.utd_ratio)
    _check_positive("replay_buffer.size", cfg.replay_buffer.size)
    _check_positive("eval.every_frames", cfg.eval.every_frames)
    _check_non_negative("eval.episodes", cfg.eval.episodes)
    _check_positive("logger.every_frames", cfg.logger.every_frames)
    if cfg.optim.batch_size > cfg.replay_buffer.size:
        raise ConfigError(
            f"optim.batch_size={cfg.optim.batch_size} is larger than "
            f"replay_buffer.size={cfg.replay_buffer.size}"
        )
    if not cfg.network.hidden_sizes or min(cfg.network.hidden_sizes) <= 0:
        raise ConfigError(
            f"network.hidden_sizes must be a non-empty list of positive sizes, "
            f"got {list(cfg.network.hidden_sizes)}"
        )
    check_logger_backend(cfg.logger.backend)
    if cfg.eval.video:
        if len(cfg.eval.video_size) != 2 or min(cfg.eval.video_size) <= 0:
            raise ConfigError(
                f"eval.video_size must be [width, height], got {list(cfg.eval.video_size)}"
            )
    device = resolve_device(cfg.device)
    if cfg.cudagraphs and device.type != "cuda":
        raise ConfigError(f"cudagraphs=true needs a CUDA device, and this run is on {device}")
    _check_positive("snapshot.every_frames", cfg.snapshot.every_frames)
    _check_positive("snapshot.keep", cfg.snapshot.keep)
    if cfg.replay_buffer.storage not in STORAGES:
        raise ConfigError(
            f"replay_buffer.storage={cfg.replay_buffer.storage!r} is not one of "
            f"{', '.join(STORAGES)}"
        )
    if cfg.target_update.name == "hard":
        _check_positive("target_update.interval", cfg.target_update.interval)
    else:
        _check_positive("target_update.tau", cfg.target_update.tau)
        if cfg.target_update.tau > 1:
            raise ConfigError(f"target_update.tau must be at most 1, got {cfg.target_update.tau}")
    reward_scale = cfg.env.reward_scale
    if reward_scale is None:
        reward_scale = cfg.loss.default_reward_scale
    _check_positive("env.reward_scale", reward_scale)
    return RunSettings(device=device, reward_scale=float(reward_scale))


def check_logger_backend(backend: str) -> None:
    """Fail before the run starts when the backend is unknown or its extra is not installed."""
    if backend not in LOGGER_BACKENDS:
        raise ConfigError(f"logger.backend={backend!r} is not one of {', '.join(LOGGER_BACKENDS)}")
    module = LOGGER_BACKENDS[backend]
    if module is not None and importlib.util.find_spec(module) is None:
        raise ConfigError(
            f"logger.backend={backend} needs the {module} package: pip install 'trl-sac[{backend}]'"
        )


def _check_positive(name: str, value: float) -> None:
    if value is None or value <= 0:
        raise ConfigError(f"{name} must be positive, got {value}")


def _check_non_negative(name: str, value: float) -> None:
    if value is None or value < 0:
        raise ConfigError(f"{name} must be zero or positive, got {value}")
