"""The training loop: collect -> store -> update -> log -> evaluate, then save the weights."""

from __future__ import annotations

import logging
import random

import numpy as np
import torch
from omegaconf import DictConfig

from trl_sac.agent import make_agent
from trl_sac.collection import make_collector
from trl_sac.data import make_replay_buffer
from trl_sac.envs import make_env, observation_size
from trl_sac.evaluation import evaluate
from trl_sac.metrics import MetricsWriter
from trl_sac.progress import make_progress_bar
from trl_sac.run_dir import prepare_run_dir, save_weights
from trl_sac.schedule import Every, updates_owed
from trl_sac.settings import resolve_settings
from trl_sac.tracking import Clock, TrainWindow

log = logging.getLogger(__name__)

TRAIN_COLUMNS = (
    "train/episodes",
    "train/episode_return",
    "train/episode_length",
    "train/updates",
    "train/loss_actor",
    "train/loss_qvalue",
    "train/loss_value",
    "train/loss_alpha",
    "train/alpha",
    "train/entropy",
)
EVAL_COLUMNS = (
    "eval/return_mean",
    "eval/return_std",
    "eval/return_min",
    "eval/return_max",
    "eval/episode_length_mean",
)
TIME_COLUMNS = (
    "time/elapsed_s",
    "time/env_steps_per_s",
    "time/updates_per_s",
    "time/collect_s",
    "time/update_s",
    "time/eval_s",
)


def train(cfg: DictConfig) -> float:
    """Train SAC as `cfg` says; return the final evaluation's mean return (NaN if none)."""
    settings = resolve_settings(cfg)
    run_dir = prepare_run_dir(cfg)
    seed_everything(cfg.seed)
    log.info(
        "training %s with loss=%s target_update=%s on %s (reward scale %g) -> %s",
        cfg.env.id,
        cfg.loss.name,
        cfg.target_update.name,
        settings.device,
        settings.reward_scale,
        run_dir,
    )

    train_env = make_env(
        cfg.env.id,
        seed=cfg.seed,
        reward_scale=settings.reward_scale,
        max_episode_steps=cfg.env.max_episode_steps,
    )
    eval_env = make_env(
        cfg.env.id,
        seed=cfg.seed + cfg.eval.seed_offset,
        max_episode_steps=cfg.env.max_episode_steps,
        device=settings.device,
    )
    agent = make_agent(
        cfg,
        observation_size=observation_size(train_env),
        action_spec=train_env.action_spec,
        device=settings.device,
    )
    buffer = make_replay_buffer(
        cfg.replay_buffer, batch_size=cfg.optim.batch_size, device=settings.device
    )
    collector = make_collector(cfg.collector, train_env, agent.actor, device=settings.device)
    writer = MetricsWriter(
        run_dir, {"train": TRAIN_COLUMNS, "eval": EVAL_COLUMNS, "time": TIME_COLUMNS}, cfg.logger
    )
    stored_keys = agent.loss.in_keys

    def run_evaluation() -> dict[str, float]:
        result = evaluate(
            eval_env,
            agent.actor,
            episodes=cfg.eval.episodes,
            max_steps=cfg.env.max_episode_steps,
        )
        return result.metrics()

    log_due, eval_due = Every(cfg.logger.every_frames), Every(cfg.eval.every_frames)
    frames = updates = 0
    window = TrainWindow()
    clock = Clock()
    final_return = float("nan")
    progress = make_progress_bar(cfg.collector.total_frames, enabled=cfg.progress)
    batches = iter(collector)
    try:
        while True:
            with clock.measure("collect"):
                batch = next(batches, None)
            if batch is None:
                break
            frames += batch.numel()
            buffer.extend(batch.select(*stored_keys))
            window.add_episodes(batch)

            with clock.measure("update"):
                owed = updates_owed(
                    frames,
                    init_random_frames=cfg.collector.init_random_frames,
                    utd_ratio=cfg.optim.utd_ratio,
                )
                while updates < owed:
                    window.add_losses(agent.gradient_step(buffer.sample()))
                    agent.target_updater.step()
                    updates += 1

            progress.update(batch.numel())
            last_frame = frames >= cfg.collector.total_frames
            if log_due(frames) or last_frame:
                writer.log(frames, {**window.metrics(updates), **clock.metrics(frames, updates)})
                window = TrainWindow()
            if cfg.eval.episodes and (eval_due(frames) or last_frame):
                with clock.measure("eval"):
                    eval_metrics = run_evaluation()
                writer.log(frames, eval_metrics)
                final_return = eval_metrics["eval/return_mean"]
                progress.set_postfix(eval_return=f"{final_return:.1f}")
    finally:
        progress.close()
        collector.shutdown()
        writer.close()
    path = save_weights(
        run_dir,
        {
            "actor": agent.actor.state_dict(),
            "loss": agent.loss.state_dict(),
            "frames": frames,
            "updates": updates,
        },
    )
    log.info("finished at %d frames, %d updates; weights in %s", frames, updates, path)
    return final_return


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
