"""The run directory's layout and the keys a resume may change.

Plain names and config arithmetic, no torch: reporting reads run directories through this.
"""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig, OmegaConf

CONFIG_FILE = "config.yaml"
METRICS_DIR = "metrics"
WEIGHTS_FILE = "weights.pt"
# Evaluation videos (eval.video=true, python -m trl_sac.evaluation video=true).
VIDEOS_DIR = "videos"
# Results of python -m trl_sac.evaluation.
EVALUATIONS_DIR = "evaluations"

# Keys a resumed run may change: budgets, reporting, where and how fast it runs. Anything else
# would make the resumed run a different experiment from the one in the snapshot.
RESUMABLE_CHANGES = (
    "collector.total_frames",
    "run_dir",
    "progress",
    "restart",
    "device",
    "compile",
    "cudagraphs",
    "optim.fused_loss",
    "collector.direct",
    "eval.",
    "logger.",
    "snapshot.",
    # A comparison's bookkeeping (recipes/compare.py): parallelism, its name, its report.
    "jobs",
    "name",
    "report.",
)
SNAPSHOTS_DIR = "snapshots"


def flatten_config(tree: Any, prefix: str = "") -> dict[str, Any]:
    """A nested config as {"dotted.key": value}."""
    if isinstance(tree, DictConfig):
        tree = OmegaConf.to_container(tree, resolve=True)
    if isinstance(tree, dict):
        flat: dict[str, Any] = {}
        for key, value in tree.items():
            flat.update(flatten_config(value, f"{prefix}{key}."))
        return flat
    return {prefix[:-1]: tree}
