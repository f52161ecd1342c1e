"""Group runs into variants: runs that differ only by seed or by how they ran belong together."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from trl_sac.reporting.run_records import RunRecord
from trl_sac.runs.layout import RESUMABLE_CHANGES

# Keys that do not make a different experiment: the seed, and what a resumed run may change
# (budgets, reporting, device, where the run lives).
NOT_EXPERIMENT = ("seed", *RESUMABLE_CHANGES)
# Shown in a label before other keys, and by their group's name rather than their key.
NAMED_GROUPS = {"loss.name": "loss", "target_update.name": "target_update", "env.id": "env"}
# What a variant is called when nothing but its loss sets it apart.
LOSS_NAMES = {"vnet": "vnet (v1)", "twinq": "twinq (v2)"}


@dataclass(frozen=True)
class Variant:
    """Runs of one experiment over seeds, named by the settings that set it apart."""

    label: str
    settings: dict[str, Any]
    runs: tuple[RunRecord, ...]
    # Runs of the same settings and seed as a kept run (started under another directory
    # name): the same experiment again, left out of the figures. The run with the most
    # frames is kept.
    duplicates: tuple[RunRecord, ...] = ()


def group_runs(runs: Sequence[RunRecord]) -> list[Variant]:
    """Split `runs` by the experiment settings that differ between them.

    A label names only the settings needed to tell the variants apart: keys that follow
    from others (a loss group's own keys, the utd ratio a target update implies) are left out.
    Variants told apart by their loss alone (or a single variant) are named by it: `vnet (v1)`.
    """
    differing = _differing_keys(runs)
    label_keys = _minimal_keys(runs, differing)
    by_settings: dict[tuple, list[RunRecord]] = {}
    for run in runs:
        by_settings.setdefault(_values(run, differing), []).append(run)
    variants = []
    for members in by_settings.values():
        settings = {key: members[0].config.get(key) for key in label_keys}
        label = _loss_name(members[0]) if set(label_keys) <= {"loss.name"} else _label(settings)
        kept, duplicates = _one_run_per_seed(members)
        variants.append(Variant(label, settings, kept, duplicates))
    return sorted(variants, key=lambda variant: variant.label)


def _one_run_per_seed(
    runs: list[RunRecord],
) -> tuple[tuple[RunRecord, ...], tuple[RunRecord, ...]]:
    by_seed: dict[int, list[RunRecord]] = {}
    for run in runs:
        by_seed.setdefault(run.seed, []).append(run)
    kept, duplicates = [], []
    for seed in sorted(by_seed):
        first, *others = sorted(by_seed[seed], key=lambda run: (-run.frames, str(run.path)))
        kept.append(first)
        duplicates.extend(others)
    return tuple(kept), tuple(duplicates)


def _experiment_keys(run: RunRecord) -> set[str]:
    return {key for key in run.config if not key.startswith(NOT_EXPERIMENT)}


def _differing_keys(runs: Sequence[RunRecord]) -> list[str]:
    keys = set().union(*(_experiment_keys(run) for run in runs)) if runs else set()
    differing = [key for key in keys if len({_setting(run, key) for run in runs}) > 1]
    # Group names first, then shorter keys: those are the ones a label keeps.
    return sorted(differing, key=lambda key: (key not in NAMED_GROUPS, key.count("."), key))


def _minimal_keys(runs: Sequence[RunRecord], keys: list[str]) -> list[str]:
    """Drop, from the least telling key on, every key the others already determine."""
    partition = _partition(runs, keys)
    kept = list(keys)
    for key in reversed(keys):
        fewer = [other for other in kept if other != key]
        if _partition(runs, fewer) == partition:
            kept = fewer
    return kept


def _partition(runs: Sequence[RunRecord], keys: list[str]) -> frozenset[frozenset[int]]:
    blocks: dict[tuple, set[int]] = {}
    for index, run in enumerate(runs):
        blocks.setdefault(_values(run, keys), set()).add(index)
    return frozenset(frozenset(block) for block in blocks.values())


def _values(run: RunRecord, keys: list[str]) -> tuple:
    return tuple(_setting(run, key) for key in keys)


def _setting(run: RunRecord, key: str) -> str:
    """A setting to compare across runs: 1 and 1.0 are the same number (configs written
    before the typed schema hold integers where it now writes floats)."""
    return repr(_comparable(run.config.get(key)))


def _comparable(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, list):
        return [_comparable(item) for item in value]
    return value


def _label(settings: dict[str, Any]) -> str:
    return " ".join(
        f"{NAMED_GROUPS.get(key, key)}={_show(value)}" for key, value in settings.items()
    )


def _loss_name(run: RunRecord) -> str:
    """`twinq (v2)`; `twinq (v2), hard updates` when its targets are copied."""
    loss = str(run.config.get("loss.name"))
    name = LOSS_NAMES.get(loss, loss)
    update = run.config.get("target_update.name")
    return name if update in ("soft", None) else f"{name}, {update} updates"


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ",".join(_show(item) for item in value) + "]"
    return str(value)
