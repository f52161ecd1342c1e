"""Snapshots: everything a run needs to continue exactly, written atomically and rotated."""

from __future__ import annotations

import logging
import os
import re
import shutil
import uuid
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torchrl.checkpoint import Checkpoint, CheckpointAdapter, GlobalRNGState
from torchrl.data import TensorDictReplayBuffer

from trl_sac.errors import SnapshotError, first_line
from trl_sac.runs import integrity
from trl_sac.runs.layout import SNAPSHOTS_DIR

if TYPE_CHECKING:
    from trl_sac.sac.agent import Agent
    from trl_sac.training.run_state import RunState

log = logging.getLogger(__name__)

PREFIX = "snapshot"
_NAME = re.compile(rf"^{PREFIX}-(\d+)$")
REPLAY_BUFFER = "replay_buffer"
VERSIONED_PACKAGES = ("trl-sac", "torch", "torchrl", "tensordict", "gymnasium", "mujoco")
# Hidden folders left by a process killed while writing or deleting a snapshot.
ABANDONED = (f".{PREFIX}-*.writing-*", f".{PREFIX}-*.deleting-*", f"..{PREFIX}-*.stage-*")


def make_checkpoint(
    agent: Agent,
    state: RunState,
    buffer: TensorDictReplayBuffer | None,
    buffer_adapter: CheckpointAdapter | None = None,
    *,
    envs: dict[str, Any] | None = None,
) -> Checkpoint:
    """The components of a snapshot, each saved through its state_dict (or the buffer's
    own dumps/loads): networks and targets, optimizer, target-update counter, RNGs,
    the loop's counters and open log window, the envs' states (`envs`, by name) and the
    replay buffer when given."""
    checkpoint = Checkpoint(
        loss=agent.loss,
        optimizer=agent.optimizer,
        target_updater=agent.target_updater,
        rng=ProcessRNGState(),
        run_state=state,
        **(envs or {}),
    )
    if buffer is not None:
        checkpoint.register(REPLAY_BUFFER, buffer, adapter=buffer_adapter)
    return checkpoint


class ProcessRNGState(GlobalRNGState):
    """The process's RNG states; a snapshot taken on a GPU machine also loads without one.

    The CUDA generators' states are then dropped (the resumed run is no longer
    bit-identical, which moving to another device makes it anyway).
    """

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        if "torch_cuda" in state_dict and not torch.cuda.is_available():
            log.warning("the snapshot's CUDA RNG states are dropped: no GPU here")
            state_dict = {key: value for key, value in state_dict.items() if key != "torch_cuda"}
        super().load_state_dict(state_dict)


def library_versions() -> dict[str, str]:
    versions = {}
    for package in VERSIONED_PACKAGES:
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = "unknown"
    return versions


def snapshot_paths(run_dir: Path) -> list[Path]:
    """The snapshot folders of `run_dir` by name, newest first, readable or not."""
    directory = run_dir / SNAPSHOTS_DIR
    if not directory.is_dir():
        return []
    found = [
        (int(match.group(1)), path)
        for path in directory.iterdir()
        if (match := _NAME.match(path.name))
    ]
    return [path for _, path in sorted(found, reverse=True)]


@dataclass(frozen=True)
class Restored:
    path: Path
    has_replay_buffer: bool


