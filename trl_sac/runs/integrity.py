"""A record of a folder's files (size and CRC32), to catch truncated or damaged snapshots.

TorchRL reads a memory-mapped tensor file that is too short without complaint, so a
snapshot is checked against this record before anything is loaded from it.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path

RECORD_FILE = "integrity.json"


class Damaged(OSError):
    """A file of the folder is missing, shorter or longer than recorded, or altered."""


def write_record(folder: Path) -> None:
    """Record the size and CRC32 of every file under `folder`."""
    record = {
        path.relative_to(folder).as_posix(): [path.stat().st_size, _crc32(path)]
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }
    (folder / RECORD_FILE).write_text(json.dumps(record, indent=0))


def verify(folder: Path, *, checksums: bool = True) -> None:
    """Raise Damaged naming the first file of `folder` that does not match its record.

    Without `checksums` only presence and sizes are checked (no file is read).
    """
    record_path = folder / RECORD_FILE
    try:
        record = json.loads(record_path.read_text())
    except (OSError, ValueError) as error:
        raise Damaged(f"{record_path} is missing or unreadable") from error
    for name, (size, crc) in record.items():
        path = folder / name
        if not path.is_file():
            raise Damaged(f"{path} is missing")
        actual = path.stat().st_size
        if actual != size:
            raise Damaged(f"{path} is truncated or altered ({actual} bytes, expected {size})")
        if checksums and _crc32(path) != crc:
            raise Damaged(f"{path} is corrupt (checksum mismatch)")


def _crc32(path: Path) -> int:
    crc = 0
    with path.open("rb") as file:
        while chunk := file.read(1 << 22):
            crc = zlib.crc32(chunk, crc)
    return crc
