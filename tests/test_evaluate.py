"""python -m trl_sac.evaluation and evaluation videos, on a tiny trained run."""

from __future__ import annotations

import csv
import ctypes.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import imageio_ffmpeg
import pytest
import torch

from trl_sac import train
from trl_sac.errors import ConfigError
from trl_sac.evaluation import rendering
from trl_sac.evaluation.episodes import evaluate
from trl_sac.evaluation.evaluate import (
    EvaluateOptions,
    evaluate_run,
    main,
    parse_options,
    summary_text,
    terms_lines,
)
from trl_sac.evaluation.rendering import RenderingUnavailable, choose_gl_backend
from trl_sac.mujoco_gl import backend_problem
from trl_sac.rollout.envs import make_env
from trl_sac.rollout.reward_terms import episode_terms, reward_terms

from conftest import REPO, TINY, compose_config, run_recipe

needs_osmesa = pytest.mark.skipif(
    ctypes.util.find_library("OSMesa") is None and not os.environ.get("CI"),
    reason="off-screen rendering on a CPU needs the OSMesa library (Debian: libosmesa6)",
)


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory) -> Path:
    run_dir = tmp_path_factory.mktemp("evaluate") / "run"
    train(compose_config("hopper", [*TINY, f"run_dir={run_dir}", "seed=3"]))
    return run_dir


def copy_run(run_dir: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    return copy


def last_eval(run_dir: Path) -> dict[str, str]:
    with (run_dir / "metrics/eval.csv").open() as file:
        return list(csv.DictReader(file))[-1]


def frame_count(video: Path) -> int:
    return imageio_ffmpeg.count_frames_and_secs(str(video))[0]


def evaluate_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "trl_sac.evaluation", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
        env={**os.environ, "PYTHONWARNINGS": "ignore", **(env or {})},
    )


def test_evaluate_reproduces_the_runs_last_evaluation(trained_run: Path, tmp_path: Path) -> None:
    run_dir = copy_run(trained_run, tmp_path)
    evaluation = evaluate_run(run_dir, EvaluateOptions(), progress=False)
    # The run's own evaluation seed, episode count (1) and final weights: eval.csv's episode.
    assert len(evaluation.result.returns) == 1
    assert evaluation.policy.frames == 240 and evaluation.policy.source.name == "weights.pt"
    assert evaluation.result.returns[0] == pytest.approx(
        float(last_eval(run_dir)["eval/return_mean"]), rel=1e-6
    )
    record = json.loads(evaluation.record.read_text())
    assert record["frames"] == 240 and record["returns"] == evaluation.result.returns


def test_evaluate_runs_the_requested_number_of_complete_episodes(
    trained_run: Path, tmp_path: Path
) -> None:
    run_dir = copy_run(trained_run, tmp_path)
    evaluation = evaluate_run(run_dir, EvaluateOptions(episodes=4, seed=11), progress=False)
    assert len(evaluation.result.returns) == len(evaluation.result.lengths) == 4
    assert all(0 < length <= 50 for length in evaluation.result.lengths)  # max_episode_steps
    assert evaluation.seed == 11


def test_evaluate_splits_each_return_into_the_tasks_reward_terms(
    trained_run: Path, tmp_path: Path
) -> None:
    run_dir = copy_run(trained_run, tmp_path)
    evaluation = evaluate_run(run_dir, EvaluateOptions(episodes=3, seed=5), progress=False)
    result = evaluation.result
    assert list(result.terms) == ["reward_forward", "reward_ctrl", "reward_survive"]
    for index, episode_return in enumerate(result.returns):
        parts = [sums[index] for sums in result.terms.values()]
        assert sum(parts) == pytest.approx(episode_return, rel=1e-5, abs=1e-4)
        # Hopper pays 1 per healthy step, nothing on the step that ends it by a fall.
        fell = result.terminated[index]
        assert result.terms["reward_survive"][index] == result.lengths[index] - fell
        assert fell or result.lengths[index] == 50  # otherwise the time limit ended it
    record = json.loads(evaluation.record.read_text())
    assert record["terms"] == result.terms and record["terminated"] == result.terminated
    text = summary_text(evaluation)
    assert "per episode, mean: reward_forward " in text
    assert f"{sum(result.terminated)} of 3 episodes ended by the task's termination rule" in text


