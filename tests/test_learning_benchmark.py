"""benchmarks/learning.py: the results table beside the references, export, publishing, runs."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, TINY
from helpers.synthetic_runs import make_run

BENCHMARKS = REPO / "benchmarks"


@pytest.fixture
def learning(monkeypatch, tmp_path):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import learning
    import learning_summary

    # The repository's own floors stay out of these tables unless a test passes some.
    monkeypatch.setattr(learning_summary, "FLOORS_DIR", tmp_path / "no-floors")
    return learning


def make_peer(
    root: Path, seed: int, returns: dict[int, float], wall_time_s: float, env: str = "Hopper-v5"
) -> Path:
    """A run as benchmarks/peer_learning.py leaves it."""
    run_dir = root / "sb3" / env / f"seed={seed}"
    run_dir.mkdir(parents=True)
    with (run_dir / "eval.csv").open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["frames", "eval/return_mean"])
        writer.writerows(returns.items())
    record = {
        "implementation": "stable-baselines3",
        "version": "9.9",
        "env": env,
        "seed": seed,
        "wall_time_s": wall_time_s,
        "machine": "2-core Test CPU, 8 GiB, no GPU",
        "command": "python benchmarks/peer_learning.py --seeds 0 1",
    }
    (run_dir / "run.json").write_text(json.dumps(record))
    return run_dir


@pytest.fixture
def sweep(tmp_path: Path, learning) -> Path:
    """Two seeds of each variant on Hopper-v5 to 120k frames; vnet seed 1 stopped at 60k."""
    root = tmp_path / "runs" / "hopper-demo"

    def run(loss: str, seed: int, returns: dict[int, float], elapsed_s: float) -> None:
        name = f"Hopper-v5/loss={loss},seed={seed}"
        overrides = [f"loss={loss}", f"seed={seed}"]
        make_run(root, name, overrides, returns, total_frames=120_000, elapsed_s=elapsed_s)

    every = {f: 10.0 * f / 1000 for f in range(10_000, 120_001, 10_000)}
    run("twinq", 0, every, 1200.0)
    run("twinq", 1, {f: r + 200 for f, r in every.items()}, 1000.0)
    run("vnet", 0, {f: r / 2 for f, r in every.items()}, 1500.0)
    run("vnet", 1, {f: 100.0 for f in range(10_000, 60_001, 10_000)}, 700.0)
    from provenance import Invocation, append_invocation

    append_invocation(
        root,
        Invocation(
            id="a",
            command="python benchmarks/learning.py run --name hopper-demo",
            commit="abc1234",
            machine="2-core Test CPU, 8 GiB, no GPU",
            started="2026-11-20 10:00:00",
            ended="2026-11-20 11:00:00",
            wall_s=3600.0,
            exit_code=130,
            versions={"torchrl": "0.14.1"},
        ),
    )
    append_invocation(
        root,
        Invocation(
            id="b",
            command="python benchmarks/learning.py run --name hopper-demo",
            commit="def5678",
            machine="2-core Test CPU, 8 GiB, no GPU",
            started="2026-11-21 10:00:00",
            ended="2026-11-21 10:30:00",
            wall_s=1800.0,
            exit_code=0,
            versions={"torchrl": "0.14.1"},
        ),
    )
    # Heavy files a run leaves, which an export must not copy.
    (root / "Hopper-v5/loss=twinq,seed=0/weights.pt").write_bytes(b"w" * 1000)
    (root / "Hopper-v5/loss=twinq,seed=0/snapshots").mkdir()
    return root


def table_rows(text: str) -> dict[tuple[str, str], list[str]]:
    """(variant, frames) -> the row's cells, from the summary's markdown table."""
    rows = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if line.startswith("| Hopper-v5 |"):
            rows[(cells[1], cells[3])] = cells
    return rows


def test_summary_table_gives_returns_at_budgets_beside_the_references(
    learning, sweep: Path, tmp_path: Path
) -> None:
    make_peer(tmp_path / "peers", 0, {50_000: 300.0, 100_000: 900.0, 120_000: 1000.0}, 600.0)
    make_peer(tmp_path / "peers", 1, {50_000: 500.0, 100_000: 1100.0, 120_000: 1400.0}, 800.0)
    summary = learning.summarize(
        sweep, [tmp_path / "peers"], export=None, publish=[], title=None
    ).read_text()
    rows = table_rows(summary)
    # Budgets: the last three of the ladder the runs evaluated at (every 10k frames: no 25k),
    # and the last evaluation.
    assert {frames for _, frames in rows} == {"10k", "50k", "100k", "120k"}
    # twinq: seed 0 has 10 * k, seed 1 has 10 * k + 200; the paper column is v2's figure.
    assert rows[("twinq (v2)", "100k")][2:5] == ["2", "100k", "1100.0 ± 141.4"]
    # Plain SAC's published return at the row's own budget (Hopper 1103 at 100k), and the
    # row's share of it; none is published at 50k or 120k.
    assert rows[("twinq (v2)", "100k")][5:7] == ["1103", "100%"]
    assert rows[("twinq (v2)", "50k")][5:7] == ["–", "–"]
    assert rows[("twinq (v2)", "120k")][5:7] == ["–", "–"]
    assert rows[("twinq (v2)", "100k")][8] == "~3250"
    assert rows[("twinq (v2)", "100k")][9:] == ["2310 ± 343", "2326 ± 1130", "3542 ± 52"]
    # vnet seed 1 stopped at 60k: the 100k figure is over one of two seeds; v1's paper figure.
    assert rows[("vnet (v1)", "100k")][4:9] == ["500.0 (1/2)", "1103", "45%", "12m30s", "~3370"]
    assert rows[("vnet (v1)", "50k")][4] == "175.0 ± 106.1"
    # Wall time per run to the budget, from time.csv (rows at 60k and 120k frames); above,
    # vnet's 100k figure is seed 0's time at its 60k row.
    assert rows[("twinq (v2)", "120k")][7] == "18m20s"
    # The peers, at the same budgets; their wall time is known at their last evaluation.
    peer = rows[("stable-baselines3 9.9", "100k")]
    assert peer[2:7] == ["2", "100k", "1000.0 ± 141.4", "1103", "91%"]
    assert peer[7] == "–"
    assert rows[("stable-baselines3 9.9", "120k")][7] == "11m40s"
    assert "same budget: plain SAC, v4, 10 seeds (SimbaV2 baseline)" in summary
    assert (
        "Peer stable-baselines3 9.9, 2 runs: seeds 0, 1 by "
        "`python benchmarks/peer_learning.py --seeds 0 1` on 2-core Test CPU, 8 GiB, no GPU."
        in summary
    )
    assert (sweep / "learning.png").stat().st_size > 10_000
    assert (sweep / "report.md").exists()


def test_peer_runs_name_the_command_and_machine_each_seed_came_from(learning) -> None:
    from learning_summary import PeerRun

    def peer(seed: int, command: str, machine: str) -> PeerRun:
        return PeerRun("sb3 9.9", "Hopper-v5", seed, (), (), 0.0, machine, command)

    runs = [
        peer(0, "peer_learning.py --seeds 0 1", "x86_64"),
        peer(2, "peer_learning.py --seeds 2", "2-core Test CPU"),
        peer(1, "peer_learning.py --seeds 0 1", "x86_64"),
        peer(3, "", "2-core Test CPU"),
    ]
    assert learning.peer_provenance(runs) == (
        "Peer sb3 9.9, 4 runs: seeds 0, 1 by `peer_learning.py --seeds 0 1` on x86_64; "
        "seed 2 by `peer_learning.py --seeds 2` on 2-core Test CPU; "
        "seed 3 by a command not recorded on 2-core Test CPU."
    )


def test_export_copies_metrics_not_weights_and_publishes_a_section(
    learning, sweep: Path, tmp_path: Path
) -> None:
    results = tmp_path / "docs" / "results.md"
    results.parent.mkdir()
    results.write_text("# Results\n\nHand-written text.\n")
    export = tmp_path / "benchmarks" / "results" / "hopper-demo"
    killed_writer = sweep / "Hopper-v5/loss=twinq,seed=0/metrics/.eval.4321.partial.csv"
    killed_writer.write_text("frames,eval_return\n")
    learning.summarize(sweep, [], export=export, publish=[results], title="Hopper, short")

    copied = sorted(str(path.relative_to(export)) for path in export.rglob("*") if path.is_file())
    assert "Hopper-v5/loss=twinq,seed=0/config.yaml" in copied
    assert "Hopper-v5/loss=twinq,seed=0/metrics/eval.csv" in copied
    assert not [name for name in copied if "partial" in name]
    assert not [name for name in copied if "weights" in name or "snapshot" in name]
    assert {"summary.md", "learning.png", "report.md", "eval_return.png"} <= set(copied)

    text = results.read_text()
    assert text.startswith("# Results\n\nHand-written text.\n")
    assert "<!-- learning:hopper-demo -->\n### Hopper, short" in text
    # The figure is copied beside the document: a docs site serves nothing outside docs/.
    assert "](figures/hopper-demo.png)" in text
    assert (results.parent / "figures" / "hopper-demo.png").read_bytes() == (
        export / "learning.png"
    ).read_bytes()
    # Provenance from the manifest: machine, both commits, dates, the calls' total wall time.
    assert (
        "Machine: 2-core Test CPU, 8 GiB, no GPU. Commit: abc1234, def5678. "
        "Date: 2026-11-20 to 2026-11-21. Wall time of the calls: 1h30m." in text
    )
    assert "--name hopper-demo  # 2026-11-20 10:00:00, exit 130, 1h00m" in text
    # The command that summarized it, heading included, so a rerun gives the same section.
    assert f"python benchmarks/learning.py summary {export} --title 'Hopper, short'\n" in text

    # Published again, from the export itself: the section is replaced, not repeated.
    results.write_text(text + "\nMore hand-written text.\n")
    learning.summarize(export, [], export=None, publish=[results], title="Hopper, again")
    again = results.read_text()
    assert again.count("<!-- learning:hopper-demo -->") == 1
    assert "### Hopper, again" in again and "### Hopper, short" not in again
    assert again.endswith("More hand-written text.\n")
    assert table_rows(again) == table_rows(text)


def test_a_later_sweep_exported_to_the_same_place_joins_the_table(
    learning, sweep: Path, tmp_path: Path
) -> None:
    from provenance import Invocation, append_invocation, read_manifest

    export = tmp_path / "benchmarks" / "results" / "hopper-demo"
    make_peer(tmp_path / "peers", 0, {50_000: 300.0, 100_000: 900.0}, 600.0)
    learning.summarize(sweep, [tmp_path / "peers"], export=export, publish=[], title=None)

    # Seed 2 of twinq, run later on another machine, with its own peer seed.
    later = tmp_path / "runs" / "hopper-demo-seed2"
    every = {f: 10.0 * f / 1000 + 400 for f in range(10_000, 120_001, 10_000)}
    overrides = ["loss=twinq", "seed=2"]
    make_run(later, "Hopper-v5/loss=twinq,seed=2", overrides, every, total_frames=120_000)
    other = Invocation(
        id="c",
        command="python benchmarks/learning.py run --seeds 2 --name hopper-demo-seed2",
        commit="0123abc",
        machine="16-core Other CPU, 128 GiB, no GPU",
        started="2026-11-22 09:00:00",
        ended="2026-11-22 09:20:00",
        wall_s=1200.0,
        exit_code=0,
    )
    append_invocation(later, other)
    make_peer(tmp_path / "later-peers", 2, {50_000: 700.0, 100_000: 1300.0}, 700.0)
    results = tmp_path / "results.md"
    text = learning.summarize(
        later, [tmp_path / "later-peers"], export=export, publish=[results], title=None
    ).read_text()

    rows = table_rows(text)
    # twinq's seeds 0, 1 and 2 at 100k: 1000, 1200 and 1400.
    assert rows[("twinq (v2)", "100k")][2:5] == ["3", "100k", "1200.0 ± 200.0"]
    assert rows[("vnet (v1)", "100k")][2] == "2"
    assert rows[("stable-baselines3 9.9", "100k")][2:5] == ["2", "100k", "1100.0 ± 282.8"]
    assert [entry.id for entry in read_manifest(export)] == ["a", "b", "c"]
    assert "Commit: abc1234, def5678, 0123abc." in text
    assert "<!-- learning:hopper-demo -->" in results.read_text()

    # Exported again, the same calls are kept once and the runs are the same.
    learning.summarize(later, [], export=export, publish=[], title=None)
    assert [entry.id for entry in read_manifest(export)] == ["a", "b", "c"]
    assert table_rows((export / "summary.md").read_text()) == rows


def test_calls_recording_side_by_side_into_one_sweep_keep_every_entry(
    learning, tmp_path: Path
) -> None:
    # Seeds of one sweep run as separate calls at once (one per core), each recording its
    # start and end in the same manifest. The writers wait for one another before writing.
    go = tmp_path / "go"
    writer = f"""
