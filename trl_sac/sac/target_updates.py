"""Target-network updates: Polyak averaging or a periodic hard copy."""

from __future__ import annotations

from omegaconf import DictConfig
from torchrl.objectives import HardUpdate, SoftUpdate, TargetNetUpdater
from torchrl.objectives.common import LossModule


def make_soft_update(cfg: DictConfig, loss: LossModule) -> SoftUpdate:
    return SoftUpdate(loss, tau=cfg.tau)


def make_hard_update(cfg: DictConfig, loss: LossModule) -> HardUpdate:
    # TorchRL's HardUpdate copies on call interval + 1 (a counter that runs 0..interval);
    # the paper copies every `interval` gradient steps, so pass one less.
    return HardUpdate(loss, value_network_update_interval=cfg.interval - 1)


TARGET_UPDATES = {"soft": make_soft_update, "hard": make_hard_update}


def make_target_updater(cfg: DictConfig, loss: LossModule) -> TargetNetUpdater:
    """The updater named by `cfg.name`; call its `.step()` after every gradient step."""
    return TARGET_UPDATES[cfg.name](cfg, loss)
