"""`python -m yunet` runs the `yunet` command line."""

import sys

from yunet.cli import main

sys.exit(main())
