"""Published SAC returns, from ../shared/docs/sac-facts.md, for results tables.

Two kinds. The 1M-step figures (REFERENCES): the papers' read off their plots
(approximate); CleanRL's training returns on v4 tasks over 3 seeds; the SB3 zoo's and
Tianshou's deterministic evaluation returns on v3 tasks. And the same-budget figures
(SAME_BUDGET): plain SAC's mean evaluation return at 100k, 300k and 1M steps, the only fair
yardstick for a short run. Returns on v3-v5 are broadly comparable; the papers used v1.
"""

from __future__ import annotations

from dataclasses import dataclass

BUDGET = 1_000_000


@dataclass(frozen=True)
class Published:
    """One published return: a mean, with its spread over seeds where the source gives one."""

    mean: float
    std: float | None = None
    approximate: bool = False
    note: str = ""

    def text(self) -> str:
        mean = f"~{self.mean:g}" if self.approximate else f"{self.mean:g}"
        text = mean if self.std is None else f"{mean} ± {self.std:g}"
        return f"{text} ({self.note})" if self.note else text


# Columns of a results table, in order; the paper column takes the row's own loss variant.
SOURCES = ("paper", "CleanRL", "SB3 zoo", "Tianshou")
# The paper that describes each loss variant: v1 (1801.01290) for vnet, v2 (1812.05905) for twinq.
PAPER_OF_LOSS = {"vnet": "paper v1", "twinq": "paper v2"}

_HOPPER = {
    "paper v1": Published(3370, approximate=True),
    "paper v2": Published(3250, approximate=True),
    "CleanRL": Published(2310, 343),
    "SB3 zoo": Published(2326, 1130),
    "Tianshou": Published(3542, 52),
}
_WALKER2D = {
    "paper v1": Published(3740, approximate=True),
    "paper v2": Published(4800, approximate=True),
    "CleanRL": Published(3591, 911),
    "SB3 zoo": Published(3863, 254),
    "Tianshou": Published(5007, 252),
}
_HALFCHEETAH = {
    "paper v1": Published(10400, approximate=True),
    "paper v2": Published(11250, approximate=True),
    "CleanRL": Published(9635, 1424),
    "SB3 zoo": Published(9535, 100),
    "Tianshou": Published(12139, 1049),
}
_ANT = {
    "paper v1": Published(3720, approximate=True),
    "paper v2": Published(5500, approximate=True, note="at 3M"),
    "SB3 zoo": Published(4616, 1354),
    "Tianshou": Published(5850, 476),
}
_HUMANOID = {
    "paper v1": Published(5200, approximate=True),
    "paper v2": Published(4500, approximate=True),
    "CleanRL": Published(4996, 686),
    "SB3 zoo": Published(6232, 280, note="at 2M"),
    "Tianshou": Published(5489, 81),
}
REFERENCES: dict[str, dict[str, Published]] = {
    "Hopper-v5": _HOPPER,
    "Walker2d-v5": _WALKER2D,
    "HalfCheetah-v5": _HALFCHEETAH,
    "Ant-v5": _ANT,
    "Humanoid-v5": _HUMANOID,
}


def reference_cells(env_id: str, loss: str) -> list[str]:
    """The SOURCES columns for one task and loss variant; "–" where nothing is published."""
    published = REFERENCES.get(env_id, {})
    cells = []
    for source in SOURCES:
        key = PAPER_OF_LOSS.get(loss, "") if source == "paper" else source
        cells.append(published[key].text() if key in published else "–")
    return cells


# Plain SAC (v2: twin Q, learned temperature, 2x256 networks, one update per env step) on
# the v4 tasks, 10 seeds: the mean evaluation return at the logged step nearest each budget
# in the SimbaV2 repository's results/baseline/sac_mujoco.csv (dojeon-ai/SimbaV2).
SAME_BUDGET_SOURCE = "plain SAC, v4, 10 seeds (SimbaV2 baseline)"
SAME_BUDGET: dict[str, dict[int, float]] = {
    "Hopper-v5": {100_000: 1103, 300_000: 2160, 1_000_000: 2787},
    "Walker2d-v5": {100_000: 690, 300_000: 2470, 1_000_000: 4536},
    "HalfCheetah-v5": {100_000: 6156, 300_000: 8593, 1_000_000: 11321},
    "Ant-v5": {100_000: 747, 300_000: 3532, 1_000_000: 5734},
    "Humanoid-v5": {100_000: 632, 300_000: 3015, 1_000_000: 4826},
}


def same_budget_return(env_id: str, frames: int) -> float | None:
    """Plain SAC's mean return on the task at exactly `frames` env steps, if published."""
    return SAME_BUDGET.get(env_id, {}).get(frames)
