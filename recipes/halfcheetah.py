"""Train SAC on HalfCheetah-v5 with the paper's hyperparameters.

python recipes/halfcheetah.py [loss=vnet] [target_update=hard] [seed=1]
"""

from omegaconf import DictConfig

from trl_sac import recipe, run


@recipe("halfcheetah")
def main(cfg: DictConfig) -> None:
    run(cfg)


if __name__ == "__main__":
    main()
