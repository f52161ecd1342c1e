"""Train SAC on Humanoid-v5 with the paper's hyperparameters.

python recipes/humanoid.py [loss=vnet] [target_update=hard] [seed=1]
"""

from omegaconf import DictConfig

from trl_sac import recipe, run


@recipe("humanoid")
def main(cfg: DictConfig) -> None:
    run(cfg)


if __name__ == "__main__":
    main()
