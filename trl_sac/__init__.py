"""trl-sac: paper-faithful Soft Actor-Critic for MuJoCo, assembled from TorchRL."""

from trl_sac import tasks  # noqa: F401  (registers HumanoidRllab-v0 with gymnasium)
from trl_sac.cli import run
from trl_sac.errors import ConfigError
from trl_sac.train import train

__all__ = ["ConfigError", "run", "train"]
__version__ = "0.1.0"
