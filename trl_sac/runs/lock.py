"""One process per run directory: a second command on a run that is still going is refused."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

from filelock import FileLock, Timeout

from trl_sac.errors import ConfigError


class RunDirLock:
    """An exclusive lock on `<parent>/.<run_dir name>.lock`, held while the run trains.

    The lock file sits beside the run directory, not in it, so `restart=true` can move
    the run aside while holding it. The OS releases it when the process dies.
    """

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.path = run_dir.with_name(f".{run_dir.name}.lock")
        # thread_local=False: the lock belongs to the process, whichever thread releases it.
        self._lock = FileLock(self.path, timeout=0, thread_local=False)

    def __enter__(self) -> RunDirLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._lock.acquire()
        except Timeout:
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
        self._lock.release()


def in_use_elsewhere(run_dir: Path) -> bool:
    """Whether another process holds `run_dir`'s lock, i.e. is training it now.

    The probe takes the lock for an instant; a lock it cannot even try (an unwritable
    directory) counts as not held, so the run is reported as it stands."""
    if not run_dir.parent.is_dir():
        return False
    try:
        with RunDirLock(run_dir):
            return False
    except ConfigError:
        return True
    except OSError:
        return False
