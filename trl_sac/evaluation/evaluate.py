"""Evaluate a run's newest policy over complete episodes, optionally with a video.

python -m trl_sac.evaluation RUN_DIR [episodes=N] [video=true] [seed=N] [device=D]
                                   [width=W] [height=H]
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from omegaconf import OmegaConf
from omegaconf.errors import ConfigKeyError, OmegaConfBaseException

from trl_sac.devices import resolve_device
from trl_sac.errors import ConfigError, first_line
from trl_sac.evaluation.episodes import EvalResult, evaluate
from trl_sac.evaluation.rendering import choose_gl_backend
from trl_sac.evaluation.trained_policy import TrainedPolicy, load_trained_policy, read_run_config
from trl_sac.files import write_text_atomically
from trl_sac.rollout.envs import make_env
from trl_sac.rollout.reward_terms import reward_terms
from trl_sac.runs.layout import EVALUATIONS_DIR, VIDEOS_DIR

USAGE = "\n".join(__doc__.strip().splitlines()[2:])
DEFAULT_EPISODES = 10
DEFAULT_VIDEO_SIZE = (320, 240)


@dataclass(frozen=True)
class EvaluateOptions:
    """The command's key=value options. None takes the run's own setting: its eval.episodes,
    its evaluation seed, its eval.video_size."""

    episodes: int | None = None
    video: bool = False
    seed: int | None = None
    device: str = "auto"
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class Evaluation:
    policy: TrainedPolicy
    result: EvalResult
    seed: int
    video: Path | None
    record: Path


def evaluate_run(
    run_dir: Path, options: EvaluateOptions, progress: bool | None = None
) -> Evaluation:
    """Evaluate the newest policy of `run_dir` and record the result under `evaluations/`.

    With the default seed, the episodes start from the states of the run's own
    evaluations, so the return equals eval.csv's at the same frame count. Each episode's
    return is split into the reward terms the task reports, and its end into a
    termination or the time limit.
    """
    cfg = read_run_config(run_dir)
    if options.video:
        choose_gl_backend()
    device = resolve_device(options.device)
    seed = cfg.seed + cfg.eval.seed_offset if options.seed is None else options.seed
    width, height = cfg.eval.get("video_size") or DEFAULT_VIDEO_SIZE
    terms = reward_terms(cfg.env.id)
    env = make_env(
        cfg.env.id,
        seed=seed,
        max_episode_steps=cfg.env.max_episode_steps,
        device=device,
        render_size=(options.width or width, options.height or height) if options.video else None,
        reward_terms=terms,
    )
    policy = load_trained_policy(run_dir, cfg, env, device)
    video = None
    if options.video:
        video = run_dir / VIDEOS_DIR / f"evaluate-frames{policy.frames:012d}-seed{seed}.mp4"
    result = evaluate(
        env,
        policy.actor,
        # A run trained without evaluations (eval.episodes=0) still gets some here.
        episodes=options.episodes or cfg.eval.episodes or DEFAULT_EPISODES,
        max_steps=cfg.env.max_episode_steps,
        video=video,
        progress=progress,
        terms=terms,
    )
    env.close()
    record = run_dir / EVALUATIONS_DIR / f"frames{policy.frames:012d}-seed{seed}.json"
    record.parent.mkdir(exist_ok=True)
    write_text_atomically(
        record,
        json.dumps(
            {
                "frames": policy.frames,
                "source": str(policy.source),
                "seed": seed,
                "returns": result.returns,
                "lengths": result.lengths,
                "terminated": result.terminated,
                "terms": result.terms,
                **result.metrics(),
                "video": str(video) if video else None,
            },
            indent=1,
        ),
    )
    return Evaluation(policy=policy, result=result, seed=seed, video=video, record=record)


def parse_options(pairs: Sequence[str]) -> EvaluateOptions:
    """key=value pairs onto EvaluateOptions, typed by OmegaConf; a bad one raises ConfigError."""
    known = ", ".join(EvaluateOptions.__dataclass_fields__)
    for pair in pairs:
        if "=" not in pair:
            raise ConfigError(
                f"option {pair!r} has no value: options are key=value, key in {known}"
            )
    try:
        given = OmegaConf.from_dotlist(list(pairs))
        options = OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(EvaluateOptions), given))
    except ConfigKeyError as error:
        raise ConfigError(f"unknown option {error.key!r}: options are {known}") from None
    except OmegaConfBaseException as error:
        raise ConfigError(f"{error.full_key}: {first_line(error)}") from None
    for name in ("episodes", "width", "height"):
        if getattr(options, name) is not None and getattr(options, name) <= 0:
            raise ConfigError(f"{name} must be positive, got {getattr(options, name)}")
    return options


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        sys.stdout.write(f"usage: {USAGE}\n")
        return 0 if args else 2
    try:
        options = parse_options(args[1:])
        evaluation = evaluate_run(Path(args[0]), options)
    except (ConfigError, OmegaConfBaseException, OSError) as error:
        sys.stderr.write(f"trl-sac: error: {first_line(error)}\n")
        return 2
    sys.stdout.write(summary_text(evaluation) + "\n")
    return 0


def summary_text(evaluation: Evaluation) -> str:
    metrics = evaluation.result.metrics()
    episodes = len(evaluation.result.returns)
    lines = [
        f"return {metrics['eval/return_mean']:.1f} ± {metrics['eval/return_std']:.1f} over "
        f"{episodes} episodes (min {metrics['eval/return_min']:.1f}, "
        f"max {metrics['eval/return_max']:.1f}, mean length "
        f"{metrics['eval/episode_length_mean']:.0f}); policy at {evaluation.policy.frames} "
        f"frames from {evaluation.policy.source}, eval seed {evaluation.seed}",
        *terms_lines(evaluation.result),
        f"results: {evaluation.record}",
    ]
    if evaluation.video is not None:
        lines.append(f"video: {evaluation.video}")
    return "\n".join(lines)


def terms_lines(result: EvalResult) -> list[str]:
    """The return's terms, mean per episode, and how the episodes ended."""
    lines = []
    if result.terms:
        means = (f"{term} {sum(sums) / len(sums):.1f}" for term, sums in result.terms.items())
        lines.append(f"per episode, mean: {', '.join(means)}")
    if result.terminated:
        fell = sum(result.terminated)
        lines.append(
            f"{fell} of {len(result.terminated)} episodes ended by the task's termination rule, "
            f"{len(result.terminated) - fell} at the time limit"
        )
    return lines
