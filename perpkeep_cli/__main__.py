"""``python -m perpkeep_cli``: the same as the `perpkeep` console script."""

import sys

from perpkeep_cli import main

sys.exit(main())
