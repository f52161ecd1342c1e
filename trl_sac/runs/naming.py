"""Run directory names from the command line's overrides.

A name lists every override that makes a different experiment, so two commands that compose
different experiments never share a directory, and leaves out the keys a resume may change,
so a longer budget or another device finds the same run.
"""

from __future__ import annotations

from collections.abc import Sequence

from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser

from trl_sac.runs.layout import RESUMABLE_CHANGES

# Named by the directories above a run: runs/<env.id>/...
NAMED_BY_PARENTS = ("env", "env.id")
# Named by a single run's own path: runs/<env.id>/<loss>-<target_update>/seed<seed>.
NAMED_BY_RUN_PATH = (*NAMED_BY_PARENTS, "loss", "target_update", "seed")


def overrides_dirname(overrides: Sequence[str], named_elsewhere: Sequence[str]) -> str:
    """`key=value,...`, sorted as Hydra's override_dirname, of the overrides that change
    the experiment and are not named elsewhere in the path."""
    parsed = OverridesParser.create().parse_overrides(list(overrides))
    kept = [
        override.input_line
        for override in parsed
        if override.key_or_group not in named_elsewhere
        and not override.key_or_group.startswith(RESUMABLE_CHANGES)
    ]
    return ",".join(sorted(kept))


def _task_overrides() -> list[str]:
    # Outside a Hydra app (the compose API, a saved config) there is no command line.
    return list(HydraConfig.get().overrides.task) if HydraConfig.initialized() else []


def sweep_run_name() -> str:
    """A sweep's run directory under runs/<name>/<env.id>/, e.g. `loss=vnet,seed=0`."""
    return overrides_dirname(_task_overrides(), NAMED_BY_PARENTS)


def run_name_suffix() -> str:
    """`,key=value,...` after `seed<N>` for a single run given other overrides, else ``."""
    name = overrides_dirname(_task_overrides(), NAMED_BY_RUN_PATH)
    return f",{name}" if name else ""
