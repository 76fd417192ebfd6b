"""What an open session and a drained battery tell the engine when the relay is off."""

from __future__ import annotations

from custom_components.smartmulti.balancing import (
    Balancer,
    BatteryReport,
    OutletInput,
    Reason,
    Settings,
)
from custom_components.smartmulti.balancing.strategies.smart import expected_w
from custom_components.smartmulti.balancing.view import LaptopView

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


def _outlet(
    *,
    on: bool,
    power: float = 0.0,
    since: float,
    percent: float | None = None,
    age: float = 0.0,
    departure_at: float | None = None,
) -> OutletInput:
    battery = None if percent is None else BatteryReport(percent=percent, plugged=on, age_s=age)
    return OutletInput(
        outlet_id=1,
        relay_on=on,
        power_w=power if on else 0.0,
        max_power_w=200.0,
        seconds_since_switch=since,
        battery=battery,
        departure_at=departure_at,
    )


def test_a_session_opening_on_an_off_outlet_drops_the_reserve_of_the_laptop_before() -> None:
    """The laptop seen there may have been swapped while the relay was off: the newcomer is
    counted at the outlet's rating, not at the old one's draw."""
    engine = Balancer()
    for k in range(12):  # a laptop without a report, drawing 60 W for 12 minutes
        engine.plan(
            strip(_outlet(on=True, power=60, since=60.0 * k + 60), budget=500, now=60.0 * k)
        )
    # The budget drops: the plan switches it off (not a guard's shed, which forgets it).
    engine.plan(strip(_outlet(on=True, power=60, since=780), budget=0, now=720))
    engine.plan(strip(_outlet(on=False, since=60), budget=0, now=780))
    plan = engine.plan(strip(_outlet(on=False, since=120), budget=500, now=840))
    assert plan.reserve_w.get(1) is not None  # the same laptop: its draw stands
    plan = engine.plan(
        strip(_outlet(on=False, since=180, departure_at=5 * HOUR), budget=500, now=900)
    )
    assert plan.on == (1,)
    assert plan.reserve_w.get(1) is None


def test_a_report_over_a_meter_reading_nothing_is_a_laptop_that_left() -> None:
    def present_once_the_meter_reads_nothing(report_age: float) -> bool | None:
        engine = Balancer()
        engine.plan(strip(_outlet(on=True, power=60, since=600, percent=72), budget=500))
        empty = _outlet(on=True, power=0, since=660, percent=72, age=report_age)
        (cand,) = engine.observe(strip(empty, budget=500, now=120)).candidates
        return cand.laptop.present

    assert present_once_the_meter_reads_nothing(120) is False
    # A post from just before it left (or from a laptop moved to another outlet, its reporter
    # still posting) says nothing against a settled meter that reads nobody drawing.
    assert present_once_the_meter_reads_nothing(30) is False
    assert present_once_the_meter_reads_nothing(0) is False


def test_a_laptop_that_left_just_after_its_report_is_not_kept_at_its_charge() -> None:
    """Reported at 99 %, it leaves a minute later: switched off at its target, the outlet
    must not be believed to hold a nearly full laptop for the report's whole life."""
    engine = Balancer()
    engine.plan(strip(_outlet(on=True, power=30, since=600, percent=99), budget=500))
    engine.plan(strip(_outlet(on=True, power=0, since=660, percent=99, age=63), budget=500, now=60))
    off = _outlet(on=False, since=60, percent=99, age=123)
    (cand,) = engine.observe(strip(off, budget=500, now=120)).candidates
    assert cand.laptop.present is not True
    assert cand.laptop.soc is None


def test_a_report_from_before_a_newcomer_arrived_is_not_taken_for_its_charge() -> None:
    engine = Balancer()
    engine.plan(strip(_outlet(on=False, since=600, percent=61, age=300), budget=500))

    def laptop_after(now: float, percent: float, age: float) -> LaptopView:
        """The laptop the engine sees at ``now``, a session open and a report ``age`` old."""
        off = _outlet(on=False, since=600 + now, percent=percent, age=age, departure_at=5 * HOUR)
        (cand,) = engine.observe(strip(off, budget=500, now=now)).candidates
        return cand.laptop

    # A session opens: another laptop came; the agent still holds the old laptop's report.
    laptop_after(60, 61, 360)
    newcomer = laptop_after(120, 61, 420)
    assert newcomer.present is True
    assert newcomer.soc is None
    # The newcomer's own reporter posts: that one is believed.
    assert laptop_after(180, 35, 0).soc == 0.35
