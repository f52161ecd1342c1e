"""trl-sac's Hydra configs, and the resolvers they use.

- `${paper:<env id>,<fact>}`: the SAC paper's fact about the task (trl_sac/tasks/paper.py).
- `${sweep_run_name:}`, `${run_name_suffix:}`: run directory names (trl_sac/runs/naming.py).
"""

from omegaconf import OmegaConf

from trl_sac.runs.naming import run_name_suffix, sweep_run_name
from trl_sac.tasks.paper import paper_task

OmegaConf.register_new_resolver(
    "paper", lambda env_id, fact: getattr(paper_task(env_id), fact), replace=True
)
OmegaConf.register_new_resolver("sweep_run_name", sweep_run_name, replace=True)
OmegaConf.register_new_resolver("run_name_suffix", run_name_suffix, replace=True)
