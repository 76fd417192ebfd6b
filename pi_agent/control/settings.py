"""The manager's outlet settings (names, exception outlets, maxima), always within the hard limit.

Exception outlets are on whatever the budget, so together they may never be allowed to draw
more than the strip's hard limit: a change that would let them is refused, and a saved setting
that would (the configuration changed meanwhile) is dropped when the state file is read back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
import math
from typing import Any

import voluptuous as vol

from pi_agent.config import AgentConfig
from pi_agent.control.outlet import OutletState, exceptions_max_w
from pi_agent.validators import NAME

# More relay operations than a relay switched every second for thirty years: a damaged file.
MAX_SWITCHES = 10**9


class SettingsError(ValueError):
    """A setting the strip cannot honour; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def update_outlet(
    outlets: Sequence[OutletState],
    outlet: OutletState,
    hard_limit_w: float,
    *,
    name: str | None = None,
    exception: bool | None = None,
    max_power_w: float | None = None,
) -> None:
    """Change ``outlet``'s settings, or raise ``SettingsError`` and change nothing."""
    if max_power_w is not None and max_power_w > hard_limit_w:
        raise SettingsError(
            "max_power_w",
            f"{max_power_w:g} W exceeds the strip's hard limit ({hard_limit_w:g} W)",
        )
    will_be_exception = outlet.exception if exception is None else exception
    if will_be_exception:
        others = exceptions_max_w(outlets, excluding=outlet.id)
        own = outlet.max_power_w if max_power_w is None else max_power_w
        if others + own > hard_limit_w:
            raise SettingsError(
                "exception" if exception else "max_power_w",
                f"exception outlets are always on: with this outlet they may draw "
                f"{others + own:g} W, more than the strip's hard limit "
                f"({hard_limit_w:g} W)",
            )
    if name is not None:
        outlet.name = name
    if exception is not None:
        outlet.exception = exception
    if outlet.exception:
        # Always on: a held command from before would only say otherwise in the state.
        outlet.override = None
    if max_power_w is not None:
        outlet.max_power_w = max_power_w
        # The manager has said what the outlet is: what it drew before is learned again.
        outlet.drawn_max_w = 0.0


def outlets_state(outlets: Sequence[OutletState]) -> dict[int, dict[str, Any]]:
    """What must survive a crash: counters, and the manager's settings and overrides."""
    return {
        o.id: {
            "energy_wh": o.energy_wh,
            "name": o.name,
            "exception": o.exception,
            "max_power_w": o.max_power_w,
            "override": o.override,
            # Lost, a restart would let each charger above its rating take the strip over
            # its budget once more before its draw was read again.
            "drawn_max_w": o.drawn_max_w,
            "switches": o.switches,
            # When the relay last moved, and where it was: its minimum off time holds across
            # a restart (``restore_switch_times``).
            "relay_on": o.relay_on,
            "last_switch_wall": o.last_switch_wall,
        }
        for o in outlets
    }


def restore_switch_times(
    outlets: Sequence[OutletState],
    saved: Mapping[int, Mapping[str, Any]],
    now: float,
    wall_now: float,
    min_off_s: float,
) -> None:
    """When each relay went off, from the state file: every relay starts off, and a crash loop
    (systemd restarts the agent 2 s after each exit) would otherwise switch them on again at
    every start, however short their minimum off time.

    Only the wall clock spans a restart, and a Pi's may be wrong (it has no real-time clock).
    A relay on at the last save went off at the exit or the crash, some time since: it counts
    as off from now. So does one whose switch-off the wall clock cannot place (a time ahead of
    the clock: booted in 1970, or at the last shutdown's time). One off longer than its minimum
    off time may go on at once; a clock stepped forward only shortens the wait.
    """
    for outlet in outlets:
        data = saved.get(outlet.id) or {}
        off_wall = data.get("last_switch_wall")
        if data.get("relay_on") is True:
            off_for = 0.0
        elif isinstance(off_wall, int | float) and not isinstance(off_wall, bool):
            off_for = wall_now - off_wall
        else:  # a state file from before the times, or a relay never switched
            continue
        if off_for >= min_off_s:
            continue
        if not off_for >= 0:  # NaN too
            off_for = 0.0
        outlet.last_switch_at = now - off_for
        outlet.last_switch_wall = wall_now - off_for


