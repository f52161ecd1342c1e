"""Files that are replaced whole: a reader, or a run killed mid-write, never sees half of one."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def partial_path(path: Path) -> Path:
    """Where this process writes `path` before it replaces the real one: hidden, named by
    the process so that two writers of one file never share it, and keeping the extension
    for writers that choose a format by it (`.name.1234.partial.ext`)."""
    return path.with_name(f".{path.stem}.{os.getpid()}.partial{path.suffix}")


@contextmanager
def replaced_atomically(path: Path) -> Iterator[Path]:
    """Yield a path to write; on success it replaces `path` in one rename, on failure it goes."""
    partial = partial_path(path)
    try:
        yield partial
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def write_text_atomically(path: Path, text: str) -> None:
    with replaced_atomically(path) as partial:
        partial.write_text(text)


def nearest_existing(path: Path) -> Path:
    """`path`, or its nearest ancestor that exists."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def unwritable_reason(directory: Path) -> str | None:
    """Why `directory` cannot be created or written, or None when it can."""
    existing = nearest_existing(directory)
    if not existing.is_dir():
        return f"cannot be created: {existing} is not a directory"
    try:  # a probe, so that a read-only filesystem is caught as well as permissions
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as error:
        return f"cannot be written: {existing}: {error.strerror or error}"
    return None
