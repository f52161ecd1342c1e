"""python -m trl_sac.evaluation RUN_DIR [episodes=N] [video=true] [seed=N] [device=...]"""

import sys

from trl_sac.evaluation.evaluate import main

sys.exit(main())
