"""Room on disk for a run's next writes: its buffer, snapshots and final weights."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from omegaconf import DictConfig
from torchrl.data import TensorDictReplayBuffer

from trl_sac.rollout.replay_buffer import MEMMAP_DIR
from trl_sac.runs.disk import allocated_bytes, check_room, tensor_bytes
from trl_sac.runs.layout import SNAPSHOTS_DIR
from trl_sac.runs.snapshots import SnapshotStore
from trl_sac.sac.agent import Agent


class DiskRoom:
    """What the run is about to write, against what its disk has left (runs/disk.py).

    Sizes come from the tensors themselves: the networks, the optimizer's moments and,
    when snapshots hold it, the replay buffer at its full size (its storage is written
    whole). Checked once the first transitions exist, then before every snapshot and the
    final weights, so a run that could never snapshot stops within seconds.
    """

    def __init__(
        self,
        cfg: DictConfig,
        agent: Agent,
        buffer: TensorDictReplayBuffer,
        snapshots: SnapshotStore,
        last_snapshot: Callable[[], Path | None],
    ) -> None:
        self.cfg, self.agent, self.buffer, self.snapshots = cfg, agent, buffer, snapshots
        self.last_snapshot = last_snapshot
        self.run_dir = Path(cfg.run_dir)
        self.checked_at_start = False

    def model_bytes(self) -> int:
        """The networks and targets, and Adam's two moments per trained parameter (counted
        from the parameters before the first step has created them)."""
        optimizer = self.agent.optimizer
        moments = tensor_bytes(optimizer.state_dict()["state"]) or 2 * sum(
            parameter.nbytes for group in optimizer.param_groups for parameter in group["params"]
        )
        return tensor_bytes(self.agent.loss.state_dict()) + moments

    def buffer_bytes(self) -> int:
        """The replay buffer's storage when full (nothing before its first transition)."""
        if not len(self.buffer):
            return 0
        return self.buffer[0:1].bytes() * self.cfg.replay_buffer.size

    def snapshot_bytes(self) -> int:
        in_snapshot = self.cfg.snapshot.replay_buffer and self.cfg.replay_buffer.storage == "tensor"
        return self.model_bytes() + (self.buffer_bytes() if in_snapshot else 0)

    def kept(self) -> str:
        last = self.last_snapshot() or next(iter(self.snapshots.paths()), None)
        return f"the last snapshot is kept: {last}" if last else "no snapshot was written yet"

    def check_at_start(self) -> None:
        """Room for the memory-mapped buffer to fill and for one snapshot."""
        if self.checked_at_start or not len(self.buffer):
            return
        self.checked_at_start = True
        needed = self.snapshot_bytes()
        if self.cfg.replay_buffer.storage == "memmap":
            on_disk = allocated_bytes(self.run_dir / MEMMAP_DIR)
            needed += max(0, self.buffer_bytes() - on_disk)
        what = "this run's snapshots and replay buffer"
        check_room(self.run_dir, needed, what, self.kept())

    def check_snapshot(self, frames: int) -> None:
        what = f"the snapshot at frame {frames}"
        check_room(self.snapshots.run_dir / SNAPSHOTS_DIR, self.snapshot_bytes(), what, self.kept())

    def check_weights(self) -> None:
        check_room(self.run_dir, self.model_bytes(), "the final weights", self.kept())
