"""Learning-phase throughput of trl-sac beside Stable-Baselines3 and a plain-PyTorch update.

python benchmarks/throughput.py                       # Hopper-v5, twin-Q, paper settings
python benchmarks/throughput.py --loss vnet --target-update hard --out results.json
python benchmarks/throughput.py --device cuda --override compile=true

Each implementation runs in its own process, one after the other, with the same sizes
(2x256 networks, batch 256, Adam 3e-4, 1e6 buffer) and budget: `--warmup` random steps,
then 500 learning steps untimed (allocation, compilation), then `--steps` timed learning
steps at the variant's gradient steps per env step. trl-sac runs
its real training loop (collector, replay buffer, gradient steps, target updates, CSV
logging; evaluation off). Stable-Baselines3's SAC (`pip install 'trl-sac[bench]'`) runs
the same budget. The plain-PyTorch reference is a minimal twin-Q SAC update written here,
on a buffer of the env's shapes: it has no env and measures updates/s only; beside it,
`trl-sac-update` times trl-sac's own update (sample, gradient step, target update) the
same way, so the two update rates compare like with like.

Collection alone (`trl-sac-collect`): ms per env step of the training run's collector at the
paper schedule, the transition's write into the replay buffer included, after the random
warm-up: trl-sac's direct collector, split into the env step, the policy and the buffer
write, and TorchRL's Collector (`collector.direct=false`) beside it.

What a user's run costs (`trl-sac-recipe`, `sb3-recipe`): the task's recipe (and an SB3
script with the same settings) run as commands by wall clock, twice, to `--warmup` + 500
and to `--warmup` + 500 + `--steps` frames with evaluation off. The difference of the two
times is the cost of `--steps` learning steps, whatever the process pays around the loop:
startup, the final snapshot and exit cancel. Startup is the wall time of a one-frame run:
imports, config, env, networks, the first frame, and a snapshot without the buffer.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import platform
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trl_sac.files import write_text_atomically

if TYPE_CHECKING:
    from omegaconf import DictConfig

REPO = Path(__file__).resolve().parents[1]
# Learning steps run before the clock starts: the first updates of a run allocate,
# and with compile=true they wait for compilation.
LEARNING_WARMUP = 500
IMPLEMENTATIONS = (
    "trl-sac",
    "trl-sac-update",
    "trl-sac-collect",
    "sb3",
    "plain",
    "trl-sac-recipe",
    "sb3-recipe",
)
# The task recipes by env id; other tasks run through recipes/train.py env.id=...
RECIPES = {
    "Hopper-v5": "hopper",
    "Walker2d-v5": "walker2d",
    "HalfCheetah-v5": "halfcheetah",
    "Ant-v5": "ant",
    "Humanoid-v5": "humanoid",
}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def utd_ratio(target_update: str) -> int:
    # The paper's hard-update variant takes 4 gradient steps per env step (sac-facts.md).
    return 4 if target_update == "hard" else 1


def trl_sac_config(args: argparse.Namespace, *overrides: str) -> DictConfig:
    """trl-sac's composed config for the benchmark's env, variant and device."""
    from hydra import compose, initialize_config_module

    with initialize_config_module("trl_sac.conf", version_base="1.3"):
        return compose(
            "train",
            [
                f"env.id={args.env}",
                f"loss={args.loss}",
                f"target_update={args.target_update}",
                f"device={args.device}",
                *overrides,
                *args.override,
            ],
        )


def run_trl_sac(args: argparse.Namespace) -> dict[str, float]:
    from trl_sac import train

    start_frame = args.warmup + LEARNING_WARMUP
    total = start_frame + args.steps
    with tempfile.TemporaryDirectory() as tmp:
        cfg = trl_sac_config(
            args,
            f"seed={args.seed}",
            f"run_dir={tmp}/run",
            "progress=false",
            f"collector.total_frames={total}",
            f"collector.init_random_frames={args.warmup}",
            "eval.episodes=0",
            f"logger.every_frames={math.gcd(args.warmup, LEARNING_WARMUP)}",
            f"snapshot.every_frames={total}",
        )
        train(cfg)
        with (Path(tmp) / "run" / "metrics" / "time.csv").open() as file:
            rows = {int(row["frames"]): row for row in csv.DictReader(file)}
    start, end = rows[start_frame], rows[total]

    def spent(column: str) -> float:
        return float(end[column]) - float(start[column])

    seconds = spent("time/elapsed_s")
    updates = args.steps * utd_ratio(args.target_update)
    # Older trl-sac versions (timed for before/after figures) have no sample column.
    sample = spent("time/sample_s") if "time/sample_s" in end else math.nan
    update = spent("time/update_s") - (0.0 if math.isnan(sample) else sample)
    return {
        "env_steps_per_s": args.steps / seconds,
        "updates_per_s": updates / seconds,
        "collect_ms_per_step": 1000 * spent("time/collect_s") / args.steps,
        "sample_ms_per_update": 1000 * sample / updates,
        "update_ms_per_update": 1000 * update / updates,
    }


def time_updates(update: Callable[[], None], count: int, device: Any) -> dict[str, float]:
    """Updates/s of `count` calls of `update` after LEARNING_WARMUP untimed ones."""
    import torch

    for _ in range(LEARNING_WARMUP):
        update()
    if device.type == "cuda":
        torch.cuda.synchronize()
    began = time.perf_counter()
    for _ in range(count):
        update()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return {"updates_per_s": count / (time.perf_counter() - began)}


def trl_sac_learner(args: argparse.Namespace, *overrides: str) -> tuple[Any, Any, Any, Any]:
    """The config, device, a seeded training env and the agent, as a training run makes them."""
    import torch

    from trl_sac.rollout.envs import make_env, observation_size
    from trl_sac.sac.agent import make_agent
    from trl_sac.training.settings import resolve_settings

    cfg = trl_sac_config(args, *overrides)
    device = resolve_settings(cfg).device
    torch.manual_seed(args.seed)
    env = make_env(args.env, seed=args.seed, reward_scale=1.0, max_episode_steps=1000)
    agent = make_agent(
        cfg, observation_size=observation_size(env), action_spec=env.action_spec, device=device
    )
    return cfg, device, env, agent


def run_trl_sac_update(args: argparse.Namespace) -> dict[str, float]:
    """trl-sac's update alone, in a tight loop like the plain reference: sample, gradient
    step, target update, on a buffer filled with the env's transitions."""
    from trl_sac.rollout.replay_buffer import make_replay_buffer

    cfg, device, env, agent = trl_sac_learner(args)
    with tempfile.TemporaryDirectory() as tmp:
        buffer = make_replay_buffer(
            cfg.replay_buffer, batch_size=256, device=device, run_dir=Path(tmp)
        )
        transitions = env.rollout(args.warmup, break_when_any_done=False)
        buffer.extend(transitions.select(*agent.loss.in_keys))

        def update() -> None:
            agent.gradient_step(buffer.sample().to(device))
            agent.target_updater.step()

        return time_updates(update, args.steps * utd_ratio(args.target_update), device)


