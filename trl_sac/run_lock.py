"""One process per run directory: a second command on a run that is still going is refused."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

from trl_sac.errors import ConfigError

try:
    import fcntl
except ImportError:  # Windows: no advisory locks, no guard
    fcntl = None


class RunDirLock:
    """An exclusive lock on `<parent>/.<run_dir name>.lock`, held while the run trains.

    The lock file sits beside the run directory, not in it, so `restart=true` can move
    the run aside while holding it. The OS releases it when the process dies.
    """

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.path = run_dir.with_name(f".{run_dir.name}.lock")
        self._file = None

    def __enter__(self) -> RunDirLock:
        if fcntl is None:
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("a+")
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._file.close()
            raise ConfigError(
                f"run_dir {self.run_dir} is in use by another "
                "process; wait for it to stop or choose another run_dir="
            ) from None
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._file is not None:
            self._file.close()  # closing releases the lock
            self._file = None
