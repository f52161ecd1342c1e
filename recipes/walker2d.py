"""Train SAC on Walker2d-v5 with the paper's hyperparameters.

python recipes/walker2d.py [loss=vnet] [target_update=hard] [seed=1]
"""

import hydra
from omegaconf import DictConfig

from trl_sac import run


@hydra.main(version_base="1.3", config_path="pkg://trl_sac.conf", config_name="walker2d")
def main(cfg: DictConfig) -> None:
    run(cfg)


if __name__ == "__main__":
    main()