def run_trl_sac_collect(args: argparse.Namespace) -> dict[str, float]:
    """ms per env step of the training run's collectors, the buffer write included: the
    direct one (split into env step, policy and buffer write) and TorchRL's Collector."""
    import types

    from trl_sac.rollout.collection import make_collector
    from trl_sac.rollout.replay_buffer import make_replay_buffer

    result = {}
    spent = {"env": 0.0, "policy": 0.0, "buffer": 0.0}

    def timed(name: str, call: Callable) -> Callable:
        def measured(*arguments: Any) -> Any:
            began = time.perf_counter()
            value = call(*arguments)
            spent[name] += time.perf_counter() - began
            return value

        return measured

    for direct in (True, False):
        cfg, device, env, agent = trl_sac_learner(args, f"collector.direct={direct}")
        with tempfile.TemporaryDirectory() as tmp:
            buffer = make_replay_buffer(
                cfg.replay_buffer, batch_size=256, device=device, run_dir=Path(tmp)
            )
            collector = make_collector(
                cfg.collector,
                env,
                agent.actor,
                buffer,
                agent.loss.in_keys,
                device=device,
                total_frames=args.warmup + LEARNING_WARMUP + args.steps,
                init_random_frames=args.warmup,
            )
            if direct:  # the pieces of a direct step, each timed where the step calls it
                collector.act = timed("policy", collector.act)
                collector.gym_env = types.SimpleNamespace(step=timed("env", collector.gym_env.step))
                collector.buffer = types.SimpleNamespace(add=timed("buffer", buffer.add))
            batches = iter(collector)
            for _ in range(args.warmup + LEARNING_WARMUP):
                next(batches)
            spent.update(env=0.0, policy=0.0, buffer=0.0)
            began = time.perf_counter()
            for _ in range(args.steps):
                next(batches)
            seconds = time.perf_counter() - began
            collector.shutdown()
        if direct:
            result["collect_ms_per_step"] = 1000 * seconds / args.steps
            for name, value in spent.items():
                result[f"{name}_ms_per_step"] = 1000 * value / args.steps
        else:
            result["torchrl_collector_ms_per_step"] = 1000 * seconds / args.steps
    return result


