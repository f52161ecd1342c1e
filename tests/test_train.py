"""End-to-end training on a tiny budget, the run directory, and bad input."""

from __future__ import annotations

import csv
import importlib.util
import math
import os
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch
from omegaconf import OmegaConf

from trl_sac import run, train

from conftest import TINY, compose_config, run_recipe


def read_csv(path):
    with path.open() as file:
        return list(csv.DictReader(file))


@pytest.mark.parametrize("variant", ["twinq", "vnet"])
@pytest.mark.parametrize("target_update", ["soft", "hard"])
def test_both_losses_and_both_target_updates_train_end_to_end(tiny_cfg, variant, target_update):
    cfg = tiny_cfg("hopper", f"loss={variant}", f"target_update={target_update}")
    final_return = train(cfg)

    run_dir = cfg.run_dir
    assert math.isfinite(final_return)
    saved = OmegaConf.load(f"{run_dir}/config.yaml")
    assert saved.loss.name == variant and saved.optim.utd_ratio == (
        4 if target_update == "hard" else 1
    )

    metrics = Path(run_dir) / "metrics"
    train_rows = read_csv(metrics / "train.csv")
    assert [int(row["frames"]) for row in train_rows] == [40, 80, 120, 160, 200, 240]
    learning_frames = 240 - 80
    assert int(float(train_rows[-1]["train/updates"])) == learning_frames * saved.optim.utd_ratio
    assert all(
        math.isfinite(float(train_rows[-1][f"train/{k}"])) for k in ("loss_actor", "loss_qvalue")
    )
    assert (train_rows[-1]["train/loss_value"] != "") is (variant == "vnet")
    eval_rows = read_csv(metrics / "eval.csv")
    assert [int(row["frames"]) for row in eval_rows] == [120, 240]
    assert float(eval_rows[-1]["eval/return_mean"]) == pytest.approx(final_return, rel=1e-6)
    assert len(read_csv(metrics / "time.csv")) == 6

    weights = torch.load(Path(run_dir) / "weights.pt", weights_only=True)
    assert weights["frames"] == 240
    assert set(weights) >= {"actor", "loss"}


def test_training_through_torchrls_own_loss_forward_still_works(tiny_cfg):
    cfg = tiny_cfg("hopper", "optim.fused_loss=false", "loss=vnet")
    train(cfg)
    rows = read_csv(Path(cfg.run_dir) / "metrics" / "train.csv")
    assert rows[-1]["train/loss_value"] and float(rows[-1]["train/updates"]) == 240 - 80


def test_reported_returns_are_unscaled(tiny_cfg):
    """v1 on Hopper trains on 5x rewards; train and eval returns stay in env units."""
    # Random actions all along but the last step (a run must make at least one update).
    cfg = tiny_cfg("hopper", "loss=vnet", "collector.init_random_frames=239")
    train(cfg)
    rows = read_csv(Path(cfg.run_dir) / "metrics" / "train.csv")
    returns = [float(r["train/episode_return"]) for r in rows if r["train/episode_return"]]
    lengths = [float(r["train/episode_length"]) for r in rows if r["train/episode_length"]]
    # A random Hopper earns roughly 1 per step (healthy reward), not 5.
    per_step = sum(returns) / sum(lengths)
    assert 0.3 < per_step < 2.0


def test_same_seed_gives_same_first_metrics(tmp_path, tiny_cfg):
    first = tiny_cfg("hopper", f"run_dir={tmp_path / 'a'}")
    second = tiny_cfg("hopper", f"run_dir={tmp_path / 'b'}")
    train(first)
    train(second)
    rows_a = read_csv(tmp_path / "a" / "metrics" / "train.csv")
    rows_b = read_csv(tmp_path / "b" / "metrics" / "train.csv")
    assert rows_a == rows_b


@pytest.mark.parametrize(
    "override,fragment",
    [
        ("env.id=Hoper-v5", "did you mean Hopper-v5"),
        ("collector.total_frames=0", "collector.total_frames must be positive"),
        ("collector.total_frames=-5", "collector.total_frames must be positive"),
        ("optim.batch_size=0", "optim.batch_size must be positive"),
        ("optim.batch_size=2000", "larger than replay_buffer.size=1000"),
        ("logger.backend=mlflow", "logger.backend='mlflow'"),
        ("device=tpu", "device='tpu'"),
        ("target_update=hard target_update.interval=0", "target_update.interval must be positive"),
        ("target_update.tau=1.5", "target_update.tau must be at most 1"),
        ("snapshot.every_frames=0", "snapshot.every_frames must be positive"),
        ("cudagraphs=true", "cudagraphs=true needs a CUDA device"),
        ("snapshot.keep=0", "snapshot.keep must be positive"),
        ("replay_buffer.storage=ssd", "replay_buffer.storage='ssd' is not one of tensor, memmap"),
        ("env.id=CartPole-v1", "env.id=CartPole-v1 has a Discrete action space (Discrete(2))"),
        ("env.id=ImageObservation-v0", "needs one flat vector (a 1-D Box observation)"),
        # Wrong types: refused before training, naming the key.
        ("collector.total_frames=abc", "collector.total_frames: Value 'abc' of type 'str'"),
        ("optim.batch_size=1.5", "optim.batch_size: Value '1.5' of type 'float'"),
        ("network.hidden_sizes=64", "network.hidden_sizes: "),
        ("eval.video=maybe", "eval.video: Value 'maybe' is not a valid bool"),
        ("+optim.momentum=0.9", "optim.momentum: Key 'momentum' not in"),
        # Out of range, including values a library would have accepted silently.
        ("loss.gamma=1.5", "loss.gamma must be at most 1, got 1.5"),
        ("loss.gamma=0", "loss.gamma must be positive"),
        ("seed=-1", "seed must be zero or positive"),
        ("seed=4294967296", "seed must be below 4294967296"),
        ("optim.lr=nan", "optim.lr must be a finite number"),
        ("network.hidden_sizes=[64,0]", "network.hidden_sizes entries must be at least 1"),
        ("network.log_std_min=3", "network.log_std_min=3.0 must be below network.log_std_max=2.0"),
        ("loss.target_entropy=high", "loss.target_entropy must be auto or a number"),
        ("loss.loss_function=huber", "loss.loss_function='huber' is not one of l2, l1, smooth_l1"),
        ("target_update=hard target_update.interval=null", "needs target_update.interval"),
    ],
)
def test_bad_input_exits_2_with_one_line(tiny_cfg, capsys, override, fragment):
    cfg = tiny_cfg("hopper", *override.split())
    with pytest.raises(SystemExit) as exit_info:
        run(cfg)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and fragment in err[0], err
    assert not Path(str(cfg.run_dir)).exists(), "refused before anything is written"


