"""Room on disk for what a run writes, checked before it is written.

A full disk must stop a run with one line, not a crash part-way through a write: the replay
buffer and snapshots are written through memory maps, and a memory map the disk cannot back
kills the process with SIGBUS, whatever Python would have caught.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from trl_sac.errors import OutOfSpace
from trl_sac.files import nearest_existing

# Headroom for what the estimate leaves out: metadata, checksums, file system blocks.
MARGIN = 1.05
SLACK_BYTES = 1 << 20


def free_bytes(path: Path) -> int:
    """Free bytes on the filesystem that holds `path` (or would, once it is created)."""
    return shutil.disk_usage(nearest_existing(path)).free


def check_room(path: Path, needed: int, what: str, kept: str) -> None:
    """Raise OutOfSpace, naming path, bytes needed and bytes free, unless `needed` fits."""
    needed = int(needed * MARGIN) + SLACK_BYTES
    free = free_bytes(path)
    if free < needed:
        raise OutOfSpace(
            f"no room for {what} in {path}: it needs {needed} bytes ({bytes_text(needed)}) "
            f"and {free} bytes ({bytes_text(free)}) are free; {kept}. Free some space and "
            "run the same command again to resume"
        )


def tensor_bytes(state: Mapping[str, Any] | Iterable[Any]) -> int:
    """Bytes of every tensor in a (nested) state dict or list."""
    values = state.values() if isinstance(state, Mapping) else state
    total = 0
    for value in values:
        if hasattr(value, "nbytes") and hasattr(value, "dtype"):
            total += int(value.nbytes)
        elif isinstance(value, (Mapping, list, tuple)):
            total += tensor_bytes(value)
    return total


def allocated_bytes(directory: Path) -> int:
    """Bytes the files under `directory` occupy on disk (sparse files count what is written)."""
    if not directory.exists():
        return 0
    return sum(path.stat().st_blocks * 512 for path in directory.rglob("*") if path.is_file())


def bytes_text(count: float) -> str:
    """1234567 -> "1.2 MB"."""
    for unit in ("bytes", "kB", "MB", "GB"):
        if abs(count) < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1000
    return f"{count:.1f} TB"