def timed_command(command: list[str], threads: int) -> float:
    """Wall seconds of a command, which must succeed, with `threads` OpenMP threads."""
    environment = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    began = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, env=environment)
    seconds = time.perf_counter() - began
    if done.returncode:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"{shlex.join(command[1:3])} ... exited {done.returncode}: {last}")
    return seconds


def rate_by_wall_clock(
    command: Callable[[int], list[str]], args: argparse.Namespace
) -> dict[str, float]:
    """Learning-phase rates from the wall times of two runs of a command, and its startup."""
    short = args.warmup + LEARNING_WARMUP
    longer = timed_command(command(short + args.steps), args.threads)
    seconds = longer - timed_command(command(short), args.threads)
    return {
        "env_steps_per_s": args.steps / seconds,
        "updates_per_s": args.steps * utd_ratio(args.target_update) / seconds,
        "startup_s": timed_command(command(1), args.threads),
    }


def run_trl_sac_recipe(args: argparse.Namespace) -> dict[str, float]:
    """The task's recipe as a user runs it, timed as a command."""
    recipe = RECIPES.get(args.env)
    script = [f"recipes/{recipe}.py"] if recipe else ["recipes/train.py", f"env.id={args.env}"]
    runs = Path(tempfile.mkdtemp())

    def command(frames: int) -> list[str]:
        return [
            sys.executable,
            *script,
            f"loss={args.loss}",
            f"target_update={args.target_update}",
            f"device={args.device}",
            f"seed={args.seed}",
            f"run_dir={runs / str(frames)}",
            f"collector.total_frames={frames}",
            f"collector.init_random_frames={min(args.warmup, frames)}",
            "eval.episodes=0",
            # A one-frame run measures startup: it writes no replay buffer.
            f"snapshot.replay_buffer={frames > 1}",
            *args.override,
        ]

    try:
        return rate_by_wall_clock(command, args)
    finally:
        shutil.rmtree(runs, ignore_errors=True)


def run_sb3_recipe(args: argparse.Namespace) -> dict[str, float]:
    """SB3 with run_sb3's settings, timed as a command the same way."""
    settings = [
        *("--env", args.env, "--target-update", args.target_update, "--device", args.device),
        *("--threads", str(args.threads), "--warmup", str(args.warmup), "--seed", str(args.seed)),
    ]

    def command(frames: int) -> list[str]:
        return [sys.executable, __file__, *settings, "--only=sb3-frames", f"--frames={frames}"]

    return rate_by_wall_clock(command, args)