def test_the_paper_tasks_report_their_reward_terms() -> None:
    assert reward_terms("Ant-v5") == (
        "reward_forward",
        "reward_ctrl",
        "reward_contact",
        "reward_survive",
    )
    assert reward_terms("Humanoid-v5") == (
        "reward_survive",
        "reward_forward",
        "reward_ctrl",
        "reward_contact",
    )
    # rllab's humanoid: what it pays, then what it charges (subtracted from the reward).
    assert reward_terms("HumanoidRllab-v0") == (
        "reward_forward",
        "reward_alive",
        "cost_ctrl",
        "cost_impact",
        "cost_vel_deviation",
    )


@pytest.mark.parametrize(
    "env_id",
    ["Hopper-v5", "Walker2d-v5", "HalfCheetah-v5", "Ant-v5", "Humanoid-v5", "HumanoidRllab-v0"],
)
def test_the_reward_terms_add_up_to_each_steps_reward(env_id: str) -> None:
    """What the evaluation splits a return into is the whole reward, with rllab's costs
    subtracted, at every step of an episode of random actions."""
    terms = reward_terms(env_id)
    env = make_env(env_id, seed=4, max_episode_steps=30, reward_terms=terms)
    torch.manual_seed(4)
    steps = env.rollout(30)["next"]
    paid = sum(steps[term] for term in terms if term.startswith("reward_"))
    charged = sum((steps[term] for term in terms if term.startswith("cost_")), torch.zeros(1))
    torch.testing.assert_close(paid - charged, steps["reward"].squeeze(-1), rtol=1e-5, atol=1e-5)
    assert episode_terms(env.rollout(30), terms).keys() == set(terms)


def test_a_task_that_reports_no_reward_terms_is_evaluated_without_them() -> None:
    assert reward_terms("Pendulum-v1") == ()
    env = make_env("Pendulum-v1", seed=0, max_episode_steps=5)
    policy = lambda td: td.set("action", torch.zeros(env.action_spec.shape))  # noqa: E731
    result = evaluate(env, policy, episodes=2, max_steps=5)
    assert result.terms == {} and result.terminated == [False, False]
    assert terms_lines(result) == [
        "0 of 2 episodes ended by the task's termination rule, 2 at the time limit"
    ]


def test_a_run_trained_without_evaluations_still_gets_episodes(
    trained_run: Path, tmp_path: Path
) -> None:
    run_dir = copy_run(trained_run, tmp_path)
    config = (run_dir / "config.yaml").read_text().replace("episodes: 1\n", "episodes: 0\n")
    (run_dir / "config.yaml").write_text(config)
    evaluation = evaluate_run(run_dir, EvaluateOptions(), progress=False)
    assert len(evaluation.result.returns) == 10


def test_a_running_run_is_evaluated_from_its_newest_snapshot(
    trained_run: Path, tmp_path: Path
) -> None:
    run_dir = copy_run(trained_run, tmp_path)
    (run_dir / "weights.pt").unlink()  # as while training: snapshots, no final weights yet
    evaluation = evaluate_run(run_dir, EvaluateOptions(episodes=1), progress=False)
    assert evaluation.policy.source.name == "snapshot-000000000240"
    assert evaluation.result.returns[0] == pytest.approx(
        float(last_eval(run_dir)["eval/return_mean"]), rel=1e-6
    )


