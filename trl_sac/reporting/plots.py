"""The report's figure: eval return against env frames, one panel per task, a band over seeds."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

from trl_sac.files import replaced_atomically
from trl_sac.reporting.grouping import Variant
from trl_sac.reporting.summary import Curve, curve_of

# (label, curve, seeds) per variant.
PanelLines = Sequence[tuple[str, Curve, int]]


def variant_lines(variants: Sequence[Variant]) -> list[tuple[str, Curve, int]]:
    """A task panel's line per variant."""
    return [(variant.label, curve_of(variant.runs), len(variant.runs)) for variant in variants]


def plot_curves(
    panels: Mapping[str, PanelLines],
    path: Path,
    *,
    thresholds: Mapping[str, float | None] | None = None,
    caption: str = "",
) -> Path:
    """Write a PNG of mean eval return (lines) +- one standard deviation over seeds (bands)."""
    # The Agg canvas directly: no pyplot, so no global backend state and no display needed.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    columns = min(len(panels), 3)
    rows = math.ceil(len(panels) / columns)
    figure = Figure(figsize=(5.5 * columns, 4.0 * rows + (0.4 if caption else 0)), dpi=110)
    FigureCanvasAgg(figure)
    axes_grid = figure.subplots(rows, columns, squeeze=False)
    for axes, (env_id, lines) in zip(axes_grid.flat, panels.items(), strict=False):
        for label, curve, seeds in lines:
            low = [mean - std for mean, std in zip(curve.mean, curve.std, strict=True)]
            high = [mean + std for mean, std in zip(curve.mean, curve.std, strict=True)]
            # Solid where every run contributes, dashed where only some have got so far.
            (line,) = axes.plot(curve.frames, curve.mean, linestyle="--", linewidth=1)
            complete = [
                mean if runs == seeds else math.nan
                for mean, runs in zip(curve.mean, curve.runs, strict=True)
            ]
            axes.plot(
                curve.frames, complete, color=line.get_color(), label=f"{label} ({_seeds(seeds)})"
            )
            axes.fill_between(curve.frames, low, high, color=line.get_color(), alpha=0.2)
        threshold = (thresholds or {}).get(env_id)
        if threshold is not None:
            _mark_threshold(axes, threshold)
        axes.set_title(env_id)
        axes.set_xlabel("env frames")
        axes.set_ylabel("eval return")
        axes.xaxis.set_major_formatter(_frames_formatter())
        axes.grid(alpha=0.3)
        axes.legend(fontsize="small", loc="best")
    for axes in list(axes_grid.flat)[len(panels) :]:
        axes.set_visible(False)
    if caption:
        figure.text(0.5, 0.01, caption, ha="center", va="bottom", fontsize="small", color="dimgrey")
    figure.tight_layout(rect=(0, 0.05 if caption else 0, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    with replaced_atomically(path) as partial:
        figure.savefig(partial, format="png")
    return path


def _mark_threshold(axes, threshold: float) -> None:
    """A dotted line at the threshold, or a note when it lies far above the curves (a short
    budget), so that it does not squash them."""
    low, high = axes.get_ylim()
    if threshold <= high + 0.25 * (high - low):
        axes.axhline(threshold, color="grey", linestyle=":", linewidth=1)
    else:
        axes.text(
            0.99,
            0.99,
            f"threshold {threshold:g}: above",
            transform=axes.transAxes,
            ha="right",
            va="top",
            fontsize="small",
            color="grey",
        )


def _seeds(count: int) -> str:
    return f"{count} seed" if count == 1 else f"{count} seeds"


def _frames_formatter():
    from matplotlib.ticker import FuncFormatter

    from trl_sac.reporting.formatting import frames_text

    return FuncFormatter(lambda value, _: frames_text(int(value)))
