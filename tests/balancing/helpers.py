"""Builders for engine inputs, so each test states only the facts it is about."""

from __future__ import annotations

from custom_components.smartmulti.balancing import (
    BatteryReport,
    OutletInput,
    Strategy,
    StripInput,
)


def laptop(
    outlet_id: int,
    *,
    on: bool = False,
    power: float = 0.0,
    max_w: float = 65.0,
    percent: float | None = None,
    since: float | None = None,
    departure_at: float | None = None,
    tier: int = 0,
) -> OutletInput:
    """A balanced outlet; ``percent`` gives it a fresh battery report."""
    battery = None if percent is None else BatteryReport(percent=percent, plugged=on, age_s=0.0)
    return OutletInput(
        outlet_id=outlet_id,
        relay_on=on,
        power_w=power if on else 0.0,
        max_power_w=max_w,
        seconds_since_switch=since,
        battery=battery,
        departure_at=departure_at,
        tier=tier,
    )


def lamp(outlet_id: int, watts: float) -> OutletInput:
    return OutletInput(
        outlet_id=outlet_id, relay_on=True, power_w=watts, max_power_w=watts, exception=True
    )


def strip(
    *outlets: OutletInput,
    budget: float,
    strategy: Strategy = Strategy.SMART,
    now: float = 0.0,
    max_on: int | None = None,
    hard_limit: float = 3680.0,
) -> StripInput:
    return StripInput(
        strip_id="s1",
        now=now,
        budget_w=budget,
        hard_limit_w=hard_limit,
        outlets=tuple(outlets),
        strategy=strategy,
        max_on=max_on,
    )
