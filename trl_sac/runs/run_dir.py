"""The run directory: its layout, and what happens when a command finds it already used."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig, OmegaConf

from trl_sac.errors import RunDirError, SnapshotError, first_line
from trl_sac.files import replaced_atomically, unwritable_reason
from trl_sac.runs.layout import (
    CONFIG_FILE,
    METRICS_DIR,
    RESUMABLE_CHANGES,
    SNAPSHOTS_DIR,
    WEIGHTS_FILE,
    flatten_config,
)
from trl_sac.runs.snapshots import snapshot_paths

log = logging.getLogger(__name__)


def check_writable(run_dir: Path) -> None:
    """Refuse a run directory that cannot be created or written, before anything runs."""
    reason = unwritable_reason(run_dir)
    if reason is not None:
        raise RunDirError(f"run_dir {run_dir} {reason}")


def prepare_run_dir(cfg: DictConfig) -> tuple[Path, bool]:
    """Create or reopen `cfg.run_dir`; return it and whether it holds a run to resume.

    A used run directory is resumed when it has snapshots, moved aside when
    `restart=true`, and otherwise refused: nothing is silently overwritten.
    """
    run_dir = Path(cfg.run_dir)
    used = (run_dir / METRICS_DIR).exists() or (run_dir / SNAPSHOTS_DIR).exists()
    if used and cfg.restart:
        moved_to = _move_aside(run_dir)
        log.info("restart=true: moved the previous run to %s", moved_to)
        used = False
    if used and not snapshot_paths(run_dir):
        if not _stopped_before_its_first_snapshot(run_dir):
            raise SnapshotError(
                f"run_dir {run_dir} holds a run with no snapshot to resume from; "
                "pass restart=true to start it over (the old run is moved aside) "
                "or choose another run_dir="
            )
        # Nothing to resume and nothing lost: the same command recomputes those frames
        # exactly, so a run killed early simply starts again.
        log.warning("run_dir %s was stopped before its first snapshot: starting it again", run_dir)
        for path in (run_dir / METRICS_DIR).glob("*"):
            if path.is_file():
                path.unlink()
        used = False
    if used:
        check_resumable(OmegaConf.load(run_dir / CONFIG_FILE), cfg, run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    with replaced_atomically(run_dir / CONFIG_FILE) as partial:
        OmegaConf.save(cfg, partial, resolve=True)
    return run_dir, used


def _stopped_before_its_first_snapshot(run_dir: Path) -> bool:
    """Whether the run in `run_dir` never got as far as its first snapshot (and wrote no
    final weights): its metrics end before `snapshot.every_frames`."""
    try:
        every = int(OmegaConf.load(run_dir / CONFIG_FILE).snapshot.every_frames)
    except Exception:  # no readable config: not a run this check can vouch for
        return False
    if (run_dir / WEIGHTS_FILE).exists():
        return False
    for table in (run_dir / METRICS_DIR).glob("*.csv"):
        lines = table.read_text().splitlines()[1:]
        frames = [line.split(",", 1)[0] for line in lines]
        if any(not value.isdigit() or int(value) >= every for value in frames):
            return False
    return True


def check_resumable(saved: DictConfig, current: DictConfig, run_dir: Path) -> None:
    """Refuse to resume a run under settings that change the experiment."""
    before, after = (
        flatten_config(saved),
        flatten_config(OmegaConf.to_container(current, resolve=True)),
    )
    changed = [
        key
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key) and not key.startswith(RESUMABLE_CHANGES)
    ]
    if changed:
        shown = ", ".join(
            f"{key}: {before.get(key)!r} -> {after.get(key)!r}" for key in changed[:4]
        )
        raise SnapshotError(
            f"run_dir {run_dir} was trained with other settings ({shown}); resume with the "
            "same settings, pass restart=true, or choose another run_dir="
        )


def save_weights(run_dir: Path, weights: dict[str, Any]) -> Path:
    """Write `weights` (state_dicts and counters) atomically: a partial file never
    replaces a good one."""
    path = run_dir / WEIGHTS_FILE
    try:
        with replaced_atomically(path) as partial:
            torch.save(weights, partial)
    except RuntimeError as error:  # torch.save reports a failed write (ENOSPC) this way
        raise OSError(f"writing {path} failed: {first_line(error)}") from None
    return path


def saved_weights_frames(run_dir: Path) -> int | None:
    """The frame count `weights.pt` was written at, or None when there is none to read."""
    try:
        return int(torch.load(run_dir / WEIGHTS_FILE, weights_only=True)["frames"])
    except Exception:  # missing or unreadable: either way it must be written again
        return None


def _move_aside(run_dir: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = run_dir.with_name(f"{run_dir.name}.replaced-{stamp}")
    suffix = 1
    while target.exists():
        suffix += 1
        target = run_dir.with_name(f"{run_dir.name}.replaced-{stamp}-{suffix}")
    run_dir.rename(target)
    return target
