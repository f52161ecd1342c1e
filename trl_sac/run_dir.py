"""The run directory: its layout, and the guard that keeps a finished run from being overwritten."""

from __future__ import annotations

from pathlib import Path

import torch
from omegaconf import DictConfig, OmegaConf

from trl_sac.errors import ConfigError

CONFIG_FILE = "config.yaml"
METRICS_DIR = "metrics"
WEIGHTS_FILE = "weights.pt"


def prepare_run_dir(cfg: DictConfig) -> Path:
    """Create `cfg.run_dir`, refuse one that already holds metrics, save the resolved config."""
    run_dir = Path(cfg.run_dir)
    if (run_dir / METRICS_DIR).exists():
        raise ConfigError(
            f"run_dir {run_dir} already holds a run; choose another run_dir= or seed="
        )
    run_dir.mkdir(parents=True, exist_ok=True)
    OmegaConf.save(cfg, run_dir / CONFIG_FILE, resolve=True)
    return run_dir


def save_weights(run_dir: Path, state: dict) -> Path:
    """Write `state` (state_dicts only) atomically: a partial file never replaces a good one."""
    path = run_dir / WEIGHTS_FILE
    partial = path.with_suffix(".partial")
    torch.save(state, partial)
    partial.replace(path)
    return path
