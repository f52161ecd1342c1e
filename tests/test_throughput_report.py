"""The throughput benchmark's report: medians over rounds and the ratios it prints."""

from __future__ import annotations

import importlib.util

import pytest

from conftest import REPO


@pytest.fixture(scope="module")
def throughput():
    spec = importlib.util.spec_from_file_location(
        "throughput", REPO / "benchmarks" / "throughput.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_medians_ignore_failed_rounds(throughput):
    rounds = [
        {"updates_per_s": 10.0},
        "Traceback: boom",
        {"updates_per_s": 30.0},
        {"updates_per_s": 20.0},
    ]
    assert throughput.median_result(rounds) == {"updates_per_s": 20.0}
    assert throughput.median_result(["boom"]) == "boom"


def test_ratios_compare_like_with_like(throughput):
    results = {
        "trl-sac": {"env_steps_per_s": 90.0, "updates_per_s": 90.0},
        "trl-sac-update": {"updates_per_s": 130.0},
        "sb3": {"env_steps_per_s": 60.0, "updates_per_s": 60.0},
        "plain": {"updates_per_s": 100.0},
        "trl-sac-recipe": {"env_steps_per_s": 65.0, "updates_per_s": 65.0, "startup_s": 3.0},
        "sb3-recipe": {"env_steps_per_s": 50.0, "updates_per_s": 50.0, "startup_s": 2.0},
    }
    assert throughput.ratios(results) == {
        "trl-sac/sb3 env_steps_per_s": 1.5,
        "trl-sac/sb3 updates_per_s": 1.5,
        "trl-sac-update/plain updates_per_s": 1.3,
        # The loop in-process and as a user's command, against the update alone.
        "trl-sac/trl-sac-update updates_per_s": 90.0 / 130.0,
        "trl-sac-recipe/trl-sac-update updates_per_s": 0.5,
        # Both timed as commands by wall clock.
        "trl-sac-recipe/sb3-recipe env_steps_per_s": 1.3,
        "trl-sac-recipe/sb3-recipe startup_s": 1.5,
    }
    # A failed reference leaves its ratio out instead of breaking the report.
    assert "trl-sac/sb3 env_steps_per_s" not in throughput.ratios({**results, "sb3": "failed"})
    assert "failed" in throughput.table({**results, "sb3": "failed: no module"})
