"""trl-sac: paper-faithful Soft Actor-Critic for MuJoCo, assembled from TorchRL.

The layers, each importing only those listed before it:
    sac/         the networks, the losses and target updates (the math a reader checks)
    rollout/     envs, collection, the replay buffer
    runs/        the run directory, snapshots, the lock, stop signals
    evaluation/  evaluation episodes, trained policies, rendering, the evaluate command
    reporting/   run records, tables and figures (reads files; imports no torch)
    training/    settings, the training loop, the entry point recipes call, sweeps
"""

from typing import TYPE_CHECKING, Any

from trl_sac.mujoco_gl import guard_mujoco_gl

# Before any module of trl-sac imports torchrl, and with it mujoco.
guard_mujoco_gl()

__all__ = ["ConfigError", "recipe", "run", "train"]
__version__ = "0.1.0"

if TYPE_CHECKING:
    from trl_sac.errors import ConfigError
    from trl_sac.training.cli import run
    from trl_sac.training.loop import train
    from trl_sac.training.recipe import recipe


def __getattr__(name: str) -> Any:
    # Imported on first use, so `import trl_sac.reporting` does not load torch.
    if name == "run":
        from trl_sac.training.cli import run

        return run
    if name == "recipe":
        from trl_sac.training.recipe import recipe

        return recipe
    if name == "train":
        from trl_sac.training.loop import train

        return train
    if name == "ConfigError":
        from trl_sac.errors import ConfigError

        return ConfigError
    raise AttributeError(f"module 'trl_sac' has no attribute {name!r}")