@pytest.mark.skipif(
    importlib.util.find_spec("wandb") is not None, reason="needs a machine without wandb"
)
def test_missing_logger_extra_is_reported_before_the_run_dir_is_used(tiny_cfg, capsys):
    cfg = tiny_cfg("hopper", "logger.backend=wandb")
    with pytest.raises(SystemExit) as exit_info:
        run(cfg)
    assert exit_info.value.code == 2
    assert "pip install 'trl-sac[wandb]'" in capsys.readouterr().err
    assert not Path(cfg.run_dir).exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a GPU")
def test_cuda_without_gpu_is_one_line(tiny_cfg, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run(tiny_cfg("hopper", "device=cuda"))
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "trl-sac: error: device=cuda but no CUDA GPU is visible; use device=cpu or auto"
    ]


@pytest.mark.e2e
def test_bad_input_from_the_command_line_is_one_line_and_leaves_nothing(tmp_path):
    result = run_recipe("train", "env.id=HalfCheeta-v5", f"run_dir={tmp_path / 'run'}")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "HalfCheetah-v5" in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    # Hydra had started its log in the run dir; a refused run leaves no directory behind.
    assert not (tmp_path / "run").exists()
    typo = run_recipe("hopper", "collector.total_frames=abc", f"run_dir={tmp_path / 'typo'}")
    assert typo.returncode == 2
    assert typo.stderr.strip().splitlines() == [
        "trl-sac: error: collector.total_frames: Value 'abc' of type 'str' could not be "
        "converted to Integer"
    ]
    assert not (tmp_path / "typo").exists()


def test_generic_recipe_without_env_id_says_so(tiny_cfg, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run(tiny_cfg("train"))
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "trl-sac: error: env.id has no value: set env.id=... "
        "(a gymnasium task, e.g. env.id=Swimmer-v5)"
    ]


class ImageObservation(gym.Env):
    """Continuous actions, but an image to observe: nothing trl-sac can flatten into its MLP."""

    action_space = gym.spaces.Box(-1.0, 1.0, (2,))
    observation_space = gym.spaces.Box(0, 255, (8, 8, 3), dtype=np.uint8)


gym.register("ImageObservation-v0", entry_point=ImageObservation)


def test_a_run_dir_that_cannot_be_created_is_one_line(tiny_cfg, tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(SystemExit) as exit_info:
        run(tiny_cfg("hopper", f"run_dir={blocker / 'run'}"))
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"trl-sac: error: run_dir {blocker / 'run'} cannot be created: {blocker} is not a directory"
    ]


def test_a_run_dir_that_cannot_be_written_is_one_line(tiny_cfg, tmp_path, capsys, monkeypatch):
    """As root permissions do not stop a write, so the probe's write itself is made to fail
    (as on a read-only filesystem); without root, a directory without write permission."""
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    if os.geteuid() == 0:

        def read_only(*args, **kwargs):
            raise OSError(30, "Read-only file system")

        monkeypatch.setattr("trl_sac.files.tempfile.TemporaryFile", read_only)
    with pytest.raises(SystemExit) as exit_info:
        run(tiny_cfg("hopper", f"run_dir={locked / 'run'}"))
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot be written" in err[0], err
    assert not (locked / "run").exists()


def test_a_new_task_trains_and_evaluates_episodes_of_its_own_length(tmp_path):
    """Reacher-v5 registers 50-step episodes; the generic recipe keeps them (not 1000)."""
    overrides = [item for item in TINY if not item.startswith("env.max_episode_steps")]
    cfg = compose_config("train", [*overrides, "env.id=Reacher-v5", f"run_dir={tmp_path}"])
    run(cfg)
    with (tmp_path / "metrics" / "eval.csv").open() as file:
        lengths = {float(row["eval/episode_length_mean"]) for row in csv.DictReader(file)}
    assert lengths == {50.0}
    assert OmegaConf.load(tmp_path / "config.yaml").env.max_episode_steps == 50
