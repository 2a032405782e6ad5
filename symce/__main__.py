"""``python -m symce``: the command line (see :mod:`symce.app.cli`)."""

import sys

from symce.app.cli import main

sys.exit(main())
