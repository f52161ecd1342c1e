"""The SAC paper's facts about each task, keyed by the task's name in its env id.

`Hopper-v5` and `Hopper-v4` are both the paper's Hopper: any way of naming a task (its
recipe, `env=hopper`, or `env.id=Hopper-v5` on the generic recipe) gets the same facts.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PaperTask:
    # The v1 (value network) reward scale; it plays the temperature's role.
    reward_scale: float
    # Gradient steps per env step under hard target updates (paper's appendix).
    hard_update_utd_ratio: int
    # The paper's training budget in env steps.
    total_frames: int
    # The paper's episodes: 1000 steps, then a truncation (not a terminal).
    max_episode_steps: int = 1000


PAPER_TASKS = {
    "Hopper": PaperTask(reward_scale=5.0, hard_update_utd_ratio=4, total_frames=1_000_000),
    "Walker2d": PaperTask(reward_scale=5.0, hard_update_utd_ratio=4, total_frames=1_000_000),
    "HalfCheetah": PaperTask(reward_scale=5.0, hard_update_utd_ratio=4, total_frames=3_000_000),
    "Ant": PaperTask(reward_scale=5.0, hard_update_utd_ratio=4, total_frames=3_000_000),
    "Humanoid": PaperTask(reward_scale=20.0, hard_update_utd_ratio=1, total_frames=10_000_000),
    "HumanoidRllab": PaperTask(reward_scale=10.0, hard_update_utd_ratio=1, total_frames=10_000_000),
}
# A task the paper did not train: its most common settings.
OTHER_TASK = PaperTask(reward_scale=5.0, hard_update_utd_ratio=4, total_frames=1_000_000)


def task_name(env_id: str) -> str:
    """`Hopper` for `Hopper-v5`: the part before the version."""
    return str(env_id).rsplit("-v", 1)[0]


def paper_task(env_id: str) -> PaperTask:
    return PAPER_TASKS.get(task_name(env_id), OTHER_TASK)
