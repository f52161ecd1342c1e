"""SIGINT and SIGTERM as a request to stop at the next safe point, not in the middle of a step."""

from __future__ import annotations

import os
import signal
import threading
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def cluster_signals() -> tuple[signal.Signals, ...]:
    """The signal a submitit SLURM job receives ahead of its time limit (USR2, or what
    SUBMITIT_PREEMPT_SIGNAL names): inside such a job a run snapshots on it too, and then
    hands it on to submitit, which requeues the job."""
    if os.environ.get("SUBMITIT_EXECUTOR") != "slurm":
        return ()
    return (signal.Signals[f"SIG{os.environ.get('SUBMITIT_PREEMPT_SIGNAL', 'USR2')}"],)


def hand_on(signum: int) -> None:
    """Deliver `signum` again, now to the handler that had it before the run (submitit's,
    which requeues the job and exits)."""
    if signum in cluster_signals():
        signal.raise_signal(signum)


class StopRequests:
    """While active, the first SIGINT/SIGTERM (or, in a SLURM job, the time-limit signal) is
    recorded in `signum` for the loop to honour.

    A second SIGINT raises KeyboardInterrupt at once, for a user who does not want to wait
    for the snapshot. Outside the main thread (where Python cannot install handlers)
    signals keep their default behaviour.
    """

    def __init__(self) -> None:
        self.signum: int | None = None
        self._previous: dict[int, object] = {}

    def __enter__(self) -> StopRequests:
        if threading.current_thread() is threading.main_thread():
            for signum in (*STOP_SIGNALS, *cluster_signals()):
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.signum = self.signum or signum
