"""Shared helpers: Hydra composition (what users run) and tiny-budget overrides."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_module
from omegaconf import DictConfig

# The tests' networks are tiny: one thread each is faster, and the subprocesses some tests
# start do not contend for the cores. Set before any test module imports torch.
os.environ.setdefault("OMP_NUM_THREADS", "1")

REPO = Path(__file__).resolve().parents[1]
RECIPES = ["hopper", "walker2d", "halfcheetah", "ant", "humanoid", "humanoid_rllab"]
PAPER_ACTION_DIMS = {
    "hopper": 3,
    "walker2d": 6,
    "halfcheetah": 6,
    "ant": 8,
    "humanoid": 17,
    "humanoid_rllab": 21,
}

# A run of a few hundred frames with small networks: seconds on a CPU.
TINY = [
    "device=cpu",
    "progress=false",
    "collector.total_frames=240",
    "collector.init_random_frames=80",
    "optim.batch_size=16",
    "replay_buffer.size=1000",
    "network.hidden_sizes=[32,32]",
    "eval.every_frames=120",
    "eval.episodes=1",
    "logger.every_frames=40",
    "env.max_episode_steps=50",
]


def compose_config(
    config_name: str = "hopper",
    overrides: list[str] | None = None,
    *,
    return_hydra_config: bool = False,
) -> DictConfig:
    with initialize_config_module("trl_sac.conf", version_base="1.3"):
        return compose(
            config_name=config_name,
            overrides=list(overrides or []),
            return_hydra_config=return_hydra_config,
        )


def run_recipe(
    recipe: str, *overrides: str, timeout: float = 300, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONWARNINGS": "ignore", **(env or {})}
    return subprocess.run(
        [sys.executable, str(REPO / "recipes" / f"{recipe}.py"), *overrides],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env=env,
    )


@pytest.fixture
def tiny_cfg(tmp_path):
    def make(config_name: str = "hopper", *overrides: str) -> DictConfig:
        return compose_config(config_name, [*TINY, f"run_dir={tmp_path / 'run'}", *overrides])

    return make
