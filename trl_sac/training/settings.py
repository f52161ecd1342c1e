"""Check a composed config and derive the values that depend on the machine or the variant."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

import torch
from omegaconf import DictConfig

from trl_sac.devices import resolve_device
from trl_sac.errors import ConfigError
from trl_sac.rollout.envs import check_env_id, check_trainable

# Each logger backend and the module it needs (csv needs nothing beyond the standard library).
LOGGER_BACKENDS = {"csv": None, "tensorboard": "tensorboard", "wandb": "wandb"}


@dataclass(frozen=True)
class RunSettings:
    """Values derived from the config once, at start-up; the config itself is never mutated."""

    device: torch.device
    reward_scale: float


def resolve_settings(cfg: DictConfig) -> RunSettings:
    """Derive device and reward scale from a config `typed_config` has checked, after the
    checks that depend on this machine: the task, the logger's extra, the device."""
    check_env_id(cfg.env.id)
    check_trainable(cfg.env.id)
    check_logger_backend(cfg.logger.backend)
    device = resolve_device(cfg.device)
    if cfg.cudagraphs and device.type != "cuda":
        raise ConfigError(f"cudagraphs=true needs a CUDA device, and this run is on {device}")
    reward_scale = cfg.env.reward_scale
    if reward_scale is None:
        reward_scale = cfg.loss.default_reward_scale
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
