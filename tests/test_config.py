"""Config composition through Hydra's compose API, for every recipe x loss x target update."""

from __future__ import annotations

import itertools

import pytest
from omegaconf import OmegaConf

from trl_sac.settings import resolve_settings

from conftest import RECIPES, compose_config, run_recipe

PAPER_REWARD_SCALE = {
    "hopper": 5,
    "walker2d": 5,
    "halfcheetah": 5,
    "ant": 5,
    "humanoid": 20,
    "humanoid_rllab": 10,
}
PAPER_FRAMES = {
    "hopper": 1_000_000,
    "walker2d": 1_000_000,
    "halfcheetah": 3_000_000,
    "ant": 3_000_000,
    "humanoid": 10_000_000,
    "humanoid_rllab": 10_000_000,
}


@pytest.mark.parametrize(
    "recipe,loss,target_update",
    list(itertools.product(RECIPES, ["twinq", "vnet"], ["soft", "hard"])),
)
def test_recipe_composes_with_paper_values(recipe, loss, target_update):
    cfg = compose_config(recipe, [f"loss={loss}", f"target_update={target_update}"])
    OmegaConf.resolve(cfg)
    assert cfg.optim.lr == pytest.approx(3e-4)
    assert cfg.optim.batch_size == 256
    assert cfg.loss.gamma == pytest.approx(0.99)
    assert cfg.loss.loss_function == "l2"
    assert cfg.replay_buffer.size == 1_000_000
    assert list(cfg.network.hidden_sizes) == [256, 256]
    assert (cfg.network.log_std_min, cfg.network.log_std_max) == (-20, 2)
    assert cfg.collector.total_frames == PAPER_FRAMES[recipe]
    assert cfg.run_dir == f"runs/{cfg.env.id}/{loss}-{target_update}/seed0"

    settings = resolve_settings(cfg)
    expected_scale = PAPER_REWARD_SCALE[recipe] if loss == "vnet" else 1
    assert settings.reward_scale == expected_scale
    assert cfg.loss.fixed_alpha is (loss == "vnet")
    assert cfg.loss.value_network is (loss == "vnet")

    if target_update == "soft":
        assert cfg.target_update.tau == pytest.approx(0.005)
        assert cfg.optim.utd_ratio == 1
    else:
        assert cfg.target_update.interval == 1000
        assert cfg.optim.utd_ratio == (1 if recipe.startswith("humanoid") else 4)


def test_generic_recipe_takes_any_env_id():
    cfg = compose_config("train", ["env.id=Swimmer-v5", "loss=vnet", "target_update=hard"])
    OmegaConf.resolve(cfg)
    assert cfg.env.id == "Swimmer-v5"
    assert cfg.optim.utd_ratio == 4
    assert resolve_settings(cfg).reward_scale == 5


def test_explicit_reward_scale_wins_over_variant_default():
    cfg = compose_config("hopper", ["loss=vnet", "env.reward_scale=3"])
    assert resolve_settings(cfg).reward_scale == 3


def test_cfg_job_shows_every_key_results_depend_on():
    result = run_recipe("hopper", "--cfg", "job", "--resolve")
    assert result.returncode == 0, result.stderr
    cfg = OmegaConf.create(result.stdout)
    for key in [
        "seed",
        "device",
        "run_dir",
        "env.id",
        "env.reward_scale",
        "collector.total_frames",
        "collector.init_random_frames",
        "collector.frames_per_batch",
        "optim.lr",
        "optim.batch_size",
        "optim.utd_ratio",
        "replay_buffer.size",
        "network.hidden_sizes",
        "eval.every_frames",
        "eval.episodes",
        "logger.backend",
        "loss.name",
        "loss.gamma",
        "loss.loss_function",
        "target_update.name",
    ]:
        assert OmegaConf.select(cfg, key, default="<absent>") != "<absent>", key
