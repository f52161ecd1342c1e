"""python -m trl_sac.reporting DIR... [--out DIR] [--budgets 100k 1M]"""

import sys

from trl_sac.reporting.report import main

sys.exit(main())
