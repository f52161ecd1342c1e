"""How many runs of a local sweep train at once, and how many torch threads each gets.

On a 2-core CPU two one-thread runs side by side do more work than one two-thread run
(1.27-1.38x measured, depending on how much the host's second thread adds to an update),
so a comparison finishes sooner with one run per core (docs/speed.md, "Comparisons use
every core").
"""

from __future__ import annotations

import os

AUTO = "auto"


def usable_cores() -> int:
    """The CPU cores this process may run on (a container's or a job's share, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def runs_at_once(jobs: int | str) -> int:
    """`jobs` as a number: auto is one run per usable core. Anything else but a positive
    whole number reads as 1 here, so the config composes and its check names the mistake."""
    if jobs == AUTO:
        return usable_cores()
    return jobs if isinstance(jobs, int) and not isinstance(jobs, bool) and jobs >= 1 else 1


def thread_cap() -> int | None:
    """The thread count the environment asks for (OMP_NUM_THREADS), if it names one."""
    value = os.environ.get("OMP_NUM_THREADS", "").strip()
    return int(value) if value.isdecimal() and int(value) >= 1 else None


def threads_per_run(jobs: int | str) -> int:
    """torch threads for each of `jobs` runs at once: the cores divided among them, at least
    one, and no more than OMP_NUM_THREADS where it is set (a run beside other work)."""
    threads = max(1, usable_cores() // runs_at_once(jobs))
    cap = thread_cap()
    return min(threads, cap) if cap else threads


def one_at_a_time(jobs: int | str) -> bool:
    return runs_at_once(jobs) == 1
