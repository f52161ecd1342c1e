"""`@recipe(...)`: Hydra's `@hydra.main` for trl-sac's recipes, with mistakes in one line.

It takes the same config_path and config_name. Before Hydra starts, the command line is
composed and checked (trl_sac/training/command_line.py); a key typo, an option that does
not exist, a missing mandatory value or an invalid value ends the command with one line,
`trl-sac: error: ...`, and exit status 2, instead of Hydra's multi-line messages.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig

from trl_sac.errors import ConfigError, first_line
from trl_sac.training.command_line import ConfigSource, check_command_line

TRL_SAC_CONFIGS = "pkg://trl_sac.conf"


def recipe(
    config_name: str, config_path: str = TRL_SAC_CONFIGS
) -> Callable[[Callable[[DictConfig], Any]], Callable[[], Any]]:
    """Decorate `main(cfg)`; `config_path` is a `pkg://` module or a directory relative to
    the recipe's file, as with `hydra.main`."""

    def decorate(task: Callable[[DictConfig], Any]) -> Callable[[], Any]:
        hydra_main = hydra.main(
            version_base="1.3", config_path=config_path, config_name=config_name
        )(task)
        location = config_path
        if not config_path.startswith("pkg://"):
            location = str(Path(inspect.getfile(task)).parent / config_path)

        @functools.wraps(task)
        def main() -> Any:
            try:
                check_command_line(config_name, ConfigSource(location), sys.argv[1:])
            except ConfigError as error:
                sys.stderr.write(f"trl-sac: error: {first_line(error)}\n")
                raise SystemExit(2) from None
            return hydra_main()

        return main

    return decorate
