"""Environment interaction: env steps into the replay buffer, by TorchRL's Collector or directly."""

from __future__ import annotations

from collections.abc import Iterator

import torch
from omegaconf import DictConfig
from torchrl.collectors import Collector
from torchrl.data import TensorDictReplayBuffer
from torchrl.envs import TransformedEnv
from torchrl.modules import ProbabilisticActor

from trl_sac.rollout.direct_collection import Collected, DirectCollector
from trl_sac.sac.networks import policy_network


class CollectorIntoBuffer:
    """TorchRL's Collector, each batch written into the replay buffer (collector.direct=false)."""

    def __init__(self, collector: Collector, buffer: TensorDictReplayBuffer, keys: list) -> None:
        self.collector, self.buffer, self.keys = collector, buffer, keys

    def __iter__(self) -> Iterator[Collected]:
        for batch in self.collector:
            self.buffer.extend(batch.select(*self.keys))
            done = batch["next", "done"].squeeze(-1)
            yield Collected(
                frames=batch.numel(),
                episode_returns=batch["next", "episode_reward"][done].squeeze(-1).tolist(),
                episode_lengths=batch["next", "step_count"][done].squeeze(-1).tolist(),
            )

    def shutdown(self) -> None:
        self.collector.shutdown()


def make_collector(
    cfg: DictConfig,
    env: TransformedEnv,
    actor: ProbabilisticActor,
    buffer: TensorDictReplayBuffer,
    buffer_keys: list,
    *,
    device: torch.device,
    total_frames: int | None = None,
    init_random_frames: int | None = None,
) -> DirectCollector | CollectorIntoBuffer:
    """Steps `env` (on the CPU, where MuJoCo runs) with `actor` (on `device`) and writes each
    transition's `buffer_keys` into `buffer`, yielding a `Collected` per batch.

    The first `cfg.init_random_frames` steps take uniform-random actions. A resumed run
    passes what is left of both budgets. `cfg.direct` picks DirectCollector (the same
    transitions, a fraction of the time per step) over TorchRL's Collector.
    """
    if init_random_frames is None:
        init_random_frames = cfg.init_random_frames
    if total_frames is None:
        total_frames = cfg.total_frames
    if cfg.direct:
        return DirectCollector(
            env,
            policy_network(actor),
            buffer,
            buffer_keys,
            frames_per_batch=cfg.frames_per_batch,
            total_frames=total_frames,
            init_random_frames=init_random_frames,
            device=device,
        )
    collector = Collector(
        env,
        actor,
        frames_per_batch=cfg.frames_per_batch,
        total_frames=total_frames,
        init_random_frames=init_random_frames,
        policy_device=device,
        env_device="cpu",
        storing_device="cpu",
        # The policy reads observations only; it needs no extra env transforms.
        auto_register_policy_transforms=False,
    )
    return CollectorIntoBuffer(collector, buffer, buffer_keys)
