"""The exceptions that end a run with one line on stderr instead of a traceback."""

from __future__ import annotations

import signal


def first_line(error: BaseException, limit: int | None = None) -> str:
    """An error's message as one line, cut at `limit` characters (its type if empty)."""
    text = str(error).strip()
    return text.splitlines()[0][:limit] if text else type(error).__name__


class ConfigError(ValueError):
    """A configuration value that cannot work, reported as one line with exit status 2."""


class SnapshotError(ConfigError):
    """A run directory whose snapshots cannot be used (corrupt, or from another config)."""


class RunDirError(ConfigError):
    """A path that is not a run directory, or one whose files cannot be read."""


class OutOfSpace(RuntimeError):
    """The disk cannot hold the next snapshot or file; nothing was written, the last
    snapshot is kept. Exit status 1."""


class Diverged(RuntimeError):
    """A loss or parameter became NaN or infinite; the last good snapshot is kept."""


class Interrupted(RuntimeError):
    """SIGINT or SIGTERM arrived; a snapshot was written where possible."""

    def __init__(self, signum: int, message: str) -> None:
        super().__init__(message)
        self.signum = signum

    @property
    def exit_status(self) -> int:
        # The shell's convention for "terminated by signal N".
        return 128 + self.signum

    @property
    def signal_name(self) -> str:
        return signal.Signals(self.signum).name
