"""The replay buffer: uniform sampling from the last `size` transitions."""

from __future__ import annotations

import torch
from omegaconf import DictConfig
from torchrl.data import LazyTensorStorage, TensorDictReplayBuffer


def make_replay_buffer(
    cfg: DictConfig, *, batch_size: int, device: torch.device
) -> TensorDictReplayBuffer:
    """A buffer stored on the training device, so sampling needs no host copy."""
    return TensorDictReplayBuffer(
        storage=LazyTensorStorage(cfg.size, device=device),
        batch_size=batch_size,
    )
