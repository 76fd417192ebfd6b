"""Battery physics of a laptop on a relay outlet.

One model serves the agent's simulation and the benchmarks, so the balancing engine is judged on
the same world it runs against in the demo. Charging is constant power up to ``cv_soc``, then a
linear taper to zero at full; the laptop's own use is powered by the charger while plugged and
drains the battery while its outlet is off (the charge may go below zero: the laptop is dead).
"""

from __future__ import annotations

from dataclasses import dataclass

SECONDS_PER_HOUR = 3600.0


@dataclass(frozen=True, slots=True)
class LaptopSpec:
    """What a laptop and its charger are: fixed for the whole stay."""

    capacity_wh: float
    charge_w: float
    use_w: float
    cv_soc: float = 0.8
    efficiency: float = 0.9

    def __post_init__(self) -> None:
        if self.capacity_wh <= 0 or self.charge_w <= 0 or self.use_w < 0:
            raise ValueError(f"laptop spec out of range: {self}")
        if not 0 < self.cv_soc < 1 or not 0 < self.efficiency <= 1:
            raise ValueError(f"laptop spec out of range: {self}")

    @property
    def max_draw_w(self) -> float:
        """The most this laptop's charger takes from the outlet."""
        return (self.use_w + self.charge_w) / self.efficiency


def charge_power_w(spec: LaptopSpec, soc: float, dt_s: float) -> float:
    """Power into the battery over the next ``dt_s`` seconds when the outlet is on."""
    if soc >= 1.0:
        return 0.0
    power = spec.charge_w
    if soc > spec.cv_soc:
        power = min(power, spec.charge_w * (1.0 - soc) / (1.0 - spec.cv_soc))
    # Never overshoot full within one step.
    return max(0.0, min(power, (1.0 - soc) * spec.capacity_wh * SECONDS_PER_HOUR / dt_s))


def outlet_draw_w(spec: LaptopSpec, battery_w: float) -> float:
    """What the outlet delivers when the battery takes ``battery_w`` and the laptop runs."""
    return (spec.use_w + battery_w) / spec.efficiency


def step(spec: LaptopSpec, soc: float, on: bool, dt_s: float) -> tuple[float, float]:
    """Advance one laptop by ``dt_s`` seconds; return (new state of charge, outlet draw in W)."""
    if dt_s <= 0:
        raise ValueError("dt_s must be positive")
    if on:
        battery_w = charge_power_w(spec, soc, dt_s)
        soc += battery_w * dt_s / SECONDS_PER_HOUR / spec.capacity_wh
        return min(soc, 1.0), outlet_draw_w(spec, battery_w)
    return soc - spec.use_w * dt_s / SECONDS_PER_HOUR / spec.capacity_wh, 0.0
