"""The reporter is a package of its own (``reporter/``): importable here without installing it."""

from __future__ import annotations

from pathlib import Path
import sys

REPORTER = Path(__file__).resolve().parents[2] / "reporter"
if str(REPORTER) not in sys.path:
    sys.path.insert(0, str(REPORTER))