def make_sb3(args: argparse.Namespace) -> Any:
    import gymnasium as gym
    from stable_baselines3 import SAC

    return SAC(
        "MlpPolicy",
        gym.make(args.env),
        learning_rate=3e-4,
        buffer_size=1_000_000,
        learning_starts=args.warmup,
        batch_size=256,
        tau=1.0 if args.target_update == "hard" else 0.005,
        target_update_interval=1000 if args.target_update == "hard" else 1,
        gamma=0.99,
        train_freq=1,
        gradient_steps=utd_ratio(args.target_update),
        policy_kwargs={"net_arch": [256, 256]},
        device=args.device,
        seed=args.seed,
    )


def run_sb3_frames(args: argparse.Namespace) -> dict[str, float]:
    """SB3 trained for `--frames` env steps: the command sb3-recipe times."""
    make_sb3(args).learn(total_timesteps=args.frames)
    return {}


def run_sb3(args: argparse.Namespace) -> dict[str, float]:
    from stable_baselines3.common.callbacks import BaseCallback

    class LearningPhaseClock(BaseCallback):
        def __init__(self) -> None:
            super().__init__()
            self.start = math.nan

        def _on_step(self) -> bool:
            if self.num_timesteps == args.warmup + LEARNING_WARMUP:
                self.start = time.perf_counter()
            return True

    model = make_sb3(args)
    clock = LearningPhaseClock()
    model.learn(total_timesteps=args.warmup + LEARNING_WARMUP + args.steps, callback=clock)
    seconds = time.perf_counter() - clock.start
    return {
        "env_steps_per_s": args.steps / seconds,
        "updates_per_s": args.steps * utd_ratio(args.target_update) / seconds,
    }


