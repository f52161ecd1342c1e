"""Tasks trl-sac adds to gymnasium's registry when it is imported."""

import gymnasium as gym

HUMANOID_RLLAB_ID = "HumanoidRllab-v0"

if HUMANOID_RLLAB_ID not in gym.registry:
    gym.register(
        id=HUMANOID_RLLAB_ID,
        entry_point="trl_sac.tasks.humanoid_rllab:HumanoidRllabEnv",
        max_episode_steps=1000,
    )
