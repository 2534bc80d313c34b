"""``python -m handdigits.train``."""

import sys

from .cli import main

sys.exit(main())
