"""Train SAC on Ant-v5 with the paper's hyperparameters.

python recipes/ant.py [loss=vnet] [target_update=hard] [seed=1]
"""

from omegaconf import DictConfig

from trl_sac import recipe, run


@recipe("ant")
def main(cfg: DictConfig) -> None:
    run(cfg)


if __name__ == "__main__":
    main()
