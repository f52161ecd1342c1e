"""Each recipe runs as a user runs it (a subprocess) on a tiny budget and fills its run dir."""

from __future__ import annotations

import csv

import pytest
import torch
from conftest import RECIPES, TINY, run_recipe


@pytest.mark.parametrize("recipe", [*RECIPES, "train"])
def test_recipe_smoke_run_fills_the_run_dir(tmp_path, recipe):
    run_dir = tmp_path / recipe
    extra = ["env.id=Swimmer-v5"] if recipe == "train" else []
    result = run_recipe(recipe, *TINY, *extra, f"run_dir={run_dir}")
    assert result.returncode == 0, result.stderr[-3000:]

    assert (run_dir / "config.yaml").is_file()
    for namespace in ("train", "eval", "time"):
        with (run_dir / "metrics" / f"{namespace}.csv").open() as file:
            rows = list(csv.DictReader(file))
        assert rows and int(rows[-1]["frames"]) == 240
    weights = torch.load(run_dir / "weights.pt", weights_only=True)
    assert weights["frames"] == 240
