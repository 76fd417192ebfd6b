"""``python -m smartmulti_reporter``."""

import sys

from smartmulti_reporter.cli import main

sys.exit(main())
