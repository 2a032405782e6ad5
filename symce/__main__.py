"""``python -m symce``: the command line (see :mod:`symce.cli`)."""

import sys

from .cli import main

sys.exit(main())
