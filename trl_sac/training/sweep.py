"""Sweeps (Hydra multirun): each job trains one run; the sweep ends by writing the report.

A run that fails does not end the sweep: it is noted in `failures.log` in the sweep
directory, the other runs go on, and the sweep exits with status 1 after the report.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from hydra.core.hydra_config import HydraConfig
from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from trl_sac.reporting.report import build_report, untrained_warning
from trl_sac.runs.lock import in_use_elsewhere
from trl_sac.runs.parallel import threads_per_run
from trl_sac.training.cli import run

log = logging.getLogger(__name__)

FAILURES_FILE = "failures.log"


def run_sweep_job(cfg: DictConfig) -> float:
    """Train one run of a sweep; a failure is noted for the sweep's end, not raised.

    On this machine (Hydra's joblib launcher) the run takes its share of the CPU cores as
    torch threads; a cluster job keeps the threads its launcher gave it.
    """
    hydra_cfg = HydraConfig.get()
    failures = Path(hydra_cfg.sweep.dir) / FAILURES_FILE
    if "joblib" in hydra_cfg.launcher.get("_target_", "").lower() and "jobs" in cfg:
        torch.set_num_threads(threads_per_run(cfg.jobs))

    def note(label: str, message: str) -> None:
        with failures.open("a") as file:
            file.write(f"{cfg.run_dir}: {label}: {message}\n")

    return run(cfg, on_failure=note)


class QuietSacct(logging.Filter):
    """submitit asks sacct for its jobs' states and, on a cluster without an accounting
    database, warns three times per poll; the jobs run regardless. One line says so once."""

    said = False

    def filter(self, record: logging.LogRecord) -> bool:
        if "Bypassing sacct error" not in record.getMessage():
            return True
        if QuietSacct.said:
            return False
        QuietSacct.said = True
        record.msg = (
            "sacct fails on this cluster (no accounting database?): submitit follows the "
            "jobs through their own files instead; said once"
        )
        record.args = ()
        return True


class ReportWhenSweepEnds(Callback):
    """Writes report.md and eval_return.png into the sweep directory once every job is done.

    Runs that failed or stopped short of their budget are in the report up to their last
    row; the sweep then exits with status 1 so that scripts notice. A run still training
    in another process (a second call for other seeds of the same sweep) is not short.
    """

    def __init__(self, budgets: Sequence[int] | None = None, threshold: float | None = None):
        self.budgets = list(budgets) if budgets else None
        self.threshold = threshold
        self._failures_before = 0

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        logging.getLogger("submitit").addFilter(QuietSacct())
        failures = Path(config.hydra.sweep.dir) / FAILURES_FILE
        self._failures_before = failures.stat().st_size if failures.exists() else 0

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        failures = self._new_failures(sweep_dir / FAILURES_FILE)
        short = []
        try:
            report = build_report(
                [sweep_dir], sweep_dir, budgets=self.budgets, threshold=self.threshold
            )
        except Exception as error:  # Hydra would turn it into a warning and exit 0
            log.error("no report for %s: %s", sweep_dir, error)
            if not failures:
                raise SystemExit(2) from None
        else:
            log.info("report for %s:\n%s", sweep_dir, report.table())
            untrained = [run for run in report.runs if not run.trained]
            if untrained:
                log.warning(untrained_warning(untrained).replace("**", ""))
            log.info("written %s and %s", report.markdown_path, report.figure_path)
            unfinished = [str(run.path) for run in report.runs if not run.finished]
            # A second call training other seeds of the same sweep holds its runs' locks.
            elsewhere = [path for path in unfinished if in_use_elsewhere(Path(path))]
            short = [path for path in unfinished if path not in elsewhere]
            if elsewhere:
                log.info("still training in another process: %s", ", ".join(elsewhere))
        if failures:
            log.error("%d runs failed:\n%s", len(failures), "\n".join(failures))
        if short:
            log.error("%d runs are short of their budget: %s", len(short), ", ".join(short))
        if failures or short:
            raise SystemExit(1)

    def _new_failures(self, path: Path) -> list[str]:
        if not path.exists():
            return []
        with path.open() as file:
            file.seek(self._failures_before)
            return [line.rstrip("\n") for line in file if line.strip()]
