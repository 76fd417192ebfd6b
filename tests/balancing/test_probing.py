"""Looks at outlets whose occupant is unknown: a look lasts until the meter has been read."""

from __future__ import annotations

from dataclasses import replace

from custom_components.smartmulti.balancing import Balancer, Reason, Settings, Strategy

from .helpers import laptop, looks_beside, reasons, strip


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
    assert switches <= 4
    assert Reason.UNKNOWN not in reasons(plan).values()


def test_a_look_is_shown_as_probing_while_it_is_held_on() -> None:
    engine = Balancer()
    engine.plan(strip(laptop(0), budget=500))
    s = strip(laptop(0, on=True, power=0.0, since=2.0), laptop(1), budget=500, now=2.0)
    plan = engine.plan(replace(s, min_on_s=1.0, strategy=Strategy.MAX_OUTLETS, max_on=1))
    assert plan.on == (0,)
    assert next(d.reason for d in plan.outlets if d.outlet_id == 0) is Reason.PROBING


# No back-off, so that every look interval is the same 30 minutes.
EVERY_30_MIN = Settings(probe_interval_s=1800, probe_backoff=1.0, max_probe_interval_s=1800)


def test_a_look_not_yet_due_takes_room_that_frees_up_early() -> None:
    """Room nobody wants is the cheapest time to look: from half an interval before the look
    is due, spare room is used for it, and a laptop plugged in there is found sooner."""
    looks = looks_beside(EVERY_30_MIN, 1, lambda t: 60.0 if t < 1000 else 20.0)
    assert looks[0] == 0.0  # never seen: looked at first
    assert 900 <= looks[1] < 1800


def test_a_look_not_yet_due_never_displaces_a_charging_laptop() -> None:
    looks = looks_beside(EVERY_30_MIN, hours=2)
    assert looks[0] == 0.0
    assert all(look >= 1800 for look in looks[1:])  # only once due (here: once forced)


def test_an_early_look_stands_in_for_the_due_one() -> None:
    """The next look counts from when the early one was due, so spare room again soon after
    does not bring another look: moving looks into spare room adds none."""
    spare = [(1000, 1400), (2300, 2700)]
    looks = looks_beside(
        EVERY_30_MIN, 2, lambda t: 20.0 if any(a <= t < b for a, b in spare) else 60.0
    )
    assert 1000 <= looks[1] < 1400
    assert not any(2300 <= look < 2700 for look in looks)


def test_a_battery_report_resets_the_look_back_off_of_its_outlet() -> None:
    """Looks back off while an outlet keeps being found empty; once a laptop reports from it,
    the outlet is in use, and when that laptop leaves the next may come soon."""
    engine = Balancer(Settings(probe_interval_s=1800, probe_backoff=2.0, max_probe_interval_s=7200))
    busy = laptop(1, on=True, power=60, percent=50, since=600)
    now = 0.0
    for _ in range(3):  # three looks, each finding the outlet empty
        engine.plan(strip(laptop(0, on=True, since=0.0), budget=400, now=now))
        engine.plan(strip(laptop(0, on=True, since=120.0), budget=400, now=now + 120))
        engine.plan(strip(laptop(0, since=0.0), busy, budget=100, now=now + 180))
        now += 4000
    assert (memory := engine.memory(0)) is not None
    assert memory.looks.empty_looks == 3

    engine.plan(strip(laptop(0, percent=40, since=4000.0), busy, budget=100, now=now))

    assert (memory := engine.memory(0)) is not None
    assert memory.looks.empty_looks == 0
