"""Learning-phase throughput of trl-sac beside Stable-Baselines3 and a plain-PyTorch update.

python benchmarks/throughput.py                       # Hopper-v5, twin-Q, paper settings
python benchmarks/throughput.py --loss vnet --target-update hard --out results.json
python benchmarks/throughput.py --device cuda --override compile=true
python benchmarks/throughput.py --impl compare compare-jobs1 sb3-serial   # a comparison
python benchmarks/throughput.py --baseline ../old-checkout --publish docs/results.md NAME

Rounds: `--repeats` (5) rounds, each running every implementation once in turn (A B C,
A B C, ...), so that a slow spell of this shared machine falls on all of them. Every
figure is reported as its median over the rounds with the lowest and highest; every ratio
is taken within each round (A and B of the same round) and reported the same way. One
round proves nothing here: single rates move by 10-30% between rounds.

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

A comparison as users run one (`compare`, `compare-jobs1`): `recipes/compare.py` with
2 variants x 2 seeds of `--comparison-frames` frames each, by wall clock, everything
included, with its default (one run per CPU core) and with `jobs=1`; `sb3-serial` trains
SB3 four times for as many frames, one run after another, without evaluations.

Running side by side (`trl-sac-x2`, `trl-sac-update-x2`): two one-thread processes of the
loop (or of the update alone) started at once, as a default comparison runs them on 2
cores; their rates summed against one process at `--threads` say how much sooner runs in
parallel can finish at best (an upper bound: the slower child takes its last steps alone),
and `trl-sac-update-1t` (one process at one thread) how much each slows the other. Their
peak RSS is the largest single process's.

`--baseline DIR` also times `--baseline-impl` (the loop and the recipe) on another
checkout's trl_sac and recipes, with this script, in the same rounds, for after/before
ratios.
`--publish DOC NAME` writes the report between `<!-- speed:NAME -->` markers in DOC.
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
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provenance import current_commit, machine_description, versions
from publishing import publish_section

from trl_sac.files import write_text_atomically
from trl_sac.reporting.formatting import markdown_table

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
    "compare",
    "compare-jobs1",
    "sb3-serial",
    "trl-sac-x2",
    "trl-sac-update-x2",
    "trl-sac-update-1t",
)
# A comparison as users run one (recipes/compare.py): 2 variants x 2 seeds on one task.
COMPARISON_SEEDS = (0, 1)
# The task recipes by env id; other tasks run through recipes/train.py env.id=...
RECIPES = {
    "Hopper-v5": "hopper",
    "Walker2d-v5": "walker2d",
    "HalfCheetah-v5": "halfcheetah",
    "Ant-v5": "ant",
    "Humanoid-v5": "humanoid",
}


def peak_rss_mb() -> float:
    """The largest resident set of this process and of the commands it ran and waited for
    (a recipe timed by wall clock, a side-by-side child)."""
    own, children = (
        resource.getrusage(who).ru_maxrss
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return max(own, children) / 1024


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
                collector.write = timed("buffer", collector.write)
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


def timed_command(command: list[str], threads: int | None) -> float:
    """Wall seconds of a command, which must succeed, with `threads` OpenMP threads (None:
    as this process has it)."""
    environment = dict(os.environ)
    if threads is not None:
        environment["OMP_NUM_THREADS"] = str(threads)
    began = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, env=environment)
    seconds = time.perf_counter() - began
    if done.returncode:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"{shlex.join(command[1:3])} ... exited {done.returncode}: {last}")
    return seconds


# Startup is timed as a two-frame run (one random frame, one gradient step): a run that
# would end within its random frames is refused.
STARTUP_FRAMES = 2


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
        "startup_s": timed_command(command(STARTUP_FRAMES), args.threads),
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
            f"collector.init_random_frames={min(args.warmup, frames - 1)}",
            "eval.episodes=0",
            # The startup run writes no replay buffer.
            f"snapshot.replay_buffer={frames > STARTUP_FRAMES}",
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


def comparison_command(args: argparse.Namespace, jobs: str, sweep_dir: Path) -> list[str]:
    return [
        sys.executable,
        "recipes/compare.py",
        f"env.id={args.env}",
        "loss=vnet,twinq",
        f"seed={','.join(map(str, COMPARISON_SEEDS))}",
        f"target_update={args.target_update}",
        f"device={args.device}",
        f"jobs={jobs}",
        f"collector.total_frames={args.comparison_frames}",
        f"collector.init_random_frames={args.warmup}",
        f"hydra.sweep.dir={sweep_dir}",
        *args.override,
    ]


def run_comparison(args: argparse.Namespace, jobs: str) -> dict[str, float]:
    """Wall seconds of one comparison, everything included (startup, runs, evaluations at
    the default schedule, the report), with `OMP_NUM_THREADS` left as the user has it."""
    with tempfile.TemporaryDirectory() as tmp:
        command = comparison_command(args, jobs, Path(tmp) / "sweep")
        return {"wall_s": timed_command(command, threads=None)}


def run_sb3_serial(args: argparse.Namespace) -> dict[str, float]:
    """SB3 training the comparison's four runs one after another (its twin-Q SAC twice per
    seed, as it has no v1), each a command like `sb3-recipe`'s, without evaluations."""
    settings = [
        *("--env", args.env, "--target-update", args.target_update, "--device", args.device),
        *("--threads", str(args.threads), "--warmup", str(args.warmup)),
    ]
    seconds = 0.0
    for seed in [*COMPARISON_SEEDS, *COMPARISON_SEEDS]:
        command = [sys.executable, __file__, *settings, f"--seed={seed}", "--only=sb3-frames"]
        seconds += timed_command([*command, f"--frames={args.comparison_frames}"], threads=None)
    return {"wall_s": seconds}


