"""A recipe's command line is checked before Hydra runs it: each mistake is one line, exit 2.

In-process through check_command_line (what the recipes' decorator calls), and once per
kind of recipe as a user runs it, in a subprocess.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from trl_sac.errors import ConfigError
from trl_sac.training.command_line import ConfigSource, check_command_line

from conftest import REPO

TRL_SAC = ConfigSource("pkg://trl_sac.conf")


@pytest.mark.parametrize(
    ("config", "argv", "message"),
    [
        (
            "hopper",
            ["optim.lrr=0.001"],
            "optim.lrr is not a key of this config; did you mean optim.lr? "
            "(--help lists every key)",
        ),
        ("hopper", ["los=vnet"], "los is not a key of this config; did you mean loss?"),
        (
            "hopper",
            ["target_update.interval=500"],
            "target_update.interval exists only with target_update=hard: add target_update=hard",
        ),
        (
            "hopper",
            ["loss=vnte"],
            "loss=vnte is not an option: choose one of twinq, vnet; did you mean loss=vnet?",
        ),
        # The settings both variants share are not a variant.
        ("hopper", ["loss=common"], "loss=common is not an option: choose one of twinq, vnet"),
        ("train", [], "env.id has no value: set env.id=... (a gymnasium task, e.g. env.id="),
        ("hopper", ["seed=0,1"], "seed=0,1 gives several values: add --multirun (-m)"),
        ("hopper", ["optim.lr=[1"], "cannot read 'optim.lr=[1'"),
        ("train", ["env.id=Hoper-v5"], "unknown env.id 'Hoper-v5'; did you mean Hopper-v5"),
        ("hopper", ["-m", "seed=0,1", "--cfg", "job"], "--cfg prints one config"),
        ("compare", ["seed=0,1", "--cfg", "job"], "--cfg prints one config: give seed=0,1 one"),
        (
            "hopper",
            ["env.max_episode_steps=null"],
            "env.max_episode_steps must be a number of steps, got null (leave it out for the "
            "task's 1000)",
        ),
        (
            "hopper",
            ["collector.total_frames=3000"],
            "collector.total_frames=3000 is not more than collector.init_random_frames=5000",
        ),
        # Every value of a sweep is checked, not only the first: here the second.
        (
            "compare",
            ["collector.total_frames=6000", "loss=vnet,twinqq"],
            "loss=twinqq is not an option: choose one of twinq, vnet; did you mean loss=twinq?",
        ),
        (
            "compare",
            ["collector.total_frames=6000", "seed=0,1", "optim.batch_size=16,2000000"],
            "optim.batch_size=2000000 is larger than replay_buffer.size=1000000",
        ),
        # compare.yaml's own sweep (vnet, twinq x 3 seeds) is checked with the command line.
        (
            "compare",
            ["collector.total_frames=4000"],
            "collector.total_frames=4000 is not more than collector.init_random_frames=5000",
        ),
    ],
)
def test_a_mistake_on_the_command_line_is_one_clear_line(config, argv, message):
    with pytest.raises(ConfigError) as error:
        check_command_line(config, TRL_SAC, argv)
    assert str(error.value).startswith(message), str(error.value)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("config", "argv"),
    [
        ("hopper", ["loss=vnet", "target_update=hard", "seed=3"]),
        ("train", ["env.id=Reacher-v5", "env.max_episode_steps=20"]),
        ("hopper", ["-m", "seed=0,1", "collector.total_frames=6000"]),
        ("compare", ["collector.total_frames=6000", "seed=0,1", "jobs=2"]),
        ("train", ["--cfg", "job"]),  # printing a config with no env.id is allowed
        # Sweeps Hydra's sweepers enumerate or sample themselves.
        ("compare", ["collector.total_frames=6000", "target_update=glob(*)"]),
        ("compare", ["collector.total_frames=6000", "optim.lr=interval(0.0001,0.001)"]),
        # The command line's value replaces the config's own sweep of the same key.
        (
            "compare",
            [
                "collector.total_frames=6000",
                "target_update=hard",
                "target_update.interval=500",
                "seed=0",
            ],
        ),
    ],
)
def test_a_command_line_hydra_and_trl_sac_accept_passes(config, argv):
    check_command_line(config, TRL_SAC, argv)


def run_recipe_command(recipe: str, *argv: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(REPO / "recipes" / f"{recipe}.py"), *argv],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("recipe", "argv", "line"),
    [
        ("train", ["optim.lrr=1"], "trl-sac: error: optim.lrr is not a key of this config"),
        ("compare", ["loss=common"], "trl-sac: error: loss=common is not an option"),
        (
            "compare",
            ["collector.total_frames=3000", "seed=0,1"],
            "trl-sac: error: collector.total_frames=3000 is not more than",
        ),
    ],
)
def test_a_recipe_refuses_a_bad_command_in_one_line_and_writes_nothing(
    tmp_path, recipe, argv, line
):
    result = run_recipe_command(recipe, *argv, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(line), result.stderr
    assert not list(tmp_path.iterdir())  # no run dir, no Hydra log, no sweep dir


@pytest.mark.e2e
def test_help_offers_only_the_options_a_user_chooses(tmp_path):
    result = run_recipe_command("hopper", "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    groups = result.stdout.split("== Configuration groups ==")[1].split("== Config ==")[0]
    assert "loss: twinq, vnet" in groups
    assert "common" not in groups
