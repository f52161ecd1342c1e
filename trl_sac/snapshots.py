"""Snapshots: everything a run needs to continue exactly, written atomically and rotated."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import uuid
import zlib
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import torch
from torchrl.checkpoint import Checkpoint, CheckpointRotation, GlobalRNGState
from torchrl.data import TensorDictReplayBuffer

from trl_sac.agent import Agent
from trl_sac.errors import SnapshotError
from trl_sac.run_state import RunState

log = logging.getLogger(__name__)

SNAPSHOTS_DIR = "snapshots"
PREFIX = "snapshot"
_NAME = re.compile(rf"^{PREFIX}-(\d+)$")
REPLAY_BUFFER = "replay_buffer"
INTEGRITY_FILE = "integrity.json"
VERSIONED_PACKAGES = ("trl-sac", "torch", "torchrl", "tensordict", "gymnasium", "mujoco")


def make_checkpoint(
    agent: Agent,
    state: RunState,
    buffer: TensorDictReplayBuffer | None,
    buffer_adapter: Any = None,
) -> Checkpoint:
    """The components of a snapshot, each saved through its state_dict (or the buffer's
    own dumps/loads): networks and targets, optimizer, target-update counter, RNGs,
    the loop's counters and open log window, and the replay buffer when given."""
    checkpoint = Checkpoint(
        loss=agent.loss,
        optimizer=agent.optimizer,
        target_updater=agent.target_updater,
        rng=ProcessRNGState(),
        run_state=state,
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


def cpu_map_location() -> dict[str, str] | None:
    """Where tensors saved on a GPU go when this machine has none: the CPU."""
    if torch.cuda.is_available():
        return None
    return {f"cuda:{index}": "cpu" for index in range(64)} | {"cuda": "cpu"}


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
    frames: int
    has_replay_buffer: bool


class SnapshotStore:
    """The `snapshots/` folder of a run: the newest `keep` snapshots, one folder each.

    Each snapshot is written under a hidden name, given a record of its files' sizes and
    CRC32s, and only then renamed into place: a kill during a write leaves the previous
    snapshots untouched, and a file truncated or damaged later is caught before loading
    (TorchRL reads a short memory-mapped file without complaint).
    """

    def __init__(self, run_dir: Path, keep: int) -> None:
        self.directory = run_dir / SNAPSHOTS_DIR
        self._rotation = CheckpointRotation(self.directory, keep_last=keep, prefix=PREFIX)

    def paths(self) -> list[Path]:
        """Snapshot folders by name, newest first, whether or not they are readable."""
        return snapshot_paths(self.directory.parent)

    def save(self, checkpoint: Checkpoint, *, frames: int, metadata: dict[str, Any]) -> Path:
        self._remove_abandoned_writes()
        destination = self.directory / f"{PREFIX}-{frames:012d}"
        staged = self.directory / f".{destination.name}.writing-{uuid.uuid4().hex}"
        checkpoint.save(staged, metadata={**metadata, "versions": library_versions()})
        write_integrity_record(staged)
        if destination.exists():
            self._set_aside(destination)
        os.replace(staged, destination)
        self._rotation.prune()
        return destination

    def restore_newest(self, checkpoint: Checkpoint) -> Restored:
        """Load the newest readable snapshot into `checkpoint`'s live components.

        An unreadable snapshot is reported with its path and the next older one is
        tried; nothing is deleted. With none readable, SnapshotError says so.
        """
        paths = self.paths()
        failures = []
        for path in paths:
            try:
                verify_integrity(path)
                manifest = Checkpoint.manifest(path)
                stored = set(manifest["components"])
                wanted = set(checkpoint.components) & stored
                checkpoint.load(path, components=wanted, map_location=cpu_map_location())
            except Exception as error:  # any unreadable file: report it, try an older one
                reason = _first_line(error)
                failures.append(f"{path}: {reason}")
                log.warning("snapshot %s is unreadable (%s); trying the previous one", path, reason)
                continue
            self._warn_on_version_change(manifest)
            return Restored(
                path=path,
                frames=int(manifest["metadata"]["frames"]),
                has_replay_buffer=REPLAY_BUFFER in wanted,
            )
        raise SnapshotError(
            f"no readable snapshot in {self.directory} ({'; '.join(failures) or 'none found'}); "
            "pass restart=true to start over (the old run is moved aside)"
        )

    def _set_aside(self, snapshot: Path) -> None:
        """Make room at `snapshot`'s name (a resumed run reaching the same frame again):
        a readable one is deleted, an unreadable one kept as `<name>.unreadable`."""
        try:
            verify_integrity(snapshot)
        except OSError:
            kept = snapshot.with_name(f"{snapshot.name}.unreadable-{uuid.uuid4().hex[:8]}")
            os.replace(snapshot, kept)
            log.warning("kept the unreadable snapshot %s as %s", snapshot, kept)
            return
        tombstone = self.directory / f".{snapshot.name}.replaced-{uuid.uuid4().hex}"
        os.replace(snapshot, tombstone)
        shutil.rmtree(tombstone)

    def _remove_abandoned_writes(self) -> None:
        """Delete the hidden folders a process killed while writing (or deleting) a
        snapshot leaves behind; they are never read as snapshots."""
        if self.directory.is_dir():
            for pattern in (
                f".{PREFIX}-*.writing-*",
                f".{PREFIX}-*.replaced-*",
                f".{PREFIX}-*.delete-*",
                f"..{PREFIX}-*.stage-*",
            ):
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


def write_integrity_record(snapshot: Path) -> None:
    """Record the size and CRC32 of every file of `snapshot`."""
    record = {
        path.relative_to(snapshot).as_posix(): [path.stat().st_size, _crc32(path)]
        for path in sorted(snapshot.rglob("*"))
        if path.is_file()
    }
    (snapshot / INTEGRITY_FILE).write_text(json.dumps(record, indent=0))


def verify_integrity(snapshot: Path) -> None:
    """Raise naming the first file of `snapshot` that is missing, short or altered."""
    record_path = snapshot / INTEGRITY_FILE
    if not record_path.is_file():
        raise FileNotFoundError(f"{record_path} is missing")
    for name, (size, crc) in json.loads(record_path.read_text()).items():
        path = snapshot / name
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing")
        actual = path.stat().st_size
        if actual != size:
            raise OSError(f"{path} is truncated or altered ({actual} bytes, expected {size})")
        if _crc32(path) != crc:
            raise OSError(f"{path} is corrupt (checksum mismatch)")


def _crc32(path: Path) -> int:
    crc = 0
    with path.open("rb") as file:
        while chunk := file.read(1 << 22):
            crc = zlib.crc32(chunk, crc)
    return crc


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:300]
