"""Config composition through Hydra's compose API, for every recipe x loss x target update."""

from __future__ import annotations

import itertools

import gymnasium as gym
import pytest
from hydra.core.hydra_config import HydraConfig
from omegaconf import OmegaConf

from trl_sac.errors import ConfigError
from trl_sac.runs.layout import flatten_config
from trl_sac.runs.naming import NAMED_BY_PARENTS, NAMED_BY_RUN_PATH, overrides_dirname
from trl_sac.training.schema import reference_markdown, reference_table, typed_config
from trl_sac.training.settings import resolve_settings

from conftest import RECIPES, REPO, compose_config, run_recipe

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


@pytest.mark.parametrize("recipe", RECIPES)
@pytest.mark.parametrize("target_update", ["soft", "hard"])
def test_a_paper_task_gets_its_facts_however_it_is_named(recipe, target_update):
    variant = ["loss=vnet", f"target_update={target_update}"]
    by_recipe = compose_config(recipe, variant)
    env_id = by_recipe.env.id
    by_group = compose_config("train", [f"env={recipe}", *variant])
    by_id = compose_config("train", [f"env.id={env_id}", *variant])
    expected = OmegaConf.to_container(by_recipe, resolve=True)
    assert OmegaConf.to_container(by_group, resolve=True) == expected
    assert OmegaConf.to_container(by_id, resolve=True) == expected


@pytest.mark.parametrize(
    ("overrides", "steps"),
    [
        # A task the paper did not train keeps the limit gymnasium registers for it.
        (["env.id=Reacher-v5"], 50),
        (["env.id=Pusher-v5"], 100),
        (["env.id=Swimmer-v5"], 1000),
        # The paper's tasks keep the paper's 1000 steps, however they are named.
        (["env.id=Hopper-v5"], 1000),
        (["env.id=HumanoidRllab-v0"], 1000),
        (["env=humanoid"], 1000),
        # The user's value wins.
        (["env.id=Reacher-v5", "env.max_episode_steps=20"], 20),
    ],
)
def test_episode_length_comes_from_the_task_unless_overridden(overrides, steps):
    cfg = typed_config(compose_config("train", ["run_dir=runs/x", *overrides]))
    assert cfg.env.max_episode_steps == steps


def test_a_task_that_registers_no_episode_limit_asks_for_one():
    env_id = "TrlSacTest/Unlimited-v0"
    if env_id not in gym.registry:
        swimmer = "gymnasium.envs.mujoco.swimmer_v5:SwimmerEnv"
        gym.register(env_id, entry_point=swimmer, max_episode_steps=None)
    with pytest.raises(ConfigError, match=rf"^env.id={env_id} registers no episode limit"):
        typed_config(compose_config("train", ["run_dir=runs/x", f"env.id={env_id}"]))
    cfg = typed_config(
        compose_config("train", ["run_dir=runs/x", f"env.id={env_id}", "env.max_episode_steps=300"])
    )
    assert cfg.env.max_episode_steps == 300


def test_the_paper_facts_of_humanoid_reach_the_generic_recipe():
    cfg = compose_config("train", ["env.id=Humanoid-v5", "loss=vnet", "target_update=hard"])
    assert resolve_settings(cfg).reward_scale == 20
    assert cfg.optim.utd_ratio == 1
    assert cfg.collector.total_frames == 10_000_000


def test_run_dir_names_keep_what_changes_the_experiment():
    overrides = [
        "seed=0",
        "loss=vnet",
        "env=walker2d",
        "optim.lr=0.001",
        "collector.total_frames=5000",
        "eval.every_frames=100",
        "device=cpu",
        "+network.extra=1",
    ]
    assert (
        overrides_dirname(overrides, NAMED_BY_PARENTS)
        == "+network.extra=1,loss=vnet,optim.lr=0.001,seed=0"
    )
    assert overrides_dirname(overrides, NAMED_BY_RUN_PATH) == "+network.extra=1,optim.lr=0.001"


@pytest.fixture
def hydra_app():
    """Compose as a Hydra app does, so run_dir sees the command line's overrides."""

    def compose(recipe: str, *overrides: str) -> str:
        cfg = compose_config(recipe, list(overrides), return_hydra_config=True)
        HydraConfig.instance().set_config(cfg)
        return cfg.run_dir

    yield compose
    HydraConfig.instance().cfg = None


def test_two_commands_of_different_experiments_never_share_a_run_dir(hydra_app):
    plain = hydra_app("hopper")
    assert plain == "runs/Hopper-v5/twinq-soft/seed0"
    # The same experiment, a longer budget and another device: the same run, resumed.
    assert hydra_app("hopper", "collector.total_frames=2000000", "device=cpu") == plain
    assert hydra_app("train", "env.id=Hopper-v5") == plain
    assert hydra_app("train", "env=hopper") == plain
    assert hydra_app("hopper", "optim.lr=0.001") == "runs/Hopper-v5/twinq-soft/seed0,optim.lr=0.001"
    assert hydra_app("hopper", "loss=vnet", "seed=2") == "runs/Hopper-v5/vnet-soft/seed2"


def test_explicit_reward_scale_wins_over_variant_default():
    cfg = compose_config("hopper", ["loss=vnet", "env.reward_scale=3"])
    assert resolve_settings(cfg).reward_scale == 3


@pytest.mark.e2e
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


def test_the_configuration_reference_is_generated_from_the_schema():
    text = (REPO / "docs" / "configuration.md").read_text()
    table = text.split("<!-- schema -->\n")[1].split("<!-- /schema -->")[0]
    assert table == reference_markdown(), "regenerate: python -m trl_sac.training.schema"


def test_every_key_of_every_recipe_has_a_type_and_a_range_or_choices():
    keys = {row[0].strip("`"): row for row in reference_table()}
    for recipe in [*RECIPES, "train", "compare"]:
        overrides = ["env.id=Swimmer-v5"] if recipe == "train" else []
        cfg = compose_config(recipe, [*overrides, "run_dir=x"])
        flat = flatten_config(OmegaConf.to_container(cfg, resolve=False))
        assert set(flat) <= set(keys) | {key for key in flat if key.startswith("hydra")}, recipe
    numeric = [row for row in keys.values() if row[1] in ("int", "float", "int or null")]
    assert all(
        row[2]
        for row in numeric
        if row[0] not in ("`network.log_std_min`", "`network.log_std_max`")
    )


def test_the_slurm_launcher_is_configured_in_one_place():
    cfg = compose_config("compare", ["hydra/launcher=slurm"], return_hydra_config=True)
    launcher = cfg.hydra.launcher
    assert launcher._target_.endswith("SlurmLauncher")
    for key in (
        "partition",
        "account",
        "cpus_per_task",
        "mem_gb",
        "gpus_per_node",
        "timeout_min",
        "signal_delay_s",
        "max_num_timeout",
        "array_parallelism",
    ):
        assert key in launcher, key
    # Requeued at time limits (submitit's default, 0, would leave a long run short).
    assert launcher.max_num_timeout > 0
    # torch's threads follow the CPUs each job asks for.
    HydraConfig.instance().set_config(cfg)
    assert OmegaConf.to_container(launcher, resolve=True)["setup"] == [
        f"export OMP_NUM_THREADS={launcher.cpus_per_task}"
    ]
