"""Train SAC on rllab's 21-motor humanoid (HumanoidRllab-v0) with the paper's hyperparameters.

python recipes/humanoid_rllab.py [loss=vnet] [target_update=hard] [seed=1]
"""

from omegaconf import DictConfig

from trl_sac import recipe, run


@recipe("humanoid_rllab")
def main(cfg: DictConfig) -> None:
    run(cfg)


if __name__ == "__main__":
    main()
