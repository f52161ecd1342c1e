"""The training loop: collect -> store -> update -> log -> evaluate -> snapshot, resumable."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import torch
from omegaconf import DictConfig, OmegaConf
from torchrl.checkpoint import Checkpoint, GlobalRNGState
from torchrl.data import TensorDictReplayBuffer
from torchrl.envs import EnvBase
from tqdm import tqdm

from trl_sac.errors import Diverged, Interrupted
from trl_sac.evaluation.episodes import evaluate
from trl_sac.evaluation.rendering import choose_gl_backend
from trl_sac.mujoco_gl import set_aside_backend
from trl_sac.progress import make_progress_bar
from trl_sac.reporting.formatting import duration_text
from trl_sac.rollout.collection import make_collector
from trl_sac.rollout.direct_collection import Collected
from trl_sac.rollout.envs import make_env
from trl_sac.runs.interrupts import StopRequests
from trl_sac.runs.layout import VIDEOS_DIR
from trl_sac.runs.lock import RunDirLock
from trl_sac.runs.run_dir import check_writable, prepare_run_dir, save_weights, saved_weights_frames
from trl_sac.runs.snapshots import SnapshotStore
from trl_sac.sac.agent import Agent
from trl_sac.training.disk_room import DiskRoom
from trl_sac.training.guards import check_finite
from trl_sac.training.learner import make_learner
from trl_sac.training.metrics import MetricsWriter
from trl_sac.training.run_state import RunState
from trl_sac.training.schedule import Every
from trl_sac.training.schema import typed_config
from trl_sac.training.settings import RunSettings, resolve_settings
from trl_sac.training.tracking import TrainWindow

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
    "time/sample_s",
    "time/update_s",
    "time/eval_s",
    "time/snapshot_s",
)


def train(cfg: DictConfig) -> float:
    """Train SAC as `cfg` says; return the final evaluation's mean return (NaN if none).

    On a run directory that holds a run, continue it from its newest snapshot.
    """
    cfg = typed_config(cfg)
    settings = resolve_settings(cfg)
    if cfg.eval.video:
        choose_gl_backend()  # before the run dir is touched: no renderer, no run
    elif set_aside_backend() is not None:
        log.warning("%s; this run does not render and goes on without it", set_aside_backend())
    check_writable(Path(cfg.run_dir))
    with RunDirLock(Path(cfg.run_dir)):
        return _train_locked(cfg, settings)


def _train_locked(cfg: DictConfig, settings: RunSettings) -> float:
    device = settings.device
    run_dir, resuming = prepare_run_dir(cfg)
    seed_everything(cfg.seed)

    eval_env = make_env(
        cfg.env.id,
        seed=cfg.seed + cfg.eval.seed_offset,
        max_episode_steps=cfg.env.max_episode_steps,
        device=device,
        render_size=tuple(cfg.eval.video_size) if cfg.eval.video else None,
    )
    agent, buffer, state, checkpoint, train_env_state = make_learner(cfg, eval_env, run_dir, device)
    snapshots = SnapshotStore(run_dir, keep=cfg.snapshot.keep)
    resumed_frames = resumed_from = None
    if resuming:
        # Tensors saved on a GPU load onto the CPU when this machine has none.
        map_location = None if torch.cuda.is_available() else "cpu"
        restored = snapshots.restore_newest(checkpoint, map_location=map_location)
        resumed_frames, resumed_from = state.frames, restored.path
        log.info("resuming %s from frame %d (snapshot %s)", run_dir, state.frames, restored.path)
        if not restored.has_replay_buffer:
            buffer.empty()  # in case an unreadable newer snapshot had half-filled it
            state.restart_learning_after(
                max(cfg.collector.init_random_frames, cfg.optim.batch_size)
            )
    else:
        log.info(
            "training %s with loss=%s target_update=%s on %s, %d torch thread%s "
            "(reward scale %g) -> %s",
            cfg.env.id,
            cfg.loss.name,
            cfg.target_update.name,
            device,
            torch.get_num_threads(),
            "" if torch.get_num_threads() == 1 else "s",
            settings.reward_scale,
            run_dir,
        )

    remaining = cfg.collector.total_frames - state.frames
    if remaining <= 0:
        log.warning("%s is already complete at %d frames", run_dir, state.frames)
        if saved_weights_frames(run_dir) != state.frames:  # stopped after the last snapshot
            write_weights(run_dir, agent, state)
        return state.final_return

    # Building the env and collector draws random numbers; a resumed run must continue
    # from exactly the generator state its snapshot recorded.
    rng_state = GlobalRNGState().state_dict()
    train_env = make_env(
        cfg.env.id,
        seed=train_env_seed(cfg.seed, state.frames),
        reward_scale=settings.reward_scale,
        max_episode_steps=cfg.env.max_episode_steps,
    )
    collector = make_collector(
        cfg.collector,
        train_env,
        agent.actor,
        buffer,
        agent.loss.in_keys,
        device=device,
        total_frames=remaining,
        init_random_frames=max(0, cfg.collector.init_random_frames - state.frames),
    )
    GlobalRNGState().load_state_dict(rng_state)
    if not train_env_state.attach(collector) and resuming:
        # The learner goes on exactly; the rest of the run differs from an unbroken one.
        log.warning(
            "the training env starts a fresh episode at frame %d: %s",
            state.frames,
            "TorchRL's Collector (collector.direct=false) keeps its episode to itself"
            if not cfg.collector.direct
            else "the snapshot holds no training env (it predates exact env resume)",
        )
    writer = MetricsWriter(
        run_dir,
        {"train": TRAIN_COLUMNS, "eval": EVAL_COLUMNS, "time": TIME_COLUMNS},
        cfg.logger,
        resume_frames=resumed_frames,
    )
    loop = TrainingLoop(
        cfg, agent, buffer, state, writer, checkpoint, snapshots, eval_env, device, resumed_from
    )
    try:
        loop.run(collector)
    finally:
        collector.shutdown()
        writer.close()
    loop.room.check_weights()
    path = write_weights(run_dir, agent, state)
    log.info("finished at %d frames, %d updates; weights in %s", state.frames, state.updates, path)
    return state.final_return


def write_weights(run_dir: Path, agent: Agent, state: RunState) -> Path:
    return save_weights(
        run_dir,
        {
            "actor": agent.actor.state_dict(),
            "loss": agent.loss.state_dict(),
            "frames": state.frames,
            "updates": state.updates,
        },
    )


class TrainingLoop:
    """One pass over the collector, with the run's schedules, guard and stop requests."""

    def __init__(
        self,
        cfg: DictConfig,
        agent: Agent,
        buffer: TensorDictReplayBuffer,
        state: RunState,
        writer: MetricsWriter,
        checkpoint: Checkpoint,
        snapshots: SnapshotStore,
        eval_env: EnvBase,
        device: torch.device,
        resumed_from: Path | None = None,
    ) -> None:
        self.cfg, self.agent, self.buffer, self.state = cfg, agent, buffer, state
        self.writer, self.checkpoint, self.snapshots = writer, checkpoint, snapshots
        self.eval_env, self.device = eval_env, device
        self.last_snapshot = resumed_from
        self.last_snapshot_frames = state.frames if resumed_from else None
        self.log_due = Every(cfg.logger.every_frames, after=state.reported_frames)
        self.eval_due = Every(cfg.eval.every_frames, after=state.reported_frames)
        self.snapshot_due = Every(cfg.snapshot.every_frames, after=state.frames)
        # Read on every step: a config lookup costs about 15 us, a fifth of a collected step.
        self.total_frames = cfg.collector.total_frames
        self.utd_ratio = cfg.optim.utd_ratio
        self.evaluates = cfg.eval.episodes > 0
        self.room = DiskRoom(cfg, agent, buffer, snapshots, lambda: self.last_snapshot)

    def run(self, collector: Iterable[Collected]) -> None:
        cfg, state = self.cfg, self.state
        progress = make_progress_bar(cfg.collector.total_frames, enabled=cfg.progress)
        progress.update(state.frames)
        batches = iter(collector)
        try:
            with StopRequests() as stop:
                # A run stopped by a signal snapshots at once, possibly with gradient
                # steps owed and its last frame unreported: those come first, in the
                # order an uninterrupted run would have taken them.
                self.update_and_report(stop, progress)
                while True:
                    # Env steps and their writes into the replay buffer.
                    with state.clock.measure("collect"):
                        collected = next(batches, None)
                    if collected is None:
                        break
                    state.frames += collected.frames
                    self.room.check_at_start()
                    state.window.add_episodes(collected.episode_returns, collected.episode_lengths)
                    progress.update(collected.frames)
                    self.update_and_report(stop, progress)
                    last_frame = state.frames >= self.total_frames
                    if self.snapshot_due(state.frames) or last_frame:
                        self.save_snapshot()
                    if stop.signum is not None:
                        self.stop(stop.signum)
        finally:
            progress.close()

    def update_and_report(self, stop: StopRequests, progress: tqdm) -> None:
        self.update(stop)
        if stop.signum is not None:  # before a possibly long evaluation
            self.stop(stop.signum)
        state = self.state
        if state.reported_frames < state.frames:
            self.report(progress, last_frame=state.frames >= self.total_frames)
            state.reported_frames = state.frames

    def update(self, stop: StopRequests) -> None:
        state, agent = self.state, self.agent
        with state.clock.measure("update"):
            owed = state.updates_owed(self.utd_ratio)
            while state.updates < owed and stop.signum is None:
                with state.clock.measure("sample"):
                    batch = self.buffer.sample().to(self.device)
                state.window.add_losses(agent.gradient_step(batch))
                agent.target_updater.step()
                state.updates += 1

    def report(self, progress: tqdm, last_frame: bool) -> None:
        state = self.state
        if self.log_due(state.frames) or last_frame:
            row = {
                **state.window.metrics(state.updates),
                **state.clock.metrics(state.frames, state.updates),
            }
            self.writer.log(state.frames, row)
            self.check_finite()
            state.window = TrainWindow()
        if self.evaluates and (self.eval_due(state.frames) or last_frame):
            with state.clock.measure("eval"):
                # The same start states at every evaluation: curves compare like with like,
                # and a resumed run evaluates exactly as an uninterrupted one.
                self.eval_env.set_seed(self.cfg.seed + self.cfg.eval.seed_offset)
                result = evaluate(
                    self.eval_env,
                    self.agent.actor,
                    episodes=self.cfg.eval.episodes,
                    max_steps=self.cfg.env.max_episode_steps,
                    video=self.video_path(state.frames) if self.cfg.eval.video else None,
                )
            metrics = result.metrics()
            self.writer.log(state.frames, metrics)
            state.final_return = metrics["eval/return_mean"]
            progress.set_postfix(eval_return=f"{state.final_return:.1f}")
            if progress.disable:  # no bar (parallel runs, a log file): one line instead
                log.info(
                    "%s: %d/%d frames, eval return %.1f, %s elapsed",
                    Path(self.cfg.run_dir).name,
                    state.frames,
                    self.total_frames,
                    state.final_return,
                    duration_text(time.perf_counter() - state.clock.start),
                )

    def video_path(self, frames: int) -> Path:
        return Path(self.cfg.run_dir) / VIDEOS_DIR / f"eval-frames{frames:012d}.mp4"

    def check_finite(self) -> None:
        try:
            check_finite(self.state.window, self.agent.loss, frames=self.state.frames)
        except Diverged as error:
            kept = self.last_snapshot or next(iter(self.snapshots.paths()), "none written yet")
            raise Diverged(
                f"{error}; training stopped, the last good snapshot is kept: {kept}"
            ) from None

    def save_snapshot(self) -> Path:
        state = self.state
        if self.last_snapshot_frames == state.frames:
            return self.last_snapshot
        self.check_finite()
        self.room.check_snapshot(state.frames)
        with state.clock.measure("snapshot"):
            began = time.perf_counter()
            self.last_snapshot = self.snapshots.save(
                self.checkpoint,
                frames=state.frames,
                metadata={
                    "frames": state.frames,
                    "updates": state.updates,
                    "config": OmegaConf.to_container(self.cfg, resolve=True),
                },
            )
        log.info(
            "snapshot at frame %d -> %s (%.2f s)",
            state.frames,
            self.last_snapshot,
            time.perf_counter() - began,
        )
        self.last_snapshot_frames = state.frames
        return self.last_snapshot

    def stop(self, signum: int) -> None:
        path = self.save_snapshot()
        raise Interrupted(
            signum,
            f"stopped at frame {self.state.frames}; snapshot {path}. "
            "Run the same command again to resume.",
        )


def train_env_seed(seed: int, frames: int) -> int:
    """The training env's seed: `seed` for a fresh run, a distinct one for each resume point."""
    if frames == 0:
        return seed
    return int(np.random.SeedSequence([seed, frames]).generate_state(1)[0])


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
