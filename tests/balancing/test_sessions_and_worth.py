"""What an open session and a drained battery tell the engine when the relay is off."""

from __future__ import annotations

from custom_components.smartmulti.balancing import Balancer, Reason, Settings
from custom_components.smartmulti.balancing.strategies.smart import expected_w

from .helpers import laptop, reasons, strip

HOUR = 3600.0


def test_a_laptop_seen_full_is_worth_its_charging_draw_once_it_has_drained() -> None:
    """Its last draw was the charger's trickle; at 60 % it will draw its constant power again,
    or it would stay off all day while its battery runs down beside spare room."""
    engine = Balancer()
    engine.plan(strip(laptop(1, on=True, power=60, percent=50, since=600), budget=200))
    engine.plan(strip(laptop(1, on=True, power=8, percent=100, since=4000), budget=200, now=HOUR))
    observation = engine.observe(
        strip(laptop(1, percent=60, since=3 * HOUR), budget=200, now=4 * HOUR)
    )
    (cand,) = observation.candidates
    assert expected_w(cand, Settings()) >= 55.0
    # Near full it is still worth little more than its trickle.
    engine = Balancer()
    engine.plan(strip(laptop(1, on=True, power=60, percent=50, since=600), budget=200))
    engine.plan(strip(laptop(1, on=True, power=8, percent=100, since=4000), budget=200, now=HOUR))
    observation = engine.observe(
        strip(laptop(1, percent=99, since=600), budget=200, now=HOUR + 600)
    )
    (cand,) = observation.candidates
    assert expected_w(cand, Settings()) < 20.0


def test_an_open_session_on_an_off_outlet_is_a_laptop_there_without_a_look() -> None:
    engine = Balancer()
    plan = engine.plan(strip(laptop(1, departure_at=5 * HOUR), budget=200, now=0.0))
    assert plan.on == (1,)
    assert reasons(plan)[1] in {Reason.CHARGING, Reason.KEEP_ALIVE}


def test_a_look_that_finds_the_outlet_empty_outweighs_the_session_until_a_new_one_opens() -> None:
    engine = Balancer()
    engine.plan(strip(laptop(1, departure_at=5 * HOUR), budget=200, now=0.0))
    # Switched on: the meter reads nothing (the user's laptop is elsewhere).
    engine.plan(
        strip(laptop(1, on=True, power=0, since=30, departure_at=5 * HOUR), budget=200, now=60)
    )
    plan = engine.plan(strip(laptop(1, since=60, departure_at=5 * HOUR), budget=200, now=180))
    assert plan.on == ()
    assert reasons(plan)[1] is Reason.EMPTY
    # The session closes, another opens: a laptop came.
    engine.plan(strip(laptop(1, since=120), budget=200, now=240))
    plan = engine.plan(strip(laptop(1, since=180, departure_at=6 * HOUR), budget=200, now=300))
    assert plan.on == (1,)


def test_a_reporting_laptop_whose_reports_stop_stays_while_its_session_is_open() -> None:
    engine = Balancer()
    engine.plan(strip(laptop(1, percent=80, departure_at=5 * HOUR), budget=200, now=0.0))
    observation = engine.observe(strip(laptop(1, departure_at=5 * HOUR), budget=200, now=60.0))
    (cand,) = observation.candidates
    assert cand.laptop.present is True
    assert cand.laptop.soc is not None
    assert 0.75 < cand.laptop.soc <= 0.8
