"""Where and from what a result came: the machine, the commit, and each command's wall time.

A learning sweep keeps `learning.json` in its directory: one entry per invocation of
`benchmarks/learning.py run` (a resumed sweep adds one), so a results table can say which
commits, machines and dates its numbers came from and how long they took.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from filelock import FileLock

from trl_sac.errors import RunDirError, first_line
from trl_sac.files import write_text_atomically

MANIFEST_FILE = "learning.json"
MANIFEST_LOCK = ".learning.json.lock"
REPO = Path(__file__).resolve().parents[1]


@dataclass
class Invocation:
    id: str
    command: str
    commit: str
    machine: str
    started: str
    ended: str = ""
    wall_s: float = 0.0
    exit_code: int | None = None
    versions: dict[str, str] = field(default_factory=dict)
    # OMP_NUM_THREADS as the call saw it ("unset" when it was not set), and its niceness:
    # what a wall time means depends on both.
    threads: str = ""
    nice: int | None = None
    # Anything a reader of the results should know about this call, e.g. how it was recorded.
    note: str = ""


def machine_description() -> str:
    """ "2-core AMD EPYC (family 26, model 2), 24 GiB, no GPU" or "16-core ..., NVIDIA H100
    80GB HBM3"."""
    cpuinfo = Path("/proc/cpuinfo")
    named = cpu_name(cpuinfo.read_text()) if cpuinfo.exists() else None
    cpu = named or platform.processor() or platform.machine()
    memory = ""
    if hasattr(os, "sysconf") and "SC_PHYS_PAGES" in os.sysconf_names:
        memory = f", {os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') / 2**30:.0f} GiB"
    return f"{os.cpu_count()}-core {cpu}{memory}, {gpu_name() or 'no GPU'}"


def cpu_name(cpuinfo: str) -> str | None:
    """The first CPU's model name in /proc/cpuinfo's text, with its family and model numbers:
    a cloud VM's CPU is often named by its brand alone ("AMD EPYC"), which covers hosts of
    different generations whose rates differ by 1.5x or more."""
    fields: dict[str, str] = {}
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    if "model name" not in fields:
        return None
    if "cpu family" in fields and "model" in fields:
        return f"{fields['model name']} (family {fields['cpu family']}, model {fields['model']})"
    return fields["model name"]


def gpu_name() -> str | None:
    import torch

    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else None


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version()}
    for package in ("torch", "torchrl", "tensordict", "gymnasium", "mujoco"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            continue
    return found


def current_commit() -> str:
    """The checkout's short commit, with "+changes" when tracked files that run differ from
    it. Documents, their figures and exported results do not count: a benchmark's --publish
    writes them, and the next command of a measurement would otherwise read as run on
    changed code."""
    try:
        commit = _git("rev-parse", "--short", "HEAD")
        changed = _git(
            *("status", "--porcelain", "--untracked-files=no", "--", "."),
            *(":(exclude)*.md", ":(exclude)docs", ":(exclude)benchmarks/results"),
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"{commit}+changes" if changed else commit


def _git(*args: str) -> str:
    command = ["git", "-C", str(REPO), *args]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()


def start_invocation(command: str) -> Invocation:
    return Invocation(
        id=uuid.uuid4().hex,
        command=command,
        commit=current_commit(),
        machine=machine_description(),
        started=time.strftime("%Y-%m-%d %H:%M:%S"),
        versions=versions(),
        threads=os.environ.get("OMP_NUM_THREADS", "unset"),
        nice=os.nice(0),
    )


def read_manifest(sweep_dir: Path) -> list[Invocation]:
    path = sweep_dir / MANIFEST_FILE
    if not path.exists():
        return []
    try:
        entries = json.loads(path.read_text())
        return [Invocation(**entry) for entry in entries]
    except (ValueError, TypeError) as error:
        raise RunDirError(f"{path} is not a learning manifest: {first_line(error)}") from None


def append_invocation(sweep_dir: Path, invocation: Invocation) -> None:
    """Add one invocation to the sweep's manifest, or update it in place (same id).

    Calls for other seeds of one sweep may run side by side; the lock keeps one call's
    read-modify-write from dropping another's entry."""
    sweep_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(sweep_dir / MANIFEST_LOCK):
        entries = read_manifest(sweep_dir)
        ids = [entry.id for entry in entries]
        if invocation.id in ids:
            entries[ids.index(invocation.id)] = invocation
        else:
            entries.append(invocation)
        text = json.dumps([asdict(entry) for entry in entries], indent=2) + "\n"
        write_text_atomically(sweep_dir / MANIFEST_FILE, text)