def run_children(names: list[str], args: argparse.Namespace, threads: int) -> list[dict]:
    """Children started at once, each with `threads` torch threads, and their results."""
    settings = child_settings(argparse.Namespace(**{**vars(args), "threads": threads}))
    children = [
        subprocess.Popen(
            [sys.executable, __file__, *settings, "--only", name],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        for name in names
    ]
    try:
        results = []
        for child in children:
            out, err = child.communicate()
            result = child_result(out, err)
            if isinstance(result, str):
                raise RuntimeError(result)
            results.append(result)
        return results
    finally:  # a failed child must not leave its sibling running into the next timing
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()


def side_by_side(name: str, args: argparse.Namespace) -> dict[str, float]:
    """Two one-thread processes of `name` at once, as a comparison runs them on 2 cores:
    their rates summed (the work both do), and one process's rate beside the other. The sum
    leans high: the slower of the two takes its last steps alone."""
    pair = run_children([name, name], args, threads=1)
    keys = [key for key in ("env_steps_per_s", "updates_per_s") if key in pair[0]]
    found = {key: sum(result[key] for result in pair) for key in keys}
    found["updates_per_s_each"] = statistics.mean(result["updates_per_s"] for result in pair)
    return found


def one_thread(name: str, args: argparse.Namespace) -> dict[str, float]:
    (result,) = run_children([name], args, threads=1)
    return {"updates_per_s": result["updates_per_s"], "updates_per_s_each": result["updates_per_s"]}


RUNNERS = {
    "trl-sac": run_trl_sac,
    "trl-sac-update": run_trl_sac_update,
    "trl-sac-collect": run_trl_sac_collect,
    "sb3": run_sb3,
    "plain": run_plain,
    "trl-sac-recipe": run_trl_sac_recipe,
    "sb3-recipe": run_sb3_recipe,
    "sb3-frames": run_sb3_frames,
    "compare": lambda args: run_comparison(args, "auto"),
    "compare-jobs1": lambda args: run_comparison(args, "1"),
    "sb3-serial": run_sb3_serial,
    "trl-sac-x2": lambda args: side_by_side("trl-sac", args),
    "trl-sac-update-x2": lambda args: side_by_side("trl-sac-update", args),
    "trl-sac-update-1t": lambda args: one_thread("trl-sac-update", args),
}


def run_one(args: argparse.Namespace) -> None:
    """In a child process: set threads, run one implementation, print its JSON."""
    import torch

    if args.checkout:  # time that checkout's trl_sac (on PYTHONPATH) and recipes
        global REPO
        REPO = args.checkout

    torch.set_num_threads(args.threads)
    result = RUNNERS[args.only](args)
    result["peak_rss_mb"] = peak_rss_mb()
    print("RESULT " + json.dumps(result))


def child_settings(args: argparse.Namespace) -> list[str]:
    """The settings a child needs."""
    settings = [
        *("--env", args.env, "--loss", args.loss, "--target-update", args.target_update),
        *("--device", args.device, "--threads", str(args.threads)),
        *("--warmup", str(args.warmup), "--steps", str(args.steps), "--seed", str(args.seed)),
    ]
    if args.override:
        settings += ["--override", *args.override]
    return settings


def run_child(implementation: str, args: argparse.Namespace) -> dict[str, float] | str:
    """One implementation in a fresh process; `<name>@before` times --baseline's trl_sac
    and recipes with this script."""
    name, _, before = implementation.partition("@")
    command = [sys.executable, __file__, *child_settings(args), "--only", name]
    command.append(f"--comparison-frames={args.comparison_frames}")
    environment, cwd = dict(os.environ), REPO
    if before:
        cwd = args.baseline.resolve()
        environment["PYTHONPATH"] = str(cwd)
        command.append(f"--checkout={cwd}")
    done = subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=environment)
    return child_result(done.stdout, done.stderr)


