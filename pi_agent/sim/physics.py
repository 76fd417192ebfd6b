"""Battery physics of a laptop on a relay outlet.

One model serves the agent's simulation and the benchmarks, so the balancing engine is judged on
the same world it runs against in the demo.

A charger's rating is what it can deliver to the laptop, not what goes into the battery: the
laptop's own use is fed first and the battery gets the rest, so the battery power is at most
``charge_w - use_w`` (constant power up to ``cv_soc``, then a linear taper to zero at full), and
the outlet never draws more than ``charge_w / efficiency`` whatever the laptop does. A charger
smaller than the laptop's use cannot hold it up: the battery then drains by the difference.
While its outlet is off the battery drains at ``use_w``; below zero the laptop is dead (the
charge is allowed to go negative so that the time spent flat can be counted).
"""

from __future__ import annotations

from dataclasses import dataclass

SECONDS_PER_HOUR = 3600.0


@dataclass(frozen=True, slots=True)
class LaptopSpec:
    """What a laptop and its charger are: fixed for the whole stay.

    ``charge_w`` is the charger's output rating (what it feeds the laptop and its battery
    together), ``use_w`` what the running laptop consumes.
    """

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
        return self.charge_w / self.efficiency

    @property
    def max_battery_w(self) -> float:
        """Battery power at constant power: what the charger has left after the laptop's use
        (negative when the charger cannot cover the use)."""
        return self.charge_w - self.use_w


def charge_power_w(
    spec: LaptopSpec, soc: float, dt_s: float, wall_cap_w: float | None = None
) -> float:
    """Power into the battery over the next ``dt_s`` seconds when the outlet is on.

    ``wall_cap_w`` limits what the outlet may draw (a continuous pilot, for the references that
    can modulate power; a relay has none). Negative when the laptop's use exceeds what the
    charger (or the cap) delivers: the battery then covers the rest.
    """
    supply = spec.charge_w
    if wall_cap_w is not None:
        supply = min(supply, max(0.0, wall_cap_w) * spec.efficiency)
    power = supply - spec.use_w
    if power <= 0.0:
        return power
    if soc >= 1.0:
        return 0.0
    if soc > spec.cv_soc:
        taper = spec.max_battery_w * (1.0 - soc) / (1.0 - spec.cv_soc)
        power = min(power, max(0.0, taper))
    # Never overshoot full within one step.
    return max(0.0, min(power, (1.0 - soc) * spec.capacity_wh * SECONDS_PER_HOUR / dt_s))


def outlet_draw_w(spec: LaptopSpec, battery_w: float) -> float:
    """What the outlet delivers when the battery takes ``battery_w`` and the laptop runs.

    When the battery is discharging on a charger too small for the laptop, the charger gives
    all it has.
    """
    return min(spec.charge_w, spec.use_w + battery_w) / spec.efficiency


def step(
    spec: LaptopSpec, soc: float, on: bool, dt_s: float, wall_cap_w: float | None = None
) -> tuple[float, float]:
    """Advance one laptop by ``dt_s`` seconds; return (new state of charge, outlet draw in W)."""
    if dt_s <= 0:
        raise ValueError("dt_s must be positive")
    if on and (wall_cap_w is None or wall_cap_w > 0):
        battery_w = charge_power_w(spec, soc, dt_s, wall_cap_w)
        soc += battery_w * dt_s / SECONDS_PER_HOUR / spec.capacity_wh
        draw = (spec.use_w + battery_w) / spec.efficiency
        return min(soc, 1.0), draw
    return soc - spec.use_w * dt_s / SECONDS_PER_HOUR / spec.capacity_wh, 0.0
