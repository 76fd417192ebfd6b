"""Real hardware from the configuration: gpiozero relays and INA219 meters over smbus2."""

from __future__ import annotations

import contextlib
import errno
from typing import Any

from pi_agent.config import AgentConfig, ConfigError, OutletConfig
from pi_agent.hardware.base import HardwareError, Meter, Relay, RelayError
from pi_agent.hardware.bundle import Hardware
from pi_agent.hardware.i2c import I2CBusPool
from pi_agent.hardware.ina219 import INA219
from pi_agent.hardware.relays import GpioRelay

#: How to turn on the I2C buses of the Pi's header (both need a reboot).
_ENABLE_I2C = {
    0: "add dtparam=i2c_vc=on to /boot/firmware/config.txt and reboot",
    1: (
        "enable I2C (sudo raspi-config nonint do_i2c 0, or dtparam=i2c_arm=on in "
        "/boot/firmware/config.txt) and reboot"
    ),
}


def build_hardware(
    config: AgentConfig, *, pin_factory: Any = None, bus_pool: I2CBusPool | None = None
) -> Hardware:
    """Every relay starts off (``initial_value=False``); exception outlets go on at the first step.

    If any relay or meter cannot be opened, those already opened are closed again (the relays
    were never switched on) and a ``ConfigError`` or ``HardwareError`` names the outlet.
    """
    missing = [o.id for o in config.outlets if o.gpio is None]
    if missing:
        raise ConfigError(f"outlets[{missing[0]}].gpio: required to drive a relay on real hardware")
    relays: list[Relay] = []
    meters: dict[int, Meter] = {}
    try:
        for outlet in config.outlets:
            relays.append(_relay(outlet, config, pin_factory))
        pool = bus_pool or I2CBusPool()
        for outlet in config.outlets:
            if outlet.meter.type == "ina219":
                meters[outlet.id] = _meter(outlet, pool)
    except BaseException:
        closers = [m.close for m in meters.values()] + [r.close for r in relays]
        for close in closers:
            with contextlib.suppress(Exception):
                close()
        raise
    return Hardware(relays=relays, meters=meters, blocking_reads=True)


def _relay(outlet: OutletConfig, config: AgentConfig, pin_factory: Any) -> GpioRelay:
    assert outlet.gpio is not None
    try:
        return GpioRelay(
            outlet.gpio, active_high=config.strip.relay_active_high, pin_factory=pin_factory
        )
    except RelayError as err:
        raise ConfigError(f"outlets[{outlet.id}].gpio: {err}") from None


def _meter(outlet: OutletConfig, pool: I2CBusPool) -> INA219:
    meter = outlet.meter
    try:
        bus = pool.open(meter.bus)
    except OSError as err:
        raise HardwareError(
            f"outlets[{outlet.id}].meter.bus: {_bus_problem(meter.bus, err)}"
        ) from None
    try:
        return INA219(bus, meter.address, meter.shunt_ohms, meter.max_current_a)
    except ValueError as err:
        bus.close()
        raise ConfigError(f"outlets[{outlet.id}].meter: {err}") from None


def _bus_problem(number: int, err: OSError) -> str:
    """Why ``/dev/i2c-<number>`` did not open, and what to do about it on a Pi."""
    device = f"/dev/i2c-{number}"
    opening = f"cannot open I2C bus {number} ({device})"
    if err.errno in (errno.ENOENT, errno.ENODEV, errno.ENXIO):
        enable = _ENABLE_I2C.get(
            number, "check the bus number (ls /dev/i2c-*) and the dtoverlay that creates it"
        )
        return f"{opening}: no such device; {enable}"
    if err.errno in (errno.EACCES, errno.EPERM):
        return (
            f"{opening}: permission denied; add the agent's user to the i2c group "
            "(sudo adduser USER i2c) and start it again"
        )
    return f"{opening}: {err.strerror or err}"
