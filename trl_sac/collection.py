"""Environment interaction through TorchRL's single-process collector."""

from __future__ import annotations

import torch
from omegaconf import DictConfig
from torchrl.collectors import Collector
from torchrl.envs import EnvBase
from torchrl.modules import ProbabilisticActor


def make_collector(
    cfg: DictConfig,
    env: EnvBase,
    policy: ProbabilisticActor,
    *,
    device: torch.device,
    total_frames: int | None = None,
    init_random_frames: int | None = None,
) -> Collector:
    """Steps `env` (on the CPU, where MuJoCo runs) with `policy` (on `device`).

    The first `cfg.init_random_frames` steps take uniform-random actions. Batches
    come back on the CPU; the replay buffer moves them to its own device. A resumed
    run passes what is left of both budgets.
    """
    if init_random_frames is None:
        init_random_frames = cfg.init_random_frames
    return Collector(
        env,
        policy,
        frames_per_batch=cfg.frames_per_batch,
        total_frames=total_frames if total_frames is not None else cfg.total_frames,
        init_random_frames=init_random_frames,
        policy_device=device,
        env_device="cpu",
        storing_device="cpu",
        # The policy reads observations only; it needs no extra env transforms.
        auto_register_policy_transforms=False,
    )
