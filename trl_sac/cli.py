"""The entry point that recipes call: train, and turn bad input into one line and exit 2."""

from __future__ import annotations

import sys

from omegaconf import DictConfig
from omegaconf.errors import OmegaConfBaseException

from trl_sac.errors import ConfigError
from trl_sac.train import train


def run(cfg: DictConfig) -> float:
    """Train with `cfg`; bad input exits with status 2 and a one-line message."""
    try:
        return train(cfg)
    except (ConfigError, OmegaConfBaseException) as error:
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        sys.stderr.write(f"trl-sac: error: {message}\n")
        raise SystemExit(2) from None
