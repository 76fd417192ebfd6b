"""Builders for engine inputs, so each test states only the facts it is about."""

from __future__ import annotations

from collections.abc import Callable

from custom_components.smartmulti.balancing import (
    Balancer,
    BatteryReport,
    OutletInput,
    Reason,
    Settings,
    Strategy,
    StripInput,
    StripPlan,
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


def reasons(plan: StripPlan) -> dict[int, Reason]:
    """Each outlet's reason in a plan, by outlet id."""
    return {d.outlet_id: d.reason for d in plan.outlets}


def looks_beside(
    settings: Settings, hours: float, draw: Callable[[float], float] = lambda _t: 60.0
) -> list[float]:
    """When an outlet nobody uses is switched on to look, beside a laptop drawing ``draw(t)``
    on a 100 W budget (the empty outlet counts 65 W): a minute per cycle, 60 s minimum on/off."""
    engine = Balancer(settings)
    on = [False, False]
    since: list[float | None] = [None, None]
    looks = []
    for k in range(int(hours * 60)):
        now = 60.0 * k
        empty = laptop(0, on=on[0], power=0, since=since[0])
        busy = laptop(1, on=on[1], power=draw(now), percent=50, since=since[1])
        plan = engine.plan(strip(empty, busy, budget=100, now=now))
        for i in (0, 1):
            want = i in plan.on
            held = since[i] is not None and since[i] < 60  # type: ignore[operator]
            if want != on[i] and not held:
                if i == 0 and want:
                    looks.append(now)
                on[i], since[i] = want, 0.0
            elif since[i] is not None:
                since[i] += 60.0  # type: ignore[operator]
    return looks
