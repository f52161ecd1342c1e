"""The entry point that recipes call: train, and turn bad input into one line and exit 2."""

from __future__ import annotations

import logging
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from omegaconf import DictConfig
from omegaconf.errors import OmegaConfBaseException

from trl_sac.errors import ConfigError, Diverged, Interrupted, OutOfSpace, first_line
from trl_sac.runs.interrupts import hand_on
from trl_sac.training.loop import train

log = logging.getLogger(__name__)

# Told (label, one-line message) when a run of a sweep fails.
FailureHandler = Callable[[str, str], None]


def run(cfg: DictConfig, *, on_failure: FailureHandler | None = None) -> float:
    """Train with `cfg`. Whatever ends a run early ends it with one line on stderr:

    bad input exits 2, a diverged run 1, and SIGINT/SIGTERM 128 + the signal number
    after the snapshot that the next run of the same command resumes from.
    With `on_failure` (a job of a sweep), a run that fails for any reason but a stop
    request is handed to it after its line and returns NaN: the sweep goes on.
    """
    try:
        return train(cfg)
    except Interrupted as error:
        _say(error.signal_name, error)
        hand_on(error.signum)  # in a SLURM job: submitit requeues the job and exits here
        raise SystemExit(error.exit_status) from None
    except KeyboardInterrupt:
        sys.stderr.write("trl-sac: SIGINT: stopped at once, without a snapshot\n")
        raise SystemExit(130) from None
    except Exception as error:
        label, status = _describe(error)
        if on_failure is None:
            if status is None:
                raise
            if status == 2:
                _discard_log_only_run_dir(cfg)
            _fail(label, error, status=status)
        if status is None:  # unexpected: keep the traceback in the job's log
            log.error("the run failed", exc_info=True)
        _say(label, error)
        on_failure(label, first_line(error))
        return math.nan


def _describe(error: Exception) -> tuple[str, int | None]:
    """The label and exit status of a known failure; None for an unexpected one."""
    if isinstance(error, (ConfigError, OmegaConfBaseException)):
        return "error", 2
    if isinstance(error, Diverged):
        return "diverged", 1
    if isinstance(error, (OutOfSpace, OSError)):  # a full disk, a file that cannot be written
        return "error", 1
    return "failed", None


def _discard_log_only_run_dir(cfg: DictConfig) -> None:
    """Hydra creates the run dir and starts its log there before trl-sac sees the config:
    a run refused at the start leaves no directory behind that holds only that log."""
    try:
        run_dir = Path(str(cfg.run_dir))
        entries = list(run_dir.iterdir()) if run_dir.is_dir() else []
        if entries and all(entry.is_file() and entry.suffix == ".log" for entry in entries):
            for entry in entries:
                entry.unlink()
            run_dir.rmdir()
    except Exception:  # tidying up must never hide the error being reported
        pass


def _fail(label: str, error: BaseException, *, status: int) -> NoReturn:
    _say(label, error)
    raise SystemExit(status) from None


def _say(label: str, error: BaseException) -> None:
    sys.stderr.write(f"trl-sac: {label}: {first_line(error)}\n")