def child_result(stdout: str, stderr: str) -> dict[str, float] | str:
    """A child's RESULT line as a dict, or its last line of stderr where it printed none."""
    for line in stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    return (stderr.strip().splitlines() or ["no output"])[-1]


@dataclass(frozen=True)
class Spread:
    """A figure over the rounds: median, lowest and highest, and how many rounds gave it."""

    median: float
    low: float
    high: float
    rounds: int

    @classmethod
    def of(cls, values: list[float]) -> Spread:
        return cls(statistics.median(values), min(values), max(values), len(values))

    def text(self, digits: int) -> str:
        if self.rounds == 1:
            return f"{self.median:.{digits}f}"
        return f"{self.median:.{digits}f} ({self.low:.{digits}f}-{self.high:.{digits}f})"


def spreads(rounds: list[dict[str, float] | str]) -> dict[str, Spread] | str:
    """Each figure's spread over the rounds that succeeded (the last failure if none did)."""
    good = [result for result in rounds if isinstance(result, dict)]
    if not good:
        return rounds[-1]
    return {key: Spread.of([result[key] for result in good]) for key in good[0]}


def median_result(rounds: list[dict[str, float] | str]) -> dict[str, float] | str:
    """Per-figure median over the rounds that succeeded (the failure if none did)."""
    found = spreads(rounds)
    return found if isinstance(found, str) else {key: s.median for key, s in found.items()}


COLUMNS = [
    ("env_steps_per_s", "env steps/s", 1),
    ("updates_per_s", "updates/s", 1),
    ("updates_per_s_each", "updates/s per process", 1),
    ("collect_ms_per_step", "collect ms", 2),
    ("env_ms_per_step", "env ms", 2),
    ("policy_ms_per_step", "policy ms", 2),
    ("buffer_ms_per_step", "buffer ms", 2),
    ("torchrl_collector_ms_per_step", "Collector ms", 2),
    ("sample_ms_per_update", "sample ms/upd", 2),
    ("update_ms_per_update", "update ms/upd", 2),
    ("startup_s", "startup s", 2),
    ("wall_s", "wall s", 1),
    ("peak_rss_mb", "peak RSS MB", 0),
]


