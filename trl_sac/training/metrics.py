"""Metric output: one CSV per namespace, plus TensorBoard or W&B when asked for."""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

from omegaconf import DictConfig
from torchrl.record.loggers import Logger

from trl_sac.files import replaced_atomically


class CsvTable:
    """A CSV file with a fixed header: one row per logging step, blank where a value is absent.

    (TorchRL's CSVLogger writes one file per scalar; a row per step is what users read.)
    """

    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        self.columns = ["frames", *columns]
        is_new = not path.exists() or path.stat().st_size == 0
        self._file = path.open("a", newline="")
        self._writer = csv.DictWriter(self._file, fieldnames=self.columns)
        if is_new:
            self._writer.writeheader()
            self._file.flush()

    @staticmethod
    def drop_rows_after(path: Path, frames: int) -> None:
        """Rewrite `path` (atomically) without the rows logged after `frames` env steps.

        A row cut short by a kill has fewer fields than the header and is dropped too.
        """
        if not path.exists() or path.stat().st_size == 0:
            return
        with path.open(newline="") as file:
            header, *rows = list(csv.reader(file))
        complete = (row for row in rows if len(row) == len(header))
        kept = [header, *(row for row in complete if int(row[0]) <= frames)]
        with replaced_atomically(path) as partial, partial.open("w", newline="") as file:
            csv.writer(file).writerows(kept)

    def write(self, frames: int, values: Mapping[str, float]) -> None:
        self._writer.writerow({"frames": frames, **values})
        self._file.flush()

    def close(self) -> None:
        self._file.close()


class MetricsWriter:
    """Writes `train/`, `eval/` and `time/` metrics under `run_dir/metrics/`.

    A resumed run passes `resume_frames`: rows a killed run logged after its snapshot
    are dropped, so each logging step appears exactly once.
    """

    def __init__(
        self,
        run_dir: Path,
        columns: Mapping[str, Sequence[str]],
        cfg: DictConfig,
        *,
        resume_frames: int | None = None,
    ) -> None:
        metrics_dir = run_dir / "metrics"
        metrics_dir.mkdir(parents=True, exist_ok=True)
        if resume_frames is not None:
            for namespace in columns:
                CsvTable.drop_rows_after(metrics_dir / f"{namespace}.csv", resume_frames)
        self._tables = {
            namespace: CsvTable(metrics_dir / f"{namespace}.csv", names)
            for namespace, names in columns.items()
        }
        self._backend = make_backend(cfg, run_dir)
        if resume_frames is not None and cfg.backend == "tensorboard":
            purge_tensorboard_after(self._backend, resume_frames)

    def log(self, frames: int, values: Mapping[str, float]) -> None:
        by_namespace: dict[str, dict[str, float]] = {}
        for name, value in values.items():
            by_namespace.setdefault(name.split("/", 1)[0], {})[name] = value
        for namespace, group in by_namespace.items():
            self._tables[namespace].write(frames, group)
        if self._backend is not None:
            for name, value in values.items():
                if not math.isnan(value):
                    self._backend.log_scalar(name, value, step=frames)

    def close(self) -> None:
        for table in self._tables.values():
            table.close()


def purge_tensorboard_after(logger: Logger, frames: int) -> None:
    """Tell TensorBoard to hide events a killed run logged after `frames`.

    This is what SummaryWriter(purge_step=...) writes; TorchRL's logger does not pass
    that argument through, so the marker event is added to its writer directly.
    """
    from tensorboard.compat.proto.event_pb2 import Event, SessionLog

    # TensorBoard hides events at or after the marker's step; rows at `frames` stay.
    writer = logger.experiment._get_file_writer()
    writer.add_event(Event(step=frames + 1, session_log=SessionLog(status=SessionLog.START)))


def make_backend(cfg: DictConfig, run_dir: Path) -> Logger | None:
    """TorchRL's TensorBoard or W&B logger, or None for CSV only (checked in settings)."""
    if cfg.backend == "tensorboard":
        from torchrl.record.loggers import TensorboardLogger

        return TensorboardLogger(exp_name="tensorboard", log_dir=str(run_dir))
    if cfg.backend == "wandb":
        from torchrl.record.loggers import WandbLogger

        return WandbLogger(
            exp_name=run_dir.as_posix().replace("/", "-"),
            save_dir=str(run_dir),
            project=cfg.project,
        )
    return None
