"""Looks at outlets whose occupant is unknown: a look lasts until the meter has been read."""

from __future__ import annotations

from dataclasses import replace

from custom_components.smartmulti.balancing import Balancer, Reason, Strategy

from .helpers import laptop, strip


def test_two_unknown_outlets_do_not_take_turns_forever_when_the_minimum_on_time_is_short() -> None:
    """The agent allows 1 s on and off, the engine trusts a meter after 5 s, and only one
    outlet may be on: each outlet is looked at once, then the switching stops."""
    engine = Balancer()
    on = {0: False, 1: False}
    since: dict[int, float | None] = {0: None, 1: None}
    switches = 0
    for k in range(30):
        outlets = [
            replace(laptop(i, on=on[i], power=0.0, since=since[i]), max_power_w=65.0)
            for i in (0, 1)
        ]
        s = strip(*outlets, budget=500, strategy=Strategy.MAX_OUTLETS, max_on=1, now=float(k))
        plan = engine.plan(replace(s, min_on_s=1.0, min_off_s=1.0))
        for i in (0, 1):
            if (i in plan.on) != on[i]:
                on[i], since[i] = i in plan.on, 0.0
                switches += 1
            elif since[i] is not None:
                since[i] = since[i] + 1.0  # type: ignore[operator]
    reasons = {d.outlet_id: d.reason for d in plan.outlets}
    assert switches <= 4
    assert Reason.UNKNOWN not in reasons.values()


def test_a_look_is_shown_as_probing_while_it_is_held_on() -> None:
    engine = Balancer()
    engine.plan(strip(laptop(0), budget=500))
    s = strip(laptop(0, on=True, power=0.0, since=2.0), laptop(1), budget=500, now=2.0)
    plan = engine.plan(replace(s, min_on_s=1.0, strategy=Strategy.MAX_OUTLETS, max_on=1))
    assert plan.on == (0,)
    assert next(d.reason for d in plan.outlets if d.outlet_id == 0) is Reason.PROBING