def table(results: dict[str, dict[str, Spread] | dict[str, float] | str]) -> str:
    """A markdown table: one row per implementation, each figure as median (min-max)."""
    shown = [
        column
        for column in COLUMNS
        if any(isinstance(result, dict) and column[0] in result for result in results.values())
    ]
    rows = []
    for name, result in results.items():
        if isinstance(result, str):
            rows.append([name, f"failed: {result}"] + [""] * (len(shown) - 1))
            continue
        cells = []
        for key, _, digits in shown:
            value = result.get(key)
            if value is None:
                cells.append("-")
            elif isinstance(value, Spread):
                cells.append(value.text(digits))
            else:
                cells.append(f"{value:.{digits}f}")
        rows.append([name, *cells])
    return markdown_table(["", *(title for _, title, _ in shown)], rows)


# (label, numerator, denominator, figure): each a ratio within one round. For times
# (startup, wall) the numerator is the other side, so that above 1 means trl-sac is faster.
RATIOS = [
    ("loop / SB3 loop, env steps/s", "trl-sac", "sb3", "env_steps_per_s"),
    ("update alone / plain PyTorch, updates/s", "trl-sac-update", "plain", "updates_per_s"),
    ("loop / its update alone, updates/s", "trl-sac", "trl-sac-update", "updates_per_s"),
    ("recipe / its update alone, updates/s", "trl-sac-recipe", "trl-sac-update", "updates_per_s"),
    ("recipe / SB3 script, env steps/s", "trl-sac-recipe", "sb3-recipe", "env_steps_per_s"),
    ("startup, SB3 / trl-sac (time)", "sb3-recipe", "trl-sac-recipe", "startup_s"),
    ("comparison, jobs=1 / default (time)", "compare-jobs1", "compare", "wall_s"),
    ("comparison, SB3 serial / default (time)", "sb3-serial", "compare", "wall_s"),
    (
        "two one-thread loops at once / one loop, env steps/s",
        "trl-sac-x2",
        "trl-sac",
        "env_steps_per_s",
    ),
    (
        "two one-thread updates at once / one update, updates/s",
        "trl-sac-update-x2",
        "trl-sac-update",
        "updates_per_s",
    ),
    (
        "a one-thread update beside another / alone, updates/s",
        "trl-sac-update-x2",
        "trl-sac-update-1t",
        "updates_per_s_each",
    ),
]
# Each implementation's own figure, for before/after (--baseline); True: higher is better.
HEADLINE = {
    "trl-sac": ("env_steps_per_s", True),
    "trl-sac-update": ("updates_per_s", True),
    "trl-sac-collect": ("collect_ms_per_step", False),
    "trl-sac-recipe": ("env_steps_per_s", True),
    "compare": ("wall_s", False),
}


def ratios(results: dict[str, dict[str, float] | str]) -> dict[str, float]:
    """The ratios one round's results allow: RATIOS, and after/before for --baseline."""
    pairs = list(RATIOS)
    for name, (key, higher_is_better) in HEADLINE.items():
        before = f"{name}@before"
        pair = (name, before) if higher_is_better else (before, name)
        pairs.append((f"{name}: after / before ({key})", *pair, key))
    found = {}
    for label, mine, other, key in pairs:
        ours, theirs = results.get(mine), results.get(other)
        if isinstance(ours, dict) and isinstance(theirs, dict) and key in ours and key in theirs:
            found[label] = ours[key] / theirs[key]
    return found


def round_ratios(runs: dict[str, list[dict[str, float] | str]]) -> dict[str, Spread]:
    """Each ratio within each round (the rounds interleave, so a slow spell of the machine
    falls on both sides of it), then its spread over the rounds."""
    count = max(len(rounds) for rounds in runs.values())
    per_round: dict[str, list[float]] = {}
    for index in range(count):
        results = {name: rounds[index] for name, rounds in runs.items() if index < len(rounds)}
        for label, value in ratios(results).items():
            per_round.setdefault(label, []).append(value)
    return {label: Spread.of(values) for label, values in per_round.items()}


