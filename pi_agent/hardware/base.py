"""The two interfaces the control loop sees; real drivers and the simulation implement them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Reading:
    """One measurement of an outlet."""

    voltage_v: float
    current_a: float
    power_w: float


class HardwareError(Exception):
    """The hardware the configuration names cannot be opened; the message names the outlet's
    field and what to do on the Pi."""


class MeterError(Exception):
    """The meter gave no trustworthy reading (bus error, overflow, frozen data)."""


class RelayError(Exception):
    """The relay could not be switched."""


class Meter(Protocol):
    """Measures one outlet. ``read`` may block briefly (I2C) and raises ``MeterError``."""

    def read(self) -> Reading: ...

    def close(self) -> None: ...


class Relay(Protocol):
    """Switches one outlet. ``is_on`` is the commanded state; there is no contact feedback."""

    @property
    def is_on(self) -> bool: ...

    def set(self, on: bool) -> None: ...

    def close(self) -> None: ...
