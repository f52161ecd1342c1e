"""A recipe's command line checked before Hydra runs it, so that a mistake is one line.

Hydra reports its own composition errors (a key typo, a group option that does not exist,
a sweep without --multirun) in several lines, some with a traceback, and with advice that
does not fit trl-sac (append the key with `+`). Here the command line is composed with
Hydra's compose API first, every value a sweep will take included, and then checked like a
run's config (trl_sac/training/schema.py), so that every such mistake is a ConfigError.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from hydra import compose, initialize_config_dir, initialize_config_module

# Hydra's own command-line parser, so the check reads argv exactly as Hydra will; private,
# and stable across hydra-core 1.3 (pyproject pins <1.4).
from hydra._internal.utils import get_args_parser
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import (
    ConfigCompositionException,
    HydraException,
    MissingConfigException,
    OverrideParseException,
)
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf, open_dict

from trl_sac.errors import ConfigError, first_line
from trl_sac.rollout.envs import check_env_id
from trl_sac.training.schema import typed_config

# Hydra's own message for a key that the config does not have.
_UNKNOWN_KEY = re.compile(r"Could not override '([^']+)'")
# Stands in for run_dir, which a sweep derives from Hydra's runtime state.
_CHECK_RUN_DIR = "runs/command-line-check"


@dataclass(frozen=True)
class ConfigSource:
    """Where a recipe's configs are: a Python package (`pkg://trl_sac.conf`) or a directory."""

    location: str

    def initialize(self) -> AbstractContextManager:
        if self.location.startswith("pkg://"):
            return initialize_config_module(
                self.location.removeprefix("pkg://"), version_base="1.3"
            )
        return initialize_config_dir(str(Path(self.location).resolve()), version_base="1.3")


def check_command_line(config_name: str, source: ConfigSource, argv: Sequence[str]) -> None:
    """Raise ConfigError, with one line, for a command line Hydra would refuse or a run
    would refuse at its start. Help and info flags are left to Hydra; `--cfg` (print the
    config) is checked as Hydra composes it, not as a run would start."""
    args = get_args_parser().parse_args(list(argv))
    if (
        args.help
        or args.hydra_help
        or args.info
        or args.shell_completion
        or args.config_path
        or args.config_dir
        or args.experimental_rerun
    ):
        return
    if args.cfg and args.multirun:
        raise ConfigError("--cfg prints one config: leave out --multirun (-m)")
    config_name = args.config_name or config_name
    as_run = not args.cfg
    with source.initialize():
        try:
            _check(config_name, args.overrides, args.multirun, as_run)
        except HydraException as error:  # anything else Hydra refuses, in one line
            raise ConfigError(first_line(error)) from None


def _check(config_name: str, argv: list[str], multirun: bool, as_run: bool) -> None:
    parser = OverridesParser.create(config_loader=GlobalHydra.instance().config_loader())
    try:
        overrides = parser.parse_overrides(argv)
    except OverrideParseException as error:
        raise ConfigError(f"cannot read {error.override!r}: {first_line(error)}") from None
    given = {item.key_or_group for item in overrides}
    # A sweep over a continuous interval is the sweeper's to sample: it is left out.
    fixed = [item.input_line for item in overrides if not item.is_sweep_override()]
    sweeps = {
        item.key_or_group: (item.get_key_element(), list(item.sweep_string_iterator()))
        for item in overrides
        if item.is_discrete_sweep()
    }
    swept = next((item.input_line for item in overrides if item.is_sweep_override()), "")
    if swept and not as_run:
        raise ConfigError(f"--cfg prints one config: give {swept} one value")
    first = _compose(config_name, fixed + _first_values(sweeps), as_run)
    if first.hydra.mode != RunMode.MULTIRUN and not multirun:
        if swept:
            raise ConfigError(
                f"{swept} gives several values: add --multirun (-m) to sweep over them "
                "(or use recipes/compare.py), or write a list as key=[a,b]"
            )
        return
    # The config's own sweep (compare.yaml's variants and seeds), but for the keys the
    # command line sets: there, as in Hydra, the command line wins.
    declared = _config_sweeps(first, parser)
    declared = {key: value for key, value in declared.items() if key not in given}
    for combination in _each_value_once({**declared, **sweeps}):
        _compose(config_name, fixed + combination, as_run)