class SnapshotStore:
    """The `snapshots/` folder of a run: the newest `keep` readable snapshots, one folder each.

    TorchRL's Checkpoint writes each snapshot under a hidden name; it gets a record of
    its files' sizes and CRC32s and only then is renamed into place. A kill during a
    write therefore leaves the previous snapshots untouched, and a file truncated or
    damaged later is caught before loading. A damaged snapshot is never deleted: it is
    renamed `<name>.unreadable-<id>` and no longer counts towards `keep`. (TorchRL's
    CheckpointRotation would count and prune it like a good one, hence our own rotation.)
    """

    def __init__(self, run_dir: Path, keep: int) -> None:
        self.run_dir = run_dir
        self.directory = run_dir / SNAPSHOTS_DIR
        self.keep = keep

    def paths(self) -> list[Path]:
        """Snapshot folders by name, newest first, whether or not they are readable."""
        return snapshot_paths(self.run_dir)

    def save(self, checkpoint: Checkpoint, *, frames: int, metadata: dict[str, Any]) -> Path:
        self._remove_abandoned_writes()
        destination = self.directory / f"{PREFIX}-{frames:012d}"
        staged = self.directory / f".{destination.name}.writing-{uuid.uuid4().hex}"
        try:
            checkpoint.save(staged, metadata={**metadata, "versions": library_versions()})
            integrity.write_record(staged)
        except RuntimeError as error:  # torch.save reports a failed write (ENOSPC) this way
            shutil.rmtree(staged, ignore_errors=True)
            raise OSError(
                f"writing the snapshot {destination} failed: {first_line(error)}"
            ) from None
        if destination.exists():
            # Only a snapshot the restore skipped as unreadable can be in the way.
            self._set_aside(destination, "it was unreadable and a new one takes its name")
        os.replace(staged, destination)
        self._prune()
        return destination

    def restore_newest(self, checkpoint: Checkpoint, map_location: str | None = None) -> Restored:
        """Load the newest readable snapshot into `checkpoint`'s live components.

        An unreadable snapshot is reported with its path and the reason, and the next
        older one is tried; nothing is deleted. With none readable, SnapshotError.
        """
        failures = []
        for path in self.paths():
            try:
                integrity.verify(path)
                manifest = Checkpoint.manifest(path)
                wanted = set(checkpoint.components) & set(manifest["components"])
                checkpoint.load(path, components=wanted, map_location=map_location)
            except Exception as error:  # any unreadable file: report it, try an older one
                reason = first_line(error, limit=300)
                failures.append(f"{path}: {reason}")
                log.warning("snapshot %s is unreadable (%s); trying the previous one", path, reason)
                continue
            self._warn_on_version_change(manifest)
            return Restored(path=path, has_replay_buffer=REPLAY_BUFFER in wanted)
        raise SnapshotError(
            f"no readable snapshot in {self.directory} ({'; '.join(failures) or 'none found'}); "
            "pass restart=true to start over (the old run is moved aside)"
        )

    def _prune(self) -> None:
        """Keep the newest `keep` snapshots whose files are all there at their sizes."""
        readable = []
        for path in self.paths():
            try:
                integrity.verify(path, checksums=False)
            except integrity.Damaged as error:
                self._set_aside(path, first_line(error, limit=300))
                continue
            readable.append(path)
        for path in readable[self.keep :]:
            doomed = path.with_name(f".{path.name}.deleting-{uuid.uuid4().hex}")
            os.replace(path, doomed)
            shutil.rmtree(doomed)

    def _set_aside(self, snapshot: Path, reason: str) -> None:
        kept = snapshot.with_name(f"{snapshot.name}.unreadable-{uuid.uuid4().hex[:8]}")
        os.replace(snapshot, kept)
        log.warning("kept the unreadable snapshot %s as %s (%s)", snapshot, kept.name, reason)

    def _remove_abandoned_writes(self) -> None:
        if self.directory.is_dir():
            for pattern in ABANDONED:
                for path in self.directory.glob(pattern):
                    shutil.rmtree(path, ignore_errors=True)

    @staticmethod
    def _warn_on_version_change(manifest: dict[str, Any]) -> None:
        saved = manifest.get("metadata", {}).get("versions", {})
        now = library_versions()
        changed = [
            f"{name} {saved[name]} -> {now.get(name)}"
            for name in saved
            if saved[name] != now.get(name)
        ]
        if changed:
            log.warning("resuming with different library versions: %s", ", ".join(changed))
