"""Which torch device a run uses."""

from __future__ import annotations

import torch

from trl_sac.errors import ConfigError


def resolve_device(name: str) -> torch.device:
    """Map `auto`, `cpu` or `cuda` onto a torch device that exists on this machine."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cpu":
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ConfigError(f"device={name} but no CUDA GPU is visible; use device=cpu or auto")
        device = torch.device(name)
        # An explicit index, so the collector sees the policy's device as its own and
        # does not copy the policy.
        return (
            device
            if device.index is not None
            else torch.device("cuda", torch.cuda.current_device())
        )
    raise ConfigError(f"device={name!r} is not one of auto, cpu, cuda")
