"""The non-finite guard: stop a run whose losses or parameters became NaN or infinite."""

from __future__ import annotations

import torch
from torch import nn

from trl_sac.errors import Diverged
from trl_sac.training.tracking import TrainWindow


def nonfinite_parameters(module: nn.Module) -> list[str]:
    """Names of `module`'s parameters and buffers holding a NaN or infinity."""
    tensors = dict(module.named_parameters())
    tensors.update(
        (name, buffer) for name, buffer in module.named_buffers() if buffer.is_floating_point()
    )
    finite = torch.stack([tensor.isfinite().all() for tensor in tensors.values()])
    if bool(finite.all()):  # one device sync for the common case
        return []
    return [name for name, ok in zip(tensors, finite.tolist(), strict=True) if not ok]


def check_finite(window: TrainWindow, module: nn.Module, *, frames: int) -> None:
    """Raise Diverged naming the first non-finite loss (or parameter) at `frames`."""
    losses = window.nonfinite_losses()
    if losses:
        raise Diverged(
            f"{', '.join(losses)} became NaN or infinite in the {window.loss_count} updates "
            f"before frame {frames}"
        )
    parameters = nonfinite_parameters(module)
    if parameters:
        raise Diverged(f"parameter {parameters[0]} became NaN or infinite by frame {frames}")