def ratio_table(found: dict[str, Spread]) -> str:
    rows = [[label, spread.text(2) + "x", str(spread.rounds)] for label, spread in found.items()]
    return markdown_table(["ratio", "median (min-max)", "rounds"], rows)


def report_section(record: dict[str, Any], title: str) -> str:
    """The markdown section --publish writes: what ran, where, and every figure's spread."""
    results = {name: spreads(rounds) for name, rounds in record["rounds"].items()}
    found = round_ratios(record["rounds"])
    return "\n".join(
        [
            f"### {title}",
            "",
            f"{record['date']}, {record['machine']}, torch {record['torch']}, commit "
            f"{record['commit']}; {record['repeats']} interleaved round(s), each figure the "
            "median (lowest-highest) over them, each ratio taken within a round.",
            "",
            "```bash",
            record["command"],
            "```",
            "",
            table(results),
            "",
            ratio_table(found),
        ]
    )


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
    parser.add_argument("--repeats", type=int, default=5, help="interleaved rounds")
    parser.add_argument(
        "--impl", nargs="+", default=list(IMPLEMENTATIONS[:7]), choices=IMPLEMENTATIONS
    )
    parser.add_argument(
        "--comparison-frames", type=int, default=5000, help="frames per run of a comparison"
    )
    parser.add_argument(
        "--baseline", type=Path, help="another checkout: its trl-sac runs in the same rounds"
    )
    parser.add_argument(
        "--baseline-impl",
        nargs="+",
        default=["trl-sac", "trl-sac-recipe"],
        choices=list(HEADLINE),
        help="what runs from --baseline too",
    )
    parser.add_argument(
        "--override", nargs="*", default=[], help="Hydra overrides for trl-sac (compile=true ...)"
    )
    parser.add_argument("--out", type=Path, help="write the figures and rounds as JSON here")
    parser.add_argument(
        "--publish", nargs=2, metavar=("DOC", "NAME"), help="write the section speed:NAME in DOC"
    )
    parser.add_argument("--title", help="the published section's title")
    parser.add_argument("--only", choices=list(RUNNERS), help=argparse.SUPPRESS)
    parser.add_argument("--checkout", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--frames", type=int, help=argparse.SUPPRESS)  # for sb3-frames
    args = parser.parse_args()
    if args.only:
        run_one(args)
        return

    implementations = list(args.impl)
    if args.baseline:
        implementations += [f"{name}@before" for name in args.baseline_impl]
    # Rounds interleave the implementations (A B C, A B C, ...) so that a slow spell of
    # a shared machine falls on all of them.
    runs: dict[str, list[dict[str, float] | str]] = {name: [] for name in implementations}
    for round_index in range(args.repeats):
        for implementation in implementations:
            result = run_child(implementation, args)
            runs[implementation].append(result)
            print(f"round {round_index + 1} {implementation}: {result}", file=sys.stderr)
    record = {
        "command": "python benchmarks/throughput.py " + shlex.join(sys.argv[1:]),
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine_description(),
        "torch": versions().get("torch", "?"),
        "commit": current_commit(),
        "python": platform.python_version(),
        "repeats": args.repeats,
        "settings": {
            k: v for k, v in vars(args).items() if k not in ("out", "only", "publish", "title")
        },
        "rounds": runs,
        "results": {name: median_result(rounds) for name, rounds in runs.items()},
        "ratios": {label: asdict(spread) for label, spread in round_ratios(runs).items()},
    }
    title = args.title or (
        f"{args.env}, loss={args.loss}, target_update={args.target_update}, "
        f"device={args.device}, {args.threads} threads"
    )
    section = report_section(record, title)
    print(section)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomically(args.out, json.dumps(record, indent=2, default=str))
    if args.publish:
        document, name = args.publish
        publish_section(Path(document), f"speed:{name}", section)


if __name__ == "__main__":
    main()