def _energy_wh(value: object) -> float | None:
    """A saved energy counter as a number, or None for what no counter can hold."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if 0 <= value < math.inf else None


def saved_counters_problem(saved: Mapping[str, Any]) -> str | None:
    """Why a state file's energy counters cannot be taken back, or None if they can.

    Energy is billed: restored from a copy whose counter is not a number (the checksum proves
    only that these are the bytes written), an outlet would either stop the start or count from
    0. Refused, the copy is kept aside and the previous good one used (``StateStore.load``).
    """
    outlets = saved.get("outlets", {})
    if not isinstance(outlets, dict):
        return "its outlets are not a table"
    for key, record in outlets.items():
        if not isinstance(record, dict):
            return f"outlet {key} is not a table"
        energy = record.get("energy_wh", 0.0)
        if _energy_wh(energy) is None:
            return f"outlet {key}: energy_wh {energy!r} is not an energy counter"
    return None


def restore_outlets(
    outlets: Sequence[OutletState], saved: Mapping[int, Mapping[str, Any]], config: AgentConfig
) -> list[str]:
    """Counters and manager settings from the state file, before the first step.

    Returns what could not be restored: a saved setting that no longer fits under the hard
    limit (the configuration changed meanwhile) is dropped rather than let the exception
    outlets alone exceed it; a relay count no relay could have is dropped and counted from 0; a
    saved maximum that is not a power leaves the configured one.
    """
    hard_limit_w = config.strip.hard_limit_w
    dropped: list[str] = []
    for outlet in outlets:
        data = saved.get(outlet.id)
        if not data:
            continue
        energy = _energy_wh(data.get("energy_wh", 0.0))
        if energy is None:  # refused with the whole copy when read (saved_counters_problem)
            dropped.append(f"outlet {outlet.id}: energy_wh (not an energy counter)")
        else:
            outlet.energy_wh = max(outlet.energy_wh, energy)
        switches = data.get("switches", 0)  # a state file from before the count: none yet
        if type(switches) is int and 0 <= switches <= MAX_SWITCHES:
            outlet.switches = max(outlet.switches, switches)
        else:  # not a whole number, or one no relay reaches: said in the log, counted from 0
            dropped.append(f"outlet {outlet.id}: switches ({switches!r} is not a relay's count)")
        name = data.get("name", outlet.name)
        try:
            outlet.name = NAME(name)
        except vol.Invalid as err:  # a state file may hold what the API refuses
            dropped.append(f"outlet {outlet.id}: name ({err.msg})")
        max_power = data.get("max_power_w", outlet.max_power_w)
        if isinstance(max_power, int | float) and not isinstance(max_power, bool):
            if 0 < max_power <= hard_limit_w:
                outlet.max_power_w = float(max_power)
            else:
                dropped.append(f"outlet {outlet.id}: max_power_w (not within the hard limit)")
        else:
            dropped.append(f"outlet {outlet.id}: max_power_w ({max_power!r} is not a power)")
        override = data.get("override")
        outlet.override = override if isinstance(override, bool) else None
        drawn = data.get("drawn_max_w")
        # Above the hard limit, a draw cannot be told from a damaged file: counted at the hard
        # limit, the outlet is let on only alone until its draw is read again. What no draw can
        # be (negative, not finite, not a number) is learned anew.
        if isinstance(drawn, int | float) and not isinstance(drawn, bool) and 0 <= drawn < math.inf:
            outlet.drawn_max_w = min(float(drawn), hard_limit_w)
    for outlet in outlets:
        data = saved.get(outlet.id) or {}
        exception = bool(data.get("exception", outlet.exception))
        if exception == outlet.exception:
            continue
        if exception and exceptions_max_w(outlets) + outlet.max_power_w > hard_limit_w:
            dropped.append(f"outlet {outlet.id}: exception (would exceed the hard limit)")
            continue
        outlet.exception = exception
    if exceptions_max_w(outlets) > hard_limit_w:
        for outlet in reversed(outlets):  # configured exceptions that grew too large
            if outlet.exception and exceptions_max_w(outlets) > hard_limit_w:
                outlet.max_power_w = config.outlet(outlet.id).max_power_w
                dropped.append(f"outlet {outlet.id}: max_power_w (back to the configured value)")
    for outlet in outlets:
        if outlet.exception and outlet.override is not None:  # an exception is always on
            outlet.override = None
            dropped.append(f"outlet {outlet.id}: override (an exception outlet is always on)")
    return dropped
