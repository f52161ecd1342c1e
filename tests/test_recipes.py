"""Recipes run as a user runs them (a subprocess) on a tiny budget and fill their run dir.

One smoke run per mechanism: a paper task's recipe, the generic recipe with env.id, trl-sac's
own task (registered when an env is built), and a new task's recipe outside the package.
Every recipe's composed config is checked in test_config.py.
"""

from __future__ import annotations

import csv
import subprocess
import sys

import pytest
import torch
from omegaconf import OmegaConf

from conftest import TINY, run_recipe


@pytest.mark.e2e
@pytest.mark.parametrize("recipe", ["hopper", "train", "humanoid_rllab"])
def test_recipe_smoke_run_fills_the_run_dir(tmp_path, recipe):
    run_dir = tmp_path / recipe
    extra = ["env.id=Swimmer-v5"] if recipe == "train" else []
    result = run_recipe(recipe, *TINY, *extra, f"run_dir={run_dir}")
    assert result.returncode == 0, result.stderr[-3000:]
    # trl-sac's own lines only: no TorchRL storage announcement.
    assert "LazyTensorStorage" not in result.stderr + result.stdout

    assert (run_dir / "config.yaml").is_file()
    for namespace in ("train", "eval", "time"):
        with (run_dir / "metrics" / f"{namespace}.csv").open() as file:
            rows = list(csv.DictReader(file))
        assert rows and int(rows[-1]["frames"]) == 240
    weights = torch.load(run_dir / "weights.pt", weights_only=True)
    assert weights["frames"] == 240


NEW_TASK_ENV = """\
defaults:
  - generic
  - _self_

id: Swimmer-v5
paper_reward_scale: 5.0
"""
NEW_TASK_CONFIG = """\
defaults:
  - train
  - override env: swimmer
  - _self_

hydra:
  searchpath:
    - pkg://trl_sac.conf
"""
NEW_TASK_RECIPE = '''\
"""Train SAC on Swimmer-v5."""

from omegaconf import DictConfig

from trl_sac import recipe, run


@recipe("swimmer", config_path="conf")
def main(cfg: DictConfig) -> None:
    run(cfg)


if __name__ == "__main__":
    main()
'''


@pytest.mark.e2e
def test_a_new_task_needs_a_recipe_and_an_env_file_outside_the_package(tmp_path):
    """The README's "add a task" recipe, written where a user keeps their own code."""
    (tmp_path / "conf" / "env").mkdir(parents=True)
    (tmp_path / "conf" / "env" / "swimmer.yaml").write_text(NEW_TASK_ENV)
    (tmp_path / "conf" / "swimmer.yaml").write_text(NEW_TASK_CONFIG)
    (tmp_path / "swimmer.py").write_text(NEW_TASK_RECIPE)
    run_dir = tmp_path / "run"
    result = subprocess.run(
        [sys.executable, str(tmp_path / "swimmer.py"), "loss=vnet", *TINY, f"run_dir={run_dir}"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    saved = OmegaConf.load(run_dir / "config.yaml")
    assert saved.env.id == "Swimmer-v5" and saved.loss.name == "vnet"
    assert (run_dir / "weights.pt").is_file()


@pytest.mark.e2e
def test_tensorboard_backend_writes_events_beside_the_csv(tmp_path):
    pytest.importorskip("tensorboard")
    run_dir = tmp_path / "tb"
    result = run_recipe("hopper", *TINY, "logger.backend=tensorboard", f"run_dir={run_dir}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert list((run_dir / "tensorboard").glob("events.out.tfevents.*"))
    assert (run_dir / "metrics" / "train.csv").is_file()
