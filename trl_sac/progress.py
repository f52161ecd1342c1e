"""The progress bar: frames, env steps/s, the latest eval return and an ETA."""

from __future__ import annotations

from tqdm.auto import tqdm


def bar_disabled(progress: bool | None) -> bool | None:
    """tqdm's `disable` for a progress switch: None shows a bar only on a terminal."""
    return None if progress is None else not progress


def make_progress_bar(total_frames: int, *, enabled: bool) -> tqdm:
    return tqdm(
        total=total_frames,
        unit=" frames",
        unit_scale=True,
        dynamic_ncols=True,
        smoothing=0.05,
        mininterval=1.0,
        disable=not enabled,
        bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}, {rate_fmt}{postfix}]",
    )
