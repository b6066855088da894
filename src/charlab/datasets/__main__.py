"""`python -m charlab.datasets NAME...`: see `charlab.datasets.cli`."""

import sys

from .cli import main

sys.exit(main())
