"""How many steps a task's episodes last before a truncation."""

from __future__ import annotations

import gymnasium as gym

from trl_sac import tasks  # noqa: F401  (registers trl-sac's own tasks with gymnasium)
from trl_sac.tasks.paper import PAPER_TASKS, task_name


def episode_limit(env_id: str) -> int | None:
    """The paper's episode length for its tasks; for any other task the limit it registers
    with gymnasium. None when gymnasium does not know the id or the task registers no
    limit: the config check then names the problem."""
    paper = PAPER_TASKS.get(task_name(env_id))
    if paper is not None:
        return paper.max_episode_steps
    try:
        return gym.spec(str(env_id)).max_episode_steps
    except gym.error.Error:
        return None
