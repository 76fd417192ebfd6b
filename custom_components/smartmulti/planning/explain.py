"""What the planner's last cycle means for one outlet or strip, as people are shown it.

The reason, the time to full and the waiting count are read by the sensors and by the coworker
page alike, so both explain an outlet the same way.
"""

from __future__ import annotations

from typing import Final

from ..balancing import Reason
from ..client.models import Outlet, OutletStatus
from .strip import StripPlanner

# The engine's reasons as sensor states; "unknown" would read as Home Assistant's own
# unknown state, so it is shown as "not_observed". A reason a newer engine adds shows as
# unknown until it is translated here.
REASON_STATES: Final[dict[Reason, str]] = {
    reason: "not_observed" if reason is Reason.UNKNOWN else reason.value for reason in Reason
}
MANUAL: Final = "manual"  # held on or off by hand (the control select)
BALANCING_OFF: Final = "balancing_off"  # the strip's balancing switch is off
CLOSED: Final = "closed"  # the strip is shut down (smartmulti.shutdown)
REASON_OPTIONS: Final = [*REASON_STATES.values(), MANUAL, BALANCING_OFF, CLOSED]


def outlet_reason(planner: StripPlanner, outlet: Outlet) -> str | None:
    """Why the outlet is on or off, as the reason sensor and the coworker page show it."""
    if outlet.override is not None:
        return MANUAL
    if (closing := planner.closing) is not None and (
        not outlet.exception or closing.include_exceptions
    ):
        return CLOSED
    if (result := planner.result) is None:
        return None
    if not result.enabled and not outlet.exception:
        return BALANCING_OFF
    if (decision := result.decision(outlet.id)) is None:
        return None
    return REASON_STATES.get(decision.reason)


# Past this the estimate says only "not today": a laptop in its slow last percent, or one that
# draws almost nothing, would read thousands of minutes.
MAX_TIME_TO_FULL_S = 12 * 3600


def time_to_full(planner: StripPlanner, outlet: Outlet) -> float | None:
    """How long the laptop needs to be full while it charges; unknown while it waits (that
    depends on its turn, shown by the reason) or when it is not within the day."""
    if planner.result is None or (decision := planner.result.decision(outlet.id)) is None:
        return None
    ttf = decision.time_to_full_s
    if ttf is None or not decision.on or ttf > MAX_TIME_TO_FULL_S:
        return None
    return round(ttf)


def waiting_laptops(planner: StripPlanner) -> int | None:
    """Laptops wanting charge with their outlet off; balancing off, the ones the guard holds."""
    if (result := planner.result) is None:
        return None
    if result.enabled:
        return result.strip_plan.waiting
    return sum(
        1
        for outlet in planner.data.state.outlets.values()
        if not outlet.exception and outlet.status is OutletStatus.WAITING
    )


def unreported_laptops(planner: StripPlanner) -> int | None:
    """Laptops there whose battery is only estimated; unknown while balancing is off (nothing
    estimates them then)."""
    if (result := planner.result) is None or not result.enabled:
        return None
    return result.strip_plan.unreported
