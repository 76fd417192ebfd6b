"""Where the battery level comes from: psutil on a real laptop, anything else in tests or a demo.

A source is any callable returning something with ``percent`` and ``plugged`` (or None when
there is no battery), so a simulated laptop's own status object can be passed as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


class BatteryReading(Protocol):
    @property
    def percent(self) -> float: ...

    @property
    def plugged(self) -> bool: ...


BatterySource = Callable[[], BatteryReading | None]


@dataclass(frozen=True, slots=True)
class Battery:
    percent: float
    plugged: bool


def psutil_battery() -> Battery | None:
    """The laptop's battery as the OS reports it; None on a machine without one."""
    import psutil  # type: ignore[import-untyped]  # noqa: PLC0415 (only when used)

    sensors = getattr(psutil, "sensors_battery", None)  # missing on some platforms
    info = sensors() if sensors is not None else None
    if info is None:
        return None
    plugged = info.power_plugged
    if plugged is None:  # "cannot be determined": a battery that never runs out is on power
        plugged = info.secsleft == psutil.POWER_TIME_UNLIMITED
    return Battery(percent=float(info.percent), plugged=bool(plugged))
