"""Run directories as training leaves them, with metrics chosen by the test."""

from __future__ import annotations

import csv
from pathlib import Path

from omegaconf import OmegaConf

from conftest import compose_config

EVAL_HEADER = ["frames", "eval/return_mean", "eval/return_std"]


def make_run(
    root: Path,
    name: str,
    overrides: list[str],
    returns: dict[int, float],
    *,
    total_frames: int = 3000,
    elapsed_s: float = 100.0,
    config_name: str = "hopper",
) -> Path:
    """A run dir as training leaves it: config.yaml and metrics/{eval,time,train}.csv."""
    run_dir = root / name
    # Past a warm-up shorter than these runs, unless the test chooses its own.
    warm_up = [f"collector.init_random_frames={min(500, total_frames - 1)}"]
    if any(item.startswith("collector.init_random_frames=") for item in overrides):
        warm_up = []
    cfg = compose_config(
        config_name,
        [*warm_up, *overrides, f"collector.total_frames={total_frames}", f"run_dir='{run_dir}'"],
    )
    (run_dir / "metrics").mkdir(parents=True)
    OmegaConf.save(cfg, run_dir / "config.yaml", resolve=True)
    last = max(returns)
    write_csv(run_dir / "metrics/eval.csv", EVAL_HEADER, [[f, r, 1.0] for f, r in returns.items()])
    write_csv(
        run_dir / "metrics/time.csv",
        ["frames", "time/elapsed_s"],
        [[last // 2, elapsed_s / 2], [last, elapsed_s]],
    )
    write_csv(run_dir / "metrics/train.csv", ["frames", "train/updates"], [[last, last]])
    return run_dir


def write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    with path.open("w", newline="") as file:
        csv.writer(file).writerows([header, *rows])
