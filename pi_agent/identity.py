"""Who this strip is: a serial that stays the same across restarts and reinstalls."""

from __future__ import annotations

import contextlib
from pathlib import Path
import re
import secrets

_CPUINFO = Path("/proc/cpuinfo")


def raspberry_pi_serial(cpuinfo: Path = _CPUINFO) -> str | None:
    """The SoC serial of a Raspberry Pi, which survives a new SD card."""
    with contextlib.suppress(OSError):
        match = re.search(r"^Serial\s*:\s*([0-9a-fA-F]+)$", cpuinfo.read_text(), re.MULTILINE)
        if match and int(match.group(1), 16):
            return match.group(1).lower().lstrip("0")
    return None


def strip_serial(configured: str | None, data_dir: Path) -> str:
    """Configured serial, else the Pi's, else one generated once and kept in the data dir.

    Several simulated strips on one machine each get their own data dir, hence their own serial.
    """
    if configured:
        return configured
    pi_serial = raspberry_pi_serial()
    if pi_serial:
        return f"sm-{pi_serial}"
    path = data_dir / "serial"
    with contextlib.suppress(OSError):
        saved = path.read_text().strip()
        if re.fullmatch(r"[a-z0-9-]{4,64}", saved):
            return saved
    serial = f"sm-{secrets.token_hex(6)}"
    path.write_text(serial + "\n")
    return serial
