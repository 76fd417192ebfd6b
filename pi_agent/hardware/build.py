"""Real hardware from the configuration: gpiozero relays and INA219 meters over smbus2."""

from __future__ import annotations

from typing import Any

from pi_agent.config import AgentConfig, ConfigError
from pi_agent.hardware.base import Meter, Relay, RelayError
from pi_agent.hardware.bundle import Hardware
from pi_agent.hardware.i2c import I2CBusPool
from pi_agent.hardware.ina219 import INA219
from pi_agent.hardware.relays import GpioRelay


def build_hardware(
    config: AgentConfig, *, pin_factory: Any = None, bus_pool: I2CBusPool | None = None
) -> Hardware:
    """Every relay starts off (``initial_value=False``); exception outlets go on at the first step."""
    missing = [o.id for o in config.outlets if o.gpio is None]
    if missing:
        raise ConfigError(f"outlets[{missing[0]}].gpio: required to drive a relay on real hardware")
    relays: list[Relay] = []
    try:
        for outlet in config.outlets:
            assert outlet.gpio is not None
            relays.append(
                GpioRelay(
                    outlet.gpio,
                    active_high=config.strip.relay_active_high,
                    pin_factory=pin_factory,
                )
            )
    except RelayError as err:
        for relay in relays:
            relay.close()
        raise ConfigError(f"outlets[{len(relays) + 1}].gpio: {err}") from None
    pool = bus_pool or I2CBusPool()
    meters: dict[int, Meter] = {}
    for outlet in config.outlets:
        if outlet.meter.type != "ina219":
            continue
        try:
            meters[outlet.id] = INA219(
                pool.open(outlet.meter.bus),
                outlet.meter.address,
                outlet.meter.shunt_ohms,
                outlet.meter.max_current_a,
            )
        except ValueError as err:
            raise ConfigError(f"outlets[{outlet.id}].meter: {err}") from None
    return Hardware(relays=relays, meters=meters, blocking_reads=True)
