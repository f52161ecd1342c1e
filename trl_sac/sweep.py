"""Sweeps (Hydra multirun): each job trains one run; the sweep ends by writing the report."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from trl_sac.errors import ConfigError
from trl_sac.report import build_report

log = logging.getLogger(__name__)


class ReportWhenSweepEnds(Callback):
    """Writes report.md and eval_return.png into the sweep directory once every job is done.

    Runs that did not reach their budget (a diverged seed) are in the report up to their
    last row; the sweep then exits with status 1 so scripts notice.
    """

    def __init__(self, budgets: Sequence[int] | None = None, threshold: float | None = None):
        self.budgets = list(budgets) if budgets else None
        self.threshold = threshold

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        try:
            report = build_report(
                [sweep_dir], sweep_dir, budgets=self.budgets, threshold=self.threshold
            )
        except ConfigError as error:
            log.error("no report: %s", error)
            raise SystemExit(2) from None
        log.info("report for %s:\n%s", sweep_dir, report.table())
        log.info("written %s and %s", report.markdown_path, report.figure_path)
        unfinished = [run for run in report.runs if not run.finished]
        if unfinished:
            log.error(
                "%d of %d runs stopped before their budget: %s",
                len(unfinished),
                len(report.runs),
                ", ".join(str(run.path) for run in unfinished),
            )
            raise SystemExit(1)
