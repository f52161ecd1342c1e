"""Train SAC on any gymnasium MuJoCo task.

python recipes/train.py env.id=Swimmer-v5 [loss=vnet] [target_update=hard] [seed=1]
"""

from omegaconf import DictConfig

from trl_sac import recipe, run


@recipe("train")
def main(cfg: DictConfig) -> None:
    run(cfg)


if __name__ == "__main__":
    main()
