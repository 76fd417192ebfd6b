"""Whose laptop is on an outlet, and whether one is there at all: what starts and ends sessions."""

from __future__ import annotations

from typing import Final

from ..client.models import Outlet

# A relay just switched on draws nothing for a moment (the charger negotiates).
SETTLE_S: Final = 5.0
# A laptop's plugged flag lags its charger by about a second.
PLUG_LAG_S: Final = 2.0
# A reporter's plugged flag is trusted this long; after that the draw decides.
REPORT_FRESH_S: Final = 300.0


def paired_user(outlet: Outlet) -> str | None:
    """The user named by the reporter the agent pairs with the outlet, if any."""
    paired = outlet.raw.get("paired")
    user = paired.get("user") if isinstance(paired, dict) else None
    return str(user) if user else None


def laptop_gone(outlet: Outlet, agent_now: float) -> bool:
    """Whether the outlet shows no laptop now: the end of a session, once it lasts.

    Only an outlet that is on can tell (an outlet switched off draws nothing, and a simulated
    or real laptop then reports itself unplugged). A fresh report from the laptop's reporter,
    sent after the relay last switched, decides; otherwise the draw does: under the idle
    threshold, once the charger had time to start.
    """
    if not outlet.relay:
        return False
    switched = outlet.last_switch_at
    battery = outlet.battery
    if (
        battery is not None
        and battery.reported_at is not None
        and agent_now - battery.reported_at <= REPORT_FRESH_S
        and (switched is None or battery.reported_at >= switched + PLUG_LAG_S)
    ):
        return not battery.plugged
    if switched is not None and agent_now - switched < SETTLE_S:
        return False
    return outlet.idle_draw