def _compose(config_name: str, overrides: list[str], as_run: bool) -> DictConfig:
    """Compose as Hydra will and, `as_run`, check the result like a run's start does."""
    try:
        cfg = compose(config_name, overrides, return_hydra_config=True)
    except MissingConfigException as error:
        raise ConfigError(_missing_option(error)) from None
    except ConfigCompositionException as error:
        unknown = _UNKNOWN_KEY.search(str(error))
        if unknown is None:
            raise ConfigError(first_line(error)) from None
        raise ConfigError(_unknown_key(unknown.group(1), config_name)) from None
    if not as_run:
        return cfg
    run_cfg = OmegaConf.masked_copy(cfg, [key for key in cfg if key != "hydra"])
    with open_dict(run_cfg):
        run_cfg.run_dir = _CHECK_RUN_DIR
    typed = typed_config(run_cfg)
    check_env_id(typed.env.id)
    return cfg


def _missing_option(error: MissingConfigException) -> str:
    wanted = str(error.missing_cfg_file or "")
    if "/" not in wanted or not error.options:
        return first_line(error)
    group, option = wanted.rsplit("/", 1)
    options = sorted(error.options)
    close = difflib.get_close_matches(option, options, n=1, cutoff=0.5)
    hint = f"; did you mean {group}={close[0]}?" if close else ""
    return f"{group}={option} is not an option: choose one of {', '.join(options)}{hint}"


def _unknown_key(key: str, config_name: str) -> str:
    """Say where a key Hydra could not override exists, or which key was meant."""
    defaults = compose(config_name, [], return_hydra_config=True)
    choices = {
        group: choice
        for group, choice in defaults.hydra.runtime.choices.items()
        if not group.startswith("hydra/")
    }
    loader = GlobalHydra.instance().config_loader()
    for group, chosen in choices.items():
        for option in loader.get_group_options(group):
            if option == chosen:
                continue
            with_option = compose(config_name, [f"{group}={option}"])
            if OmegaConf.select(with_option, key, default=None) is not None:
                return f"{key} exists only with {group}={option}: add {group}={option}"
    known = list(_dotted_keys(defaults)) + list(choices)
    close = difflib.get_close_matches(key, known, n=2, cutoff=0.6)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    return f"{key} is not a key of this config{hint} (--help lists every key)"


def _dotted_keys(node: DictConfig, prefix: str = "") -> Iterator[str]:
    """Every key of a run's config (Hydra's own node left out), without resolving values."""
    for name in node:
        if not prefix and name == "hydra":
            continue
        key = f"{prefix}{name}"
        child = node._get_node(name)
        if isinstance(child, DictConfig):
            yield from _dotted_keys(child, f"{key}.")
        else:
            yield key


def _first_values(sweeps: dict[str, tuple[str, list[str]]]) -> list[str]:
    return [f"{element}={values[0]}" for element, values in sweeps.values() if values]


def _config_sweeps(cfg: DictConfig, parser: OverridesParser) -> dict[str, tuple[str, list[str]]]:
    """The sweep a config declares itself, its discrete values only."""
    params = cfg.hydra.sweeper.get("params") or {}
    parsed = parser.parse_overrides([f"{key}={value}" for key, value in params.items()])
    return {
        item.key_or_group: (
            item.get_key_element(),
            list(item.sweep_string_iterator())
            if item.is_discrete_sweep()
            else [item.get_value_element_as_str()],
        )
        for item in parsed
        if item.is_discrete_sweep() or not item.is_sweep_override()
    }


def _each_value_once(sweeps: dict[str, tuple[str, list[str]]]) -> Iterator[list[str]]:
    """Combinations that give every swept value at least once: all first values, then each
    other value with the rest at their first (not the whole grid)."""
    first = {key: f"{element}={values[0]}" for key, (element, values) in sweeps.items() if values}
    yield list(first.values())
    for key, (element, values) in sweeps.items():
        for value in values[1:]:
            yield list({**first, key: f"{element}={value}"}.values())
