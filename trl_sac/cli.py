"""The entry point that recipes call: train, and turn bad input into one line and exit 2."""

from __future__ import annotations

import math
import sys
from typing import NoReturn

from omegaconf import DictConfig
from omegaconf.errors import OmegaConfBaseException

from trl_sac.errors import ConfigError, Diverged, Interrupted
from trl_sac.train import train


def run(cfg: DictConfig, *, keep_going: bool = False) -> float:
    """Train with `cfg`. Whatever ends a run early ends it with one line on stderr:

    bad input exits 2, a diverged run 1, and SIGINT/SIGTERM 128 + the signal number
    after the snapshot that the next run of the same command resumes from.
    With `keep_going` (one job of a sweep), a diverged run returns NaN after its line
    instead, so the sweep goes on to its other runs.
    """
    try:
        return train(cfg)
    except (ConfigError, OmegaConfBaseException) as error:
        _fail("error", error, status=2)
    except Diverged as error:
        if not keep_going:
            _fail("diverged", error, status=1)
        _say("diverged", error)
        return math.nan
    except Interrupted as error:
        _fail(error.signal_name, error, status=error.exit_status)
    except KeyboardInterrupt:
        sys.stderr.write("trl-sac: SIGINT: stopped at once, without a snapshot\n")
        raise SystemExit(130) from None


def _fail(label: str, error: BaseException, *, status: int) -> NoReturn:
    _say(label, error)
    raise SystemExit(status) from None


def _say(label: str, error: BaseException) -> None:
    message = str(error).splitlines()[0] if str(error) else type(error).__name__
    sys.stderr.write(f"trl-sac: {label}: {message}\n")
