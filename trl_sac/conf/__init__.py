"""trl-sac's Hydra configs, and the resolvers they use.

- `${paper:<env id>,<fact>}`: the SAC paper's fact about the task (trl_sac/tasks/paper.py).
- `${episode_limit:<env id>}`: the task's episode length (trl_sac/tasks/episode_limit.py).
- `${sweep_run_name:}`, `${run_name_suffix:}`: run directory names (trl_sac/runs/naming.py).
- `${runs_at_once:<jobs>}`, `${one_at_a_time:<jobs>}`: a local sweep's parallel runs, `auto`
  being one per usable CPU core (trl_sac/runs/parallel.py).
- `${log_dir:<run_dir>}`: where Hydra writes a single run's log: the run directory, or, when
  that cannot be created or written, a temporary one, so that Hydra does not fail on it
  before trl-sac refuses the run dir in one line.
"""

import tempfile
from pathlib import Path

from omegaconf import OmegaConf

from trl_sac.files import unwritable_reason
from trl_sac.runs.naming import run_name_suffix, sweep_run_name
from trl_sac.runs.parallel import one_at_a_time, runs_at_once
from trl_sac.tasks.episode_limit import episode_limit
from trl_sac.tasks.paper import paper_task

OmegaConf.register_new_resolver(
    "paper", lambda env_id, fact: getattr(paper_task(env_id), fact), replace=True
)
OmegaConf.register_new_resolver("episode_limit", episode_limit, replace=True)
OmegaConf.register_new_resolver("sweep_run_name", sweep_run_name, replace=True)
OmegaConf.register_new_resolver("run_name_suffix", run_name_suffix, replace=True)
OmegaConf.register_new_resolver("runs_at_once", runs_at_once, replace=True)
OmegaConf.register_new_resolver("one_at_a_time", one_at_a_time, replace=True)
UNWRITABLE_RUN_LOGS = str(Path(tempfile.gettempdir()) / "trl-sac-unwritable-run-dirs")
OmegaConf.register_new_resolver(
    "log_dir",
    lambda run_dir: run_dir if unwritable_reason(Path(run_dir)) is None else UNWRITABLE_RUN_LOGS,
    replace=True,
)
