"""How reports write numbers (frames as 25k / 1M, returns with their spread, durations) and
tables (markdown)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def frames_text(frames: int) -> str:
    """1000000 -> "1M", 25000 -> "25k", 12500 -> "12.5k", 999500 -> "1M", 999 -> "999"."""
    for unit, size in (("M", 1_000_000), ("k", 1_000)):
        scaled = float(f"{frames / size:.3g}")
        if abs(scaled) >= 1:
            return f"{scaled:g}{unit}"
    return str(frames)


def spread_text(mean: float, std: float, count: int, of: int, digits: int = 1) -> str:
    """ "1234.5 ± 67.8", with "(2/3)" when only some runs have a value, "–" when none do."""
    if count == 0 or math.isnan(mean):
        return "–"
    text = f"{mean:.{digits}f}" if count == 1 else f"{mean:.{digits}f} ± {std:.{digits}f}"
    return text if count == of else f"{text} ({count}/{of})"


def duration_text(seconds: float) -> str:
    """3725 -> "1h02m", 125 -> "2m05s", 9.5 -> "10s"."""
    if math.isnan(seconds):
        return "–"
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = [header, ["---"] * len(header), *rows]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)
