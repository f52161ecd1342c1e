"""A real single-node SLURM for the tests, on a Debian machine, as root.

    python tests/cluster/slurm_node.py start DIR   # installs what is missing, starts, waits
    python tests/cluster/slurm_node.py stop DIR    # stops the daemons it started

Everything it writes lives under DIR (slurm.conf, state, spool, logs, the daemons' PIDs),
except munge's key, which munge reads from /etc/munge. Clients and jobs find the cluster
through SLURM_CONF=DIR/slurm.conf. It stops only the daemons it started, by their PIDs.
Written for Debian 12's slurm-wlm 22.05 in a container: no systemd, no cgroups, no
accounting database.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

PACKAGES = ("slurmctld", "slurmd", "slurm-client", "munge")
PROGRAMS = ("slurmctld", "slurmd", "sbatch", "munged")
MUNGE_KEY = Path("/etc/munge/munge.key")
PIDS_FILE = "pids.json"


def why_not_here() -> str | None:
    """One line saying why this machine cannot run the cluster, or None when it can."""
    if sys.platform != "linux" or not Path("/etc/debian_version").exists():
        return "a single-node SLURM needs Debian (its slurm-wlm packages)"
    if os.geteuid() != 0:
        return "a single-node SLURM needs root (it installs packages and starts daemons)"
    if not all(shutil.which(name) for name in PROGRAMS) and not shutil.which("apt-get"):
        return "SLURM is not installed and apt-get is missing"
    return None


def install() -> None:
    if all(shutil.which(name) for name in PROGRAMS):
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", *PACKAGES], check=True, env=env)


def slurm_conf(directory: Path) -> str:
    host = socket.gethostname().split(".")[0]
    memory_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    return "\n".join(
        [
            "ClusterName=trlsac",
            f"SlurmctldHost={host}",
            "SlurmUser=root",
            "SlurmdUser=root",
            "AuthType=auth/munge",
            "MpiDefault=none",
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "JobAcctGatherType=jobacct_gather/none",
            "SchedulerType=sched/backfill",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_Core",
            "ReturnToService=2",
            f"StateSaveLocation={directory / 'state'}",
            f"SlurmdSpoolDir={directory / 'spool'}",
            f"SlurmctldPidFile={directory / 'slurmctld.pid'}",
            f"SlurmdPidFile={directory / 'slurmd.pid'}",
            f"SlurmctldLogFile={directory / 'slurmctld.log'}",
            f"SlurmdLogFile={directory / 'slurmd.log'}",
            f"NodeName={host} CPUs={os.cpu_count()} RealMemory={int(memory_mb * 0.9)} "
            "State=UNKNOWN",
            "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
            "",
        ]
    )


def prepare_munge() -> None:
    munge = pwd.getpwnam("munge")
    for path in (Path("/run/munge"), Path("/var/lib/munge"), Path("/var/log/munge")):
        path.mkdir(parents=True, exist_ok=True)
        os.chown(path, munge.pw_uid, munge.pw_gid)
    if not MUNGE_KEY.exists():
        MUNGE_KEY.parent.mkdir(parents=True, exist_ok=True)
        MUNGE_KEY.write_bytes(os.urandom(1024))
    os.chown(MUNGE_KEY, munge.pw_uid, munge.pw_gid)
    MUNGE_KEY.chmod(0o400)


def start(directory: Path, timeout: float = 60) -> dict[str, str]:
    """Start munge (unless one runs), slurmctld and slurmd; return the clients' env."""
    install()
    directory.mkdir(parents=True, exist_ok=True)
    for sub in ("state", "spool"):
        (directory / sub).mkdir(exist_ok=True)
    conf = directory / "slurm.conf"
    conf.write_text(slurm_conf(directory))
    env = {**os.environ, "SLURM_CONF": str(conf)}
    started: dict[str, int] = {}
    if subprocess.run(["pgrep", "-x", "munged"], capture_output=True).returncode != 0:
        prepare_munge()
        started["munged"] = subprocess.Popen(
            ["munged", "--foreground"], user="munge", stderr=subprocess.DEVNULL
        ).pid
    for daemon in ("slurmctld", "slurmd"):
        log = (directory / f"{daemon}.out").open("w")
        started[daemon] = subprocess.Popen(
            [daemon, "-D", "-f", str(conf)], env=env, stdout=log, stderr=subprocess.STDOUT
        ).pid
    (directory / PIDS_FILE).write_text(json.dumps(started))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = subprocess.run(
            ["sinfo", "-h", "-o", "%T"], env=env, capture_output=True, text=True
        ).stdout.strip()
        if state == "idle":
            return env
        time.sleep(0.5)
    stop(directory)
    raise RuntimeError(
        f"the SLURM node did not become idle in {timeout:.0f} s (logs in {directory})"
    )


def stop(directory: Path) -> None:
    """Stop the daemons `start` started, newest first, by their PIDs."""
    path = directory / PIDS_FILE
    if not path.exists():
        return
    for pid in reversed(list(json.loads(path.read_text()).values())):
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
        for _ in range(100):
            with contextlib.suppress(ChildProcessError):  # reaped here if it is our child
                os.waitpid(pid, os.WNOHANG)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            os.kill(pid, signal.SIGKILL)
    path.unlink()


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("start", "stop"):
        sys.stderr.write("usage: python tests/cluster/slurm_node.py start|stop DIR\n")
        return 2
    command, directory = argv[0], Path(argv[1]).resolve()
    if command == "stop":
        stop(directory)
        return 0
    reason = why_not_here()
    if reason is not None:
        sys.stderr.write(f"slurm_node: {reason}\n")
        return 2
    env = start(directory)
    sys.stdout.write(f"export SLURM_CONF={env['SLURM_CONF']}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