def test_corrupt_weights_fall_back_to_the_snapshot(trained_run: Path, tmp_path: Path) -> None:
    run_dir = copy_run(trained_run, tmp_path)
    (run_dir / "weights.pt").write_bytes(b"not a checkpoint")
    evaluation = evaluate_run(run_dir, EvaluateOptions(episodes=1), progress=False)
    assert evaluation.policy.source.name.startswith("snapshot-")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda run: shutil.rmtree(run), "does not exist"),
        (lambda run: (run / "config.yaml").unlink(), "is not a trl-sac run directory"),
        (lambda run: (run / "config.yaml").write_text("env: [unclosed"), "is unreadable"),
        (
            lambda run: [shutil.rmtree(run / "snapshots"), (run / "weights.pt").unlink()],
            "holds no readable policy (no weights.pt and no snapshot)",
        ),
    ],
    ids=["missing", "no-config", "corrupt-config", "no-weights"],
)
def test_a_bad_run_dir_gives_one_line_and_status_2(
    trained_run: Path, tmp_path: Path, damage, message: str, capsys
) -> None:
    run_dir = copy_run(trained_run, tmp_path)
    damage(run_dir)
    assert main([str(run_dir), "episodes=1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err


def test_bad_options_are_refused() -> None:
    assert parse_options(["episodes=3", "video=true"]) == EvaluateOptions(episodes=3, video=True)
    for bad in (["episods=3"], ["episodes=0"], ["video=maybe"], ["seed=one"], ["episodes"]):
        with pytest.raises(ConfigError):
            parse_options(bad)


@pytest.mark.e2e
@needs_osmesa
def test_evaluate_writes_a_video_of_the_first_episode(trained_run: Path, tmp_path: Path) -> None:
    run_dir = copy_run(trained_run, tmp_path)
    done = evaluate_cli(str(run_dir), "episodes=2", "video=true", env={"MUJOCO_GL": ""})
    assert done.returncode == 0, done.stderr[-2000:]
    (video,) = (run_dir / "videos").glob("evaluate-*.mp4")
    assert f"video: {video}" in done.stdout
    record = json.loads(next((run_dir / "evaluations").glob("*.json")).read_text())
    # The reset frame, then one frame per step.
    assert frame_count(video) == record["lengths"][0] + 1


@needs_osmesa
def test_eval_video_records_each_evaluation_during_training(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MUJOCO_GL", "osmesa")
    run_dir = tmp_path / "run"
    train(compose_config("hopper", [*TINY, f"run_dir={run_dir}", "eval.video=true"]))
    videos = sorted((run_dir / "videos").glob("*.mp4"))
    assert [video.name for video in videos] == [
        "eval-frames000000000120.mp4",
        "eval-frames000000000240.mp4",
    ]
    with (run_dir / "metrics/eval.csv").open() as file:
        lengths = [float(row["eval/episode_length_mean"]) for row in csv.DictReader(file)]
    assert [frame_count(video) for video in videos] == [int(length) + 1 for length in lengths]


def test_no_working_renderer_names_the_package_to_install(monkeypatch) -> None:
    monkeypatch.delenv("MUJOCO_GL", raising=False)
    monkeypatch.setattr(rendering, "_renders_with", lambda backend: False)
    with pytest.raises(RenderingUnavailable, match="apt-get install libosmesa6"):
        choose_gl_backend()
    monkeypatch.setenv("MUJOCO_GL", "egl")
    with pytest.raises(RenderingUnavailable, match="MUJOCO_GL=egl: install Debian's libegl1"):
        choose_gl_backend()


def test_training_with_video_fails_before_the_run_dir_when_nothing_renders(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.delenv("MUJOCO_GL", raising=False)
    monkeypatch.setattr(rendering, "_renders_with", lambda backend: False)
    run_dir = tmp_path / "run"
    with pytest.raises(RenderingUnavailable):
        train(compose_config("hopper", [*TINY, f"run_dir={run_dir}", "eval.video=true"]))
    assert not run_dir.exists()


def test_an_unusable_mujoco_gl_is_named_with_its_package() -> None:
    missing = {"OSMesa": None, "EGL": None}.get
    assert backend_problem("osmesa", missing) == (
        "MUJOCO_GL=osmesa needs libOSMesa, which is not installed: apt-get install libosmesa6, "
        "or unset MUJOCO_GL"
    )
    assert "apt-get install libegl1" in backend_problem("egl", missing)
    assert "is not a backend MuJoCo knows" in backend_problem("bogus", missing)
    assert backend_problem("osmesa", lambda library: "libOSMesa.so.8") is None
    assert backend_problem("", missing) is None and backend_problem("disable", missing) is None


@pytest.mark.e2e
def test_a_broken_mujoco_gl_stops_only_the_commands_that_render(
    trained_run: Path, tmp_path: Path
) -> None:
    broken = {"MUJOCO_GL": "bogus"}
    trained = run_recipe("hopper", *TINY, f"run_dir={tmp_path / 'fresh'}", env=broken)
    assert trained.returncode == 0, trained.stderr[-2000:]
    assert "MUJOCO_GL=bogus is not a backend MuJoCo knows" in trained.stdout + trained.stderr

    evaluated = evaluate_cli(str(copy_run(trained_run, tmp_path)), "episodes=1", env=broken)
    assert evaluated.returncode == 0, evaluated.stderr[-2000:]

    filmed = evaluate_cli(str(trained_run), "episodes=1", "video=true", env=broken)
    assert filmed.returncode == 2
    assert filmed.stderr.strip().splitlines() == [
        "trl-sac: error: MUJOCO_GL=bogus is not a backend MuJoCo knows: unset MUJOCO_GL, "
        "or set it to egl (GPU) or osmesa (CPU)"
    ]