def run_plain(args: argparse.Namespace) -> dict[str, float]:
    """A minimal twin-Q SAC update in plain PyTorch: the reference for updates/s."""
    import gymnasium as gym
    import torch
    from torch import nn
    from torch.nn import functional as F  # noqa: N812

    device = torch.device(args.device)
    env = gym.make(args.env)
    obs_size, act_size = env.observation_space.shape[0], env.action_space.shape[0]
    hidden, batch, size = 256, 256, 100_000

    def mlp(inputs: int, outputs: int) -> nn.Module:
        return nn.Sequential(
            nn.Linear(inputs, hidden), nn.ReLU(),
            nn.Linear(hidden, hidden), nn.ReLU(),
            nn.Linear(hidden, outputs),
        ).to(device)  # fmt: skip

    actor = mlp(obs_size, 2 * act_size)
    critics = [mlp(obs_size + act_size, 1) for _ in range(2)]
    targets = [mlp(obs_size + act_size, 1) for _ in range(2)]
    for critic, target in zip(critics, targets, strict=True):
        target.load_state_dict(critic.state_dict())
    log_alpha = torch.zeros((), device=device, requires_grad=True)
    critic_params = [p for critic in critics for p in critic.parameters()]
    target_params = [p for target in targets for p in target.parameters()]
    optimizer = torch.optim.Adam(
        [*actor.parameters(), *critic_params, log_alpha], lr=3e-4, foreach=True
    )
    data = {
        "obs": torch.randn(size, obs_size, device=device),
        "action": torch.rand(size, act_size, device=device) * 2 - 1,
        "reward": torch.randn(size, device=device),
        "next_obs": torch.randn(size, obs_size, device=device),
        "terminated": torch.zeros(size, device=device),
    }

    def act(obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, log_std = actor(obs).chunk(2, -1)
        log_std = log_std.clamp(-20, 2)
        noise = torch.randn_like(mean)
        pre_tanh = mean + log_std.exp() * noise
        log_prob = (-0.5 * noise.pow(2) - log_std - 0.5 * math.log(2 * math.pi)).sum(-1)
        log_prob -= (2 * (math.log(2) - pre_tanh - F.softplus(-2 * pre_tanh))).sum(-1)
        return torch.tanh(pre_tanh), log_prob

    def q_min(networks: list[nn.Module], obs: torch.Tensor, action: torch.Tensor) -> torch.Tensor:
        inputs = torch.cat([obs, action], -1)
        return torch.min(networks[0](inputs), networks[1](inputs)).squeeze(-1)

    def update() -> None:
        index = torch.randint(0, size, (batch,), device=device)
        obs, action, reward, next_obs, terminated = (value[index] for value in data.values())
        alpha = log_alpha.exp().detach()
        with torch.no_grad():
            next_action, next_log_prob = act(next_obs)
            next_value = q_min(targets, next_obs, next_action) - alpha * next_log_prob
            target = reward + 0.99 * (1 - terminated) * next_value
        inputs = torch.cat([obs, action], -1)
        q_loss = sum(
            0.5 * (critic(inputs).squeeze(-1) - target).pow(2).mean() for critic in critics
        )
        new_action, log_prob = act(obs)
        for param in critic_params:
            param.requires_grad_(False)
        actor_loss = (alpha * log_prob - q_min(critics, obs, new_action)).mean()
        for param in critic_params:
            param.requires_grad_(True)
        alpha_loss = -(log_alpha * (log_prob.detach() - act_size)).mean()
        optimizer.zero_grad(set_to_none=True)
        (q_loss + actor_loss + alpha_loss).backward()
        optimizer.step()
        with torch.no_grad():
            torch._foreach_lerp_(target_params, critic_params, 0.005)

    return time_updates(update, args.steps * utd_ratio(args.target_update), device)


RUNNERS = {
    "trl-sac": run_trl_sac,
    "trl-sac-update": run_trl_sac_update,
    "trl-sac-collect": run_trl_sac_collect,
    "sb3": run_sb3,
    "plain": run_plain,
    "trl-sac-recipe": run_trl_sac_recipe,
    "sb3-recipe": run_sb3_recipe,
    "sb3-frames": run_sb3_frames,
}


def run_one(args: argparse.Namespace) -> None:
    """In a child process: set threads, run one implementation, print its JSON."""
    import torch

    torch.set_num_threads(args.threads)
    result = RUNNERS[args.only](args)
    result["peak_rss_mb"] = peak_rss_mb()
    print("RESULT " + json.dumps(result))


def run_child(implementation: str, argv: list[str]) -> dict[str, float] | str:
    command = [sys.executable, __file__, *argv, "--only", implementation]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    return (done.stderr.strip().splitlines() or ["no output"])[-1]


def median_result(runs: list[dict[str, float] | str]) -> dict[str, float] | str:
    """Per-figure median over the rounds that succeeded (the failure if none did)."""
    good = [run for run in runs if isinstance(run, dict)]
    if not good:
        return runs[-1]
    return {key: statistics.median(run[key] for run in good) for key in good[0]}


def table(results: dict[str, dict[str, float] | str]) -> str:
    columns = [
        ("env_steps_per_s", "env steps/s", 1),
        ("updates_per_s", "updates/s", 1),
        ("collect_ms_per_step", "collect ms", 2),
        ("env_ms_per_step", "env ms", 2),
        ("policy_ms_per_step", "policy ms", 2),
        ("buffer_ms_per_step", "buffer ms", 2),
        ("torchrl_collector_ms_per_step", "Collector ms", 2),
        ("sample_ms_per_update", "sample ms/upd", 2),
        ("update_ms_per_update", "update ms/upd", 2),
        ("startup_s", "startup s", 2),
        ("peak_rss_mb", "peak RSS MB", 0),
    ]
    shown = [
        column
        for column in columns
        if any(isinstance(result, dict) and column[0] in result for result in results.values())
    ]
    lines = [f"{'':16}" + "".join(f"{title:>14}" for _, title, _ in shown)]
    for name, result in results.items():
        if isinstance(result, str):
            lines.append(f"{name:16}failed: {result}")
            continue
        cells = "".join(
            f"{result[key]:14.{digits}f}" if key in result else f"{'-':>14}"
            for key, _, digits in shown
        )
        lines.append(f"{name:16}{cells}")
    return "\n".join(lines)


def ratios(results: dict[str, dict[str, float] | str]) -> dict[str, float]:
    """trl-sac's end-to-end rates over SB3's, and its update rate over the plain one's."""
    pairs = [
        ("trl-sac", "sb3", "env_steps_per_s"),
        ("trl-sac", "sb3", "updates_per_s"),
        ("trl-sac-update", "plain", "updates_per_s"),
        # The loop against the update alone: what collecting and bookkeeping cost.
        ("trl-sac", "trl-sac-update", "updates_per_s"),
        ("trl-sac-recipe", "trl-sac-update", "updates_per_s"),
        # A user's run against SB3's, both timed as commands.
        ("trl-sac-recipe", "sb3-recipe", "env_steps_per_s"),
        ("trl-sac-recipe", "sb3-recipe", "startup_s"),
    ]
    found = {}
    for mine, other, key in pairs:
        ours, theirs = results.get(mine), results.get(other)
        if isinstance(ours, dict) and isinstance(theirs, dict) and key in ours and key in theirs:
            found[f"{mine}/{other} {key}"] = ours[key] / theirs[key]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="Hopper-v5")
    parser.add_argument("--loss", default="twinq", choices=["twinq", "vnet"])
    parser.add_argument("--target-update", default="soft", choices=["soft", "hard"])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=1000, help="random steps before learning")
    parser.add_argument("--steps", type=int, default=2000, help="learning steps timed")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=1, help="interleaved rounds (median)")
    parser.add_argument("--impl", nargs="+", default=list(IMPLEMENTATIONS), choices=IMPLEMENTATIONS)
    parser.add_argument(
        "--override", nargs="*", default=[], help="Hydra overrides for trl-sac (compile=true ...)"
    )
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    parser.add_argument("--only", choices=list(RUNNERS), help=argparse.SUPPRESS)
    parser.add_argument("--frames", type=int, help=argparse.SUPPRESS)  # for sb3-frames
    args = parser.parse_args()
    if args.only:
        run_one(args)
        return

    argv = list(sys.argv[1:])
    # Rounds interleave the implementations (A B C, A B C, ...) so that a slow spell of
    # a shared machine falls on all of them; each figure is the median over rounds.
    runs: dict[str, list[dict[str, float] | str]] = {name: [] for name in args.impl}
    for round_index in range(args.repeats):
        for implementation in args.impl:
            result = run_child(implementation, argv)
            runs[implementation].append(result)
            print(f"round {round_index + 1} {implementation}: {result}", file=sys.stderr)
    results = {name: median_result(found) for name, found in runs.items()}
    found = ratios(results)
    print(
        f"{args.env}, loss={args.loss}, target_update={args.target_update}, device={args.device}, "
        f"threads={args.threads}, {args.warmup} random + {args.steps} learning steps, "
        f"median of {args.repeats} interleaved round(s)"
        + (f", overrides: {' '.join(args.override)}" if args.override else "")
    )
    print(table(results))
    for name, value in found.items():
        print(f"{name}: {value:.2f}x")
    if args.out:
        record = {
            "command": "python benchmarks/throughput.py " + " ".join(sys.argv[1:]),
            "date": time.strftime("%Y-%m-%d"),
            "machine": platform.processor() or platform.machine(),
            "python": platform.python_version(),
            "settings": {k: v for k, v in vars(args).items() if k not in ("out", "only")},
            "results": results,
            "rounds": runs,
            "ratios": found,
        }
        args.out.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomically(args.out, json.dumps(record, indent=2, default=str))


if __name__ == "__main__":
    main()
