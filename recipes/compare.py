"""Compare SAC variants over seeds on one task and end with a report (curves + table).

python recipes/compare.py [collector.total_frames=100000] [seed=0,1,2,3,4] [env=walker2d]
python recipes/compare.py loss=twinq target_update=soft,hard   # sweep any key instead
python recipes/compare.py jobs=1                               # one run at a time
"""

from omegaconf import DictConfig

from trl_sac import recipe
from trl_sac.training.sweep import run_sweep_job


@recipe("compare")
def main(cfg: DictConfig) -> None:
    run_sweep_job(cfg)


if __name__ == "__main__":
    main()
