"""A sample's readings: each outlet's meter, its energy counter, whether it drew since its
switch-on (and since when it has read idle after drawing), the most it has drawn, and relays
stuck on.

Readings come first in a step: the guard and admission then count what was just measured.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pi_agent.control.outlet import IDLE_W, STUCK_W, OutletState
from pi_agent.hardware.base import MeterError, Reading

# A sample gap longer than this is a stalled process or a clock jump, not energy we measured.
MAX_ENERGY_DT_S = 5.0
# A relay commanded off that still shows draw this long is reported stuck.
STUCK_AFTER_S = 2.0


def take_readings(
    outlets: Sequence[OutletState],
    readings: Mapping[int, Reading | MeterError],
    now: float,
    dt: float,
    stale_after_s: float,
) -> None:
    """Record ``readings`` (an entry per metered outlet: a reading or its error) taken ``dt``
    after the last sample: meter faults, energy counters, draws since a switch-on, stuck relays."""
    dt = min(max(dt, 0.0), MAX_ENERGY_DT_S)
    for outlet in outlets:
        result = readings.get(outlet.id)
        if isinstance(result, Reading):
            outlet.reading = result
            outlet.reading_at = now
            outlet.meter_fault = None
        elif isinstance(result, MeterError):
            outlet.meter_fault = str(result) or "meter error"
        elif outlet.has_meter and now - outlet.reading_at > stale_after_s:
            outlet.meter_fault = outlet.meter_fault or "meter stale"
        power = outlet.fresh_power(now, stale_after_s)
        _watch_drawn(outlet, power)
        if power is not None:
            outlet.energy_wh += power * dt / 3600.0
            if outlet.relay_on and power >= IDLE_W:
                outlet.drew_since_on = True
                outlet.idle_since = None
            elif outlet.relay_on and outlet.drew_since_on and outlet.idle_since is None:
                outlet.idle_since = now
        _watch_stuck(outlet, power, now)


def _watch_drawn(outlet: OutletState, power: float | None) -> None:
    """Raise ``drawn_max_w`` to what two samples in a row held while the outlet was on: a
    draw the installer's rating did not allow for is counted from then on, while one sample's
    spike (a charger's inrush, a noisy read) is not."""
    if not outlet.relay_on or power is None:
        outlet.last_power_w = None
        return
    if outlet.last_power_w is not None:
        outlet.drawn_max_w = max(outlet.drawn_max_w, min(outlet.last_power_w, power))
    outlet.last_power_w = power


def _watch_stuck(outlet: OutletState, power: float | None, now: float) -> None:
    if outlet.relay_on or power is None or power <= STUCK_W:
        outlet.stuck_since = None
        if outlet.relay_fault and outlet.relay_fault.startswith("relay stuck"):
            outlet.relay_fault = None
        return
    if outlet.stuck_since is None:
        outlet.stuck_since = now
    elif now - outlet.stuck_since >= STUCK_AFTER_S:
        outlet.relay_fault = f"relay stuck on: {power:.0f} W measured while off"
