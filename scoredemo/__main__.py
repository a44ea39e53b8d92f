"""``python -m scoredemo``: see :mod:`scoredemo.cli`."""

import sys

from scoredemo.cli import main

sys.exit(main())
