"""Relays on GPIO pins through gpiozero.

Most relay boards switch on when their input is pulled low, hence ``active_high=False`` by default.
The pin is driven to "off" as it becomes an output (``initial_value=False``), so starting the agent
never pulses an outlet on. ``close`` releases the pin to an input: what the relay then does is up
to the board's pull resistors, so the agent sets the safe state itself before closing.
"""

from __future__ import annotations

from gpiozero import Factory, GPIOZeroError, OutputDevice

from .base import RelayError


class GpioRelay:
    """One outlet's relay; implements ``Relay``. ``pin`` is a BCM number or a gpiozero pin name."""

    def __init__(
        self, pin: int | str, *, active_high: bool = False, pin_factory: Factory | None = None
    ) -> None:
        self._pin = pin
        self._on = False
        try:
            self._device = OutputDevice(
                pin, active_high=active_high, initial_value=False, pin_factory=pin_factory
            )
        except (GPIOZeroError, OSError) as exc:
            raise RelayError(f"relay on GPIO {pin}: cannot open the pin: {exc}") from exc

    @property
    def is_on(self) -> bool:
        """The last state commanded successfully (there is no contact feedback)."""
        return self._on

    def set(self, on: bool) -> None:
        try:
            if on:
                self._device.on()
            else:
                self._device.off()
        except (GPIOZeroError, OSError) as exc:
            raise RelayError(
                f"relay on GPIO {self._pin}: cannot switch {_word(on)}: {exc}"
            ) from exc
        self._on = on

    def close(self) -> None:
        """Release the pin (idempotent); the relay's state is then up to the board's pulls."""
        try:
            self._device.close()
        except (GPIOZeroError, OSError) as exc:
            raise RelayError(f"relay on GPIO {self._pin}: cannot release the pin: {exc}") from exc
        self._on = False

    def __repr__(self) -> str:
        return f"GpioRelay(pin={self._pin!r}, on={self._on})"


def _word(on: bool) -> str:
    return "on" if on else "off"
