"""The throughput benchmark's report: medians over rounds and the ratios it prints."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import REPO


@pytest.fixture(scope="module")
def throughput():
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import throughput
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    return throughput


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
        "compare": {"wall_s": 100.0},
        "compare-jobs1": {"wall_s": 170.0},
        "sb3-serial": {"wall_s": 150.0},
        "trl-sac@before": {"env_steps_per_s": 75.0},
        "compare@before": {"wall_s": 200.0},
    }
    assert throughput.ratios(results) == {
        "loop / SB3 loop, env steps/s": 1.5,
        "update alone / plain PyTorch, updates/s": 1.3,
        # The loop in-process and as a user's command, against the update alone.
        "loop / its update alone, updates/s": 90.0 / 130.0,
        "recipe / its update alone, updates/s": 0.5,
        # Timed as commands by wall clock; times are turned so that above 1 is faster.
        "recipe / SB3 script, env steps/s": 1.3,
        "startup, SB3 / trl-sac (time)": 2.0 / 3.0,
        "comparison, jobs=1 / default (time)": 1.7,
        "comparison, SB3 serial / default (time)": 1.5,
        # Against another checkout: a higher rate or a shorter time is above 1.
        "trl-sac: after / before (env_steps_per_s)": 1.2,
        "compare: after / before (wall_s)": 2.0,
    }
    # A failed reference leaves its ratio out instead of breaking the report.
    assert "loop / SB3 loop, env steps/s" not in throughput.ratios({**results, "sb3": "failed"})
    assert "failed: no module" in throughput.table({**results, "sb3": "no module"})


def test_ratios_are_taken_within_rounds_and_reported_with_their_spread(throughput):
    # Round 2 ran on a slow spell for both sides: its ratio is like the others.
    runs = {
        "trl-sac": [{"updates_per_s": 90.0}, {"updates_per_s": 45.0}, {"updates_per_s": 95.0}],
        "trl-sac-update": [
            {"updates_per_s": 100.0},
            {"updates_per_s": 50.0},
            "killed",
        ],
    }
    found = throughput.round_ratios(runs)
    spread = found["loop / its update alone, updates/s"]
    assert (spread.median, spread.low, spread.high, spread.rounds) == (0.9, 0.9, 0.9, 2)
    figures = throughput.spreads(runs["trl-sac"])["updates_per_s"]
    assert figures.text(1) == "90.0 (45.0-95.0)" and figures.rounds == 3
    assert "0.90 (0.90-0.90)x | 2 |" in throughput.ratio_table(found)


def test_a_published_section_names_its_command_and_rounds(throughput, tmp_path):
    record = {
        "command": "python benchmarks/throughput.py --repeats 2",
        "date": "2026-12-07",
        "machine": "2-core AMD EPYC, 24 GiB, no GPU",
        "torch": "2.13.0+cpu",
        "commit": "abc1234",
        "repeats": 2,
        "rounds": {
            "trl-sac": [{"env_steps_per_s": 80.0, "updates_per_s": 80.0}] * 2,
            "sb3": [{"env_steps_per_s": 64.0, "updates_per_s": 64.0}, "boom"],
        },
    }
    section = throughput.report_section(record, "Hopper-v5, twinq, soft")
    assert section.startswith("### Hopper-v5, twinq, soft\n")
    assert "python benchmarks/throughput.py --repeats 2" in section
    assert "commit abc1234; 2 interleaved round(s)" in section
    assert "| loop / SB3 loop, env steps/s | 1.25x | 1 |" in section


def test_the_machine_is_named_by_cpu_family_and_model(throughput):
    # Two hosts of one VM type both say "AMD EPYC"; only family and model tell them apart.
    provenance = sys.modules["provenance"]
    zen5 = "processor\t: 0\ncpu family\t: 26\nmodel\t\t: 2\nmodel name\t: AMD EPYC\n"
    zen3 = "processor\t: 0\ncpu family\t: 25\nmodel\t\t: 1\nmodel name\t: AMD EPYC\n"
    assert provenance.cpu_name(zen5) == "AMD EPYC (family 26, model 2)"
    assert provenance.cpu_name(zen3 + "\n" + zen5) == "AMD EPYC (family 25, model 1)"
    assert provenance.cpu_name("model name\t: Apple M2\n") == "Apple M2"
    assert provenance.cpu_name("") is None


def test_the_commit_reads_changed_only_where_code_changed(throughput, tmp_path, monkeypatch):
    # A measurement's --publish rewrites docs and results; the next command still ran on
    # the commit's code.
    provenance = sys.modules["provenance"]
    monkeypatch.setattr(provenance, "REPO", tmp_path)
    (tmp_path / "benchmarks/results").mkdir(parents=True)
    (tmp_path / "docs/figures").mkdir(parents=True)
    files = {
        "loop.py": "a = 1\n",
        "docs/results.md": "# r\n",
        "docs/figures/curve.png": "png\n",
        "benchmarks/results/r.json": "{}\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "c"], check=True)
    clean = provenance.current_commit()
    assert "+" not in clean
    (tmp_path / "docs/results.md").write_text("# r\nnew section\n")
    (tmp_path / "docs/figures/curve.png").write_text("png2\n")
    (tmp_path / "benchmarks/results/r.json").write_text("{1}\n")
    assert provenance.current_commit() == clean
    (tmp_path / "loop.py").write_text("a = 2\n")
    assert provenance.current_commit() == f"{clean}+changes"
