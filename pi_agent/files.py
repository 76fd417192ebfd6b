"""Damaged files are kept aside, never deleted or overwritten by the agent."""

from __future__ import annotations

import os
from pathlib import Path
import time


def keep_aside(path: Path, tag: str = "damaged") -> Path:
    """Rename a damaged file beside itself (never overwriting an earlier one) and return the
    new name: whoever repairs the strip may need what it held."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    for index in range(1000):
        suffix = f".{tag}-{stamp}" + (f"-{index}" if index else "")
        aside = path.with_name(path.name + suffix)
        if not aside.exists():
            os.replace(path, aside)
            return aside
    raise FileExistsError(f"too many damaged copies of {path}")
