"""The replay buffer: uniform sampling from the last `size` transitions, in memory or on disk."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig
from tensordict import TensorDict
from torchrl.checkpoint import CheckpointAdapter
from torchrl.data import LazyMemmapStorage, LazyTensorStorage, TensorDictReplayBuffer

STORAGES = ("tensor", "memmap")
MEMMAP_DIR = "replay_buffer"


def make_replay_buffer(
    cfg: DictConfig, *, batch_size: int, device: torch.device, run_dir: Path
) -> TensorDictReplayBuffer:
    """A tensor buffer lives on the training device, so sampling needs no host copy; a
    memmap buffer lives in files under `run_dir` and its samples are moved by the caller."""
    if "RL_LOGGING_LEVEL" not in os.environ:
        # The storage announces itself at INFO, in colour, on its first write, in every run
        # and test; trl-sac's own log names the run. RL_LOGGING_LEVEL=INFO brings it back.
        logging.getLogger("torchrl").setLevel(logging.WARNING)
    if cfg.storage == "memmap":
        storage = LazyMemmapStorage(cfg.size, scratch_dir=run_dir / MEMMAP_DIR, existsok=True)
    else:
        storage = LazyTensorStorage(cfg.size, device=device)
    return TensorDictReplayBuffer(storage=storage, batch_size=batch_size)


def snapshot_adapter(cfg: DictConfig) -> CheckpointAdapter | None:
    """How a snapshot stores the buffer: None lets TorchRL use the buffer's own dumps/loads."""
    return MemmapInPlaceAdapter() if cfg.storage == "memmap" else None


class MemmapInPlaceAdapter(CheckpointAdapter):
    """Snapshots a memmap buffer by reference: only its fill level and write cursor.

    The transitions already sit in files under the run directory; copying them into every
    snapshot would write the whole buffer again each time. On resume the files are
    reopened as they are. Slots the writer reached after the snapshot hold newer
    transitions than the snapshot saw; below the restored fill level that happens only
    once the buffer has wrapped around, and those slots are the next to be overwritten.
    """

    adapter_id = "trl_sac.memmap_in_place"
    metadata_file = "memmap_buffer.json"

    def save(
        self,
        component: TensorDictReplayBuffer,
        path: Path,
        *,
        args: tuple[Any, ...],
        kwargs: Mapping[str, Any],
    ) -> None:
        path.mkdir(parents=True, exist_ok=True)
        state = {"len": len(component.storage), "writer": component.writer.state_dict()}
        (path / self.metadata_file).write_text(json.dumps(state))

    def load(
        self,
        component: TensorDictReplayBuffer,
        path: Path,
        *,
        map_location: Any,
        tensor_load_kwargs: Mapping[str, Any],
        args: tuple[Any, ...],
        kwargs: Mapping[str, Any],
    ) -> None:
        state = json.loads((path / self.metadata_file).read_text())
        storage = component.storage
        scratch_dir = Path(storage.scratch_dir)
        if state["len"]:
            if not (scratch_dir / "meta.json").exists():
                raise FileNotFoundError(f"the memmap replay buffer {scratch_dir} is missing")
            # TorchRL reopens a memmap storage in place only through its own dumps
            # directory layout; here the files are the storage itself, so attach them.
            storage._storage = TensorDict.load_memmap(scratch_dir)
            storage.initialized = True
        storage._len = state["len"]
        component.writer.load_state_dict(state["writer"])