import sys, time
sys.path.insert(0, {str(REPO / "benchmarks")!r})
from pathlib import Path
from provenance import Invocation, append_invocation
go = Path({str(go)!r})
while not go.exists():
    time.sleep(0.001)
for n in range(100):
    entry = Invocation(id=sys.argv[1] + str(n), command="c", commit="c", machine="m", started="s")
    append_invocation(Path({str(tmp_path / "sweep")!r}), entry)
"""
    writers = [subprocess.Popen([sys.executable, "-c", writer, f"w{k}-"]) for k in range(4)]
    go.touch()
    assert [process.wait() for process in writers] == [0] * 4

    from provenance import read_manifest

    ids = {entry.id for entry in read_manifest(tmp_path / "sweep")}
    assert ids == {f"w{k}-{n}" for k in range(4) for n in range(100)}
    assert not [path for path in (tmp_path / "sweep").iterdir() if "partial" in path.name]


def test_an_export_never_replaces_a_run_by_a_shorter_one(
    learning, sweep: Path, tmp_path: Path
) -> None:
    export = tmp_path / "export"
    learning.summarize(sweep, [], export=export, publish=[], title=None)
    eval_csv = export / "Hopper-v5/loss=twinq,seed=0/metrics/eval.csv"
    before = eval_csv.read_text()
    manifest = (export / "learning.json").read_text()

    restarted = tmp_path / "runs" / "restarted"
    overrides = ["loss=twinq", "seed=0"]
    make_run(restarted, "Hopper-v5/loss=twinq,seed=0", overrides, {10_000: 50.0})
    with pytest.raises(learning.UsageError, match="holds 120000 frames of this run"):
        learning.summarize(restarted, [], export=export, publish=[], title=None)
    assert eval_csv.read_text() == before
    assert (export / "learning.json").read_text() == manifest


def test_an_export_of_finished_runs_only_leaves_the_others_out(
    learning, sweep: Path, tmp_path: Path
) -> None:
    export = tmp_path / "export"
    learning.summarize(sweep, [], export=export, publish=[], title=None, finished_only=True)
    exported = sorted(path.parent.name for path in export.rglob("config.yaml"))
    # vnet seed 1 stopped at 60k of its 120k frames.
    assert exported == ["loss=twinq,seed=0", "loss=twinq,seed=1", "loss=vnet,seed=0"]
    assert table_rows((export / "summary.md").read_text())[("vnet (v1)", "100k")][2] == "1"


def test_peers_of_another_task_stay_out_of_a_sweeps_export_and_table(
    learning, sweep: Path, tmp_path: Path
) -> None:
    # One peers directory serves every sweep of a campaign: Hopper's and Ant's SB3 runs.
    peers = tmp_path / "peers"
    make_peer(peers, 0, {50_000: 300.0, 100_000: 900.0}, 600.0)
    make_peer(peers, 0, {50_000: 40.0, 100_000: 500.0}, 900.0, env="Ant-v5")
    export = tmp_path / "export"
    learning.summarize(sweep, [peers], export=export, publish=[], title=None)

    assert sorted(path.parent.parent.name for path in export.rglob("run.json")) == ["Hopper-v5"]
    summary = (export / "summary.md").read_text()
    assert "| Hopper-v5 | stable-baselines3 9.9 |" in summary
    assert "Ant-v5" not in summary
    # Summarized from the raw sweep beside the same peers, without an export: the same.
    learning.summarize(sweep, [peers], export=None, publish=[], title=None)
    assert "Ant-v5" not in (sweep / "summary.md").read_text()
    # An export made before exports filtered them still holds one: the overview leaves it out.
    make_peer(export / "peers", 1, {50_000: 40.0, 100_000: 500.0}, 900.0, env="Ant-v5")
    section = learning.overview([export], tmp_path / "learning.png", [], None)
    assert "| Hopper-v5 | stable-baselines3 9.9 |" in section and "Ant-v5" not in section


def test_the_overview_gives_each_task_at_its_largest_common_budget(
    learning, sweep: Path, tmp_path: Path
) -> None:
    make_peer(tmp_path / "peers", 0, {50_000: 300.0, 100_000: 900.0, 120_000: 1000.0}, 600.0)
    hopper = tmp_path / "results" / "hopper"
    learning.summarize(sweep, [tmp_path / "peers"], export=hopper, publish=[], title=None)
    cheetah = tmp_path / "runs" / "cheetah"
    for seed in (0, 1):
        returns = {f: 60.0 * f / 1000 + 100 * seed for f in range(5_000, 100_001, 5_000)}
        name = f"HalfCheetah-v5/loss=twinq,seed={seed}"
        make_run(
            cheetah,
            name,
            ["loss=twinq", f"seed={seed}"],
            returns,
            total_frames=100_000,
            config_name="halfcheetah",
        )
    readme = tmp_path / "README.md"
    readme.write_text("# Title\n\n## Results\n\nBefore.\n")
    details = tmp_path / "docs" / "results.md"
    section = learning.overview(
        [hopper, cheetah],
        tmp_path / "docs" / "learning.png",
        [readme],
        details,
        floors_dir=tmp_path / "no-floors",
    )

    rows = {
        tuple(cell.strip() for cell in line.strip("|").split("|")[:2]): [
            cell.strip() for cell in line.strip("|").split("|")
        ]
        for line in section.splitlines()
        if line.startswith(("| Hopper-v5", "| HalfCheetah-v5"))
    }
    # Hopper: vnet seed 1 stopped at 60k, so 50k is the largest budget all its runs reached.
    assert rows[("Hopper-v5", "twinq (v2)")][2:] == ["2", "50k", "600 ± 141", "–", "–"]
    assert rows[("Hopper-v5", "vnet (v1)")][2:5] == ["2", "50k", "175 ± 106"]
    assert rows[("Hopper-v5", "stable-baselines3 9.9")][2:5] == ["1", "50k", "300"]
    # HalfCheetah: both seeds to 100k, against plain SAC's 6156 there.
    assert rows[("HalfCheetah-v5", "twinq (v2)")][2:] == [
        "2",
        "100k",
        "6050 ± 71",
        "6156",
        "98%",
    ]
    assert "(docs/learning.png)" in section
    assert "[docs/results.md](docs/results.md)" in section
    assert "runs reached. Trained on 2-core Test CPU, 8 GiB, no GPU.\n" in section
    assert (tmp_path / "docs" / "learning.png").stat().st_size > 10_000
    text = readme.read_text()
    assert text.startswith("# Title\n\n## Results\n\nBefore.\n\n<!-- learning:overview -->\n")
    # Published again: replaced in place.
    learning.overview([hopper, cheetah], tmp_path / "docs" / "learning.png", [readme], details)
    assert readme.read_text() == text


@pytest.mark.e2e
def test_run_trains_the_grid_records_provenance_and_summarizes(tmp_path: Path) -> None:
    command = [
        sys.executable,
        str(BENCHMARKS / "learning.py"),
        "run",
        "--tasks", "hopper",
        "--losses", "twinq", "vnet",
        "--seeds", "0",
        "--name", "tiny",
        "--override", *TINY,
    ]  # fmt: skip
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    sweep = tmp_path / "runs" / "tiny"
    assert len(list(sweep.glob("Hopper-v5/*/weights.pt"))) == 2
    (entry,) = json.loads((sweep / "learning.json").read_text())
    assert entry["command"].startswith("python ") and "--name tiny" in entry["command"]
    assert entry["started"] <= entry["ended"]
    assert entry["exit_code"] == 0 and entry["wall_s"] > 0
    assert "core" in entry["machine"] and entry["commit"]
    assert entry["versions"]["torchrl"]
    rows = table_rows((sweep / "summary.md").read_text())
    # With Hopper's floors, as the repository records them (benchmarks/results/floors).
    assert set(rows) == {
        ("twinq (v2)", "240"),
        ("vnet (v1)", "240"),
        ("uniform random policy (floor)", "no training"),
        ("zero action (floor)", "no training"),
    }

    # The same command again resumes (here: finds both runs complete) and adds an entry.
    again = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "already complete" in again.stdout + again.stderr
    assert len(json.loads((sweep / "learning.json").read_text())) == 2


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["run", "--tasks", "hoper"], "unknown task hoper: choose from ant, halfcheetah, "),
        (["run", "--losses", "v3"], "unknown loss v3: choose from twinq, vnet"),
        (["summary", "nowhere"], "nowhere does not exist"),
    ],
)
def test_bad_input_gives_one_line(learning, arguments, message, capsys) -> None:
    assert learning.main(arguments) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"learning.py: error: {message}") and err.count("\n") == 1


@pytest.mark.parametrize(("signum", "name"), [(signal.SIGINT, "SIGINT")])
@pytest.mark.e2e
def test_a_stop_signal_stops_the_runs_with_a_snapshot_and_keeps_the_record(
    tmp_path: Path, signum: int, name: str
) -> None:
    """Ctrl-C in a terminal, or SIGTERM from a scheduler: learning.py passes it on to the runs,
    which snapshot and stop; the call's record is kept with the exit status 128+N."""
    command = [
        sys.executable,
        str(BENCHMARKS / "learning.py"),
        "run",
        "--losses", "twinq",
        "--seeds", "0",
        "--name", "stopped",
        # One run at a time: a run in a joblib worker process is stopped without its
        # stop snapshot (docs/sweeps.md), and resumes from its last periodic one.
        "--jobs", "1",
        "--override", *TINY, "collector.total_frames=1000000", "snapshot.every_frames=200",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "PYTHONUNBUFFERED": "1"}
    # A session of its own, like a terminal's foreground job.
    process = subprocess.Popen(
        command,
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines = []
    for line in process.stdout:
        lines.append(line)
        if "snapshot at frame" in line:  # learning has started
            break
    os.killpg(process.pid, signum)
    output, _ = process.communicate(timeout=120)
    output = "".join(lines) + output
    assert process.returncode == 128 + signum, output[-3000:]
    assert f"{name}: stopped at frame" in output and "Traceback" not in output
    sweep = tmp_path / "runs" / "stopped"
    assert list(sweep.glob("Hopper-v5/*/snapshots/snapshot-*"))
    (entry,) = json.loads((sweep / "learning.json").read_text())
    assert entry["exit_code"] == 128 + signum and entry["ended"]
    assert "| Hopper-v5 | twinq (v2) | 1 |" in (sweep / "summary.md").read_text()


def test_bad_peer_records_and_dirs_give_one_line(learning, sweep: Path, tmp_path: Path) -> None:
    with pytest.raises(learning.RunDirError, match="peer directory .*nowhere does not exist"):
        learning.summarize(sweep, [tmp_path / "nowhere"], export=None, publish=[], title=None)
    peer = make_peer(tmp_path / "peers", 0, {50_000: 1.0}, 1.0)
    (peer / "run.json").write_text('{"implementation": "x"}')
    with pytest.raises(learning.RunDirError, match="seed=0 is not a peer run .*KeyError"):
        learning.summarize(sweep, [tmp_path / "peers"], export=None, publish=[], title=None)


def test_the_same_peers_found_twice_count_once(learning, sweep: Path, tmp_path: Path) -> None:
    import learning_summary

    make_peer(tmp_path / "peers", 0, {50_000: 300.0}, 60.0)
    make_peer(tmp_path / "peers", 1, {50_000: 500.0}, 60.0)
    peers = learning_summary.read_peers([tmp_path / "peers", tmp_path / "peers" / "sb3"])
    assert sorted(peer.seed for peer in peers) == [0, 1]


def test_broken_markers_are_refused_not_overwritten(learning, sweep: Path, tmp_path: Path):
    results = tmp_path / "results.md"
    broken = "# Results\n<!-- learning:hopper-demo -->\nold\n\nHand-written.\n"
    results.write_text(broken)
    with pytest.raises(learning.UsageError, match="holds 1 and 0: mend the markers"):
        learning.summarize(sweep, [], export=None, publish=[results], title=None)
    assert results.read_text() == broken


def test_the_peer_is_evaluated_like_trl_sac(monkeypatch) -> None:
    """Seeded once by a reset, then reset before every episode; deterministic actions."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import peer_learning

    class Env:
        def __init__(self) -> None:
            self.resets: list[int | None] = []

        def reset(self, seed=None):
            self.resets.append(seed)
            self.steps = 0
            return 0.0, {}

        def step(self, action):
            self.steps += 1
            episode = len(self.resets) - 1  # episode k lasts k steps and earns 1 per step
            return 0.0, 1.0, self.steps >= episode, False, {}

    class Model:
        deterministic = []

        def predict(self, observation, deterministic):
            self.deterministic.append(deterministic)
            return 0.0, None

    env, model = Env(), Model()
    row = peer_learning.evaluate_policy(model, env, episodes=3, seed=7)
    assert env.resets == [7, None, None, None]
    assert row["eval/return_mean"] == 2.0 and row["eval/episode_length_mean"] == 2.0
    assert (row["eval/return_min"], row["eval/return_max"]) == (1.0, 3.0)
    assert all(model.deterministic)


@pytest.mark.parametrize(
    ("recipe", "loss", "scale"),
    [
        ("hopper", "vnet", "5.00"),
        ("ant", "twinq", "1.00"),
        ("humanoid", "twinq", "1.00"),
        ("humanoid_rllab", "twinq", "1.00"),
    ],
)
def test_inspect_buffer_reads_what_a_run_trained_on(
    tiny_cfg, monkeypatch, capsys, recipe: str, loss: str, scale: str
) -> None:
    """50-step episodes of mostly random actions: some falls, some time limits, each
    `terminated` flag where the task's health rule puts it, rewards at the loss's scale."""
    from trl_sac.training.loop import train

    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import inspect_buffer

    cfg = tiny_cfg(recipe, f"loss={loss}", "snapshot.every_frames=240")
    train(cfg)
    assert inspect_buffer.main([cfg.run_dir]) == 0
    out = capsys.readouterr().out
    ends = re.search(r"episode ends: (\d+), terminated (\d+), time-limit truncations (\d+)", out)
    total, terminated, truncated = map(int, ends.groups())
    assert total == terminated + truncated and total > 0
    if recipe != "ant":  # a random ant falls rarely (263 steps on average); the others soon
        assert terminated > 0
    assert f"implied reward scale {scale}" in out
    assert "terminated flags that disagree with the health rule: 0" in out
    sides = re.search(r"terminations outside the healthy range: (.*)", out).group(1)
    counts = [int(count) for count in re.findall(r": (\d+)", sides)]
    assert all(count <= terminated for count in counts)
    if recipe == "hopper":  # a fall may leave both the height and the angle range
        assert sum(counts) >= terminated
    else:  # one rule, the torso's height: each termination leaves it on one side
        assert sum(counts) == terminated
    if recipe in ("humanoid", "humanoid_rllab"):  # random humanoids fall; none jumps
        assert re.search(r"height < [\d.]+: (\d+)", sides).group(1) == str(terminated)
    assert inspect_buffer.main([str(Path(cfg.run_dir) / "nope")]) == 2


def write_floors(directory: Path, env_id: str, random: list[float], zero: list[float]) -> None:
    """A record as benchmarks/random_policy.py --out writes it."""
    directory.mkdir(parents=True, exist_ok=True)
    record = {
        "env_id": env_id,
        "command": f"python benchmarks/random_policy.py {env_id} --out floors",
        "uniform_random": {"returns": random},
        "zero_action": {"returns": zero},
    }
    (directory / f"{env_id}.json").write_text(json.dumps(record))


def test_floors_sit_beside_the_learning_results_of_their_task(
    learning, sweep: Path, tmp_path: Path
) -> None:
    """A short-budget result is read against what learning nothing scores on the same task."""
    floors = tmp_path / "floors"
    write_floors(floors, "Hopper-v5", [10.0, 20.0], [130.0, 130.0])
    write_floors(floors, "Ant-v5", [-50.0], [994.0])  # another task: not in Hopper's tables
    export = tmp_path / "results" / "hopper"
    learning.summarize(sweep, [], export=export, publish=[], title=None, floors_dir=floors)
    summary = (export / "summary.md").read_text()
    rows = table_rows(summary)
    assert rows[("uniform random policy (floor)", "no training")][2:5] == [
        "2 episodes",
        "no training",
        "15.0 ± 7.1",
    ]
    assert rows[("zero action (floor)", "no training")][4] == "130.0 ± 0.0"
    assert "Ant-v5" not in summary
    assert "`python benchmarks/random_policy.py Hopper-v5 --out floors`" in summary

    section = learning.overview([export], tmp_path / "learning.png", [], None, floors_dir=floors)
    assert "floor: random · zero action" in section
    twinq = next(line for line in section.splitlines() if "| twinq (v2) |" in line)
    assert twinq.rstrip().endswith("| 15 · 130 |")


def test_a_row_below_a_floor_says_so_beside_its_share(
    learning, sweep: Path, tmp_path: Path
) -> None:
    """Why it matters: Ant-v5's zero-action floor (991) is above its 100k reference (747),
    so a share of the reference alone would call an ant that only stands a success. Here a
    Hopper sweep with made-up floors: one above a row, one between two rows."""
    floors = tmp_path / "floors"
    write_floors(floors, "Hopper-v5", [100.0, 200.0], [550.0, 550.0])
    export = tmp_path / "results" / "hopper"
    learning.summarize(sweep, [], export=export, publish=[], title=None, floors_dir=floors)
    rows = table_rows((export / "summary.md").read_text())
    # vnet: 500 at 100k (one seed got there), under zero action; 175 at 50k, under zero
    # action only (random scores 150).
    assert rows[("vnet (v1)", "100k")][6] == "45% (below zero action)"
    assert rows[("vnet (v1)", "50k")][6] == "– (below zero action)"
    # twinq: 600 at 50k and 1100 at 100k, above both.
    assert rows[("twinq (v2)", "100k")][6] == "100%"
    assert rows[("twinq (v2)", "50k")][6] == "–"

    section = learning.overview([export], tmp_path / "learning.png", [], None, floors_dir=floors)
    vnet = next(line for line in section.splitlines() if "| vnet (v1) |" in line)
    twinq = next(line for line in section.splitlines() if "| twinq (v2) |" in line)
    assert vnet.endswith("| – (below zero action) | 150 · 550 |")
    assert "below" not in twinq


def test_the_peer_benchmark_knows_trl_sacs_own_tasks() -> None:
    # In a fresh interpreter, as a user runs it: HumanoidRllab-v0 is registered by trl_sac.
    probe = (
        "import sys; sys.path.insert(0, 'benchmarks'); import peer_learning; "
        "print(peer_learning.Protocol.of_trl_sac('HumanoidRllab-v0').max_episode_steps)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-1] == "1000"
