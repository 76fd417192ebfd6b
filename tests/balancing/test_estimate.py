"""Charge estimation from the measured power profile when a laptop sends no battery report."""

from __future__ import annotations

from custom_components.smartmulti.balancing import Balancer, ChargeState, OutletDecision, Reason

from .helpers import laptop, strip


def profile(draws: list[float], step_s: float = 60.0) -> list[OutletDecision]:
    """Feed one outlet's draw minute by minute; return the engine's view each minute."""
    engine = Balancer()
    views = []
    for k, watts in enumerate(draws):
        plan = engine.plan(
            strip(
                laptop(0, on=True, power=watts, since=600 + k * step_s), budget=500, now=k * step_s
            )
        )
        views.append(plan.outlets[0])
    return views


def test_constant_power_reads_as_charging_and_the_estimate_rises() -> None:
    views = profile([70.0] * 10)
    assert all(v.state is ChargeState.CHARGING for v in views)
    assert views[-1].percent is not None
    assert views[0].percent is not None
    assert views[-1].percent > views[0].percent
    assert views[-1].estimated


def test_a_falling_draw_reads_as_taper_above_the_knee() -> None:
    views = profile([70.0, 70.0, 60.0, 50.0, 40.0])
    assert views[-1].state is ChargeState.TAPERING
    assert views[-1].percent is not None
    assert 80.0 <= views[-1].percent < 100.0


def test_a_flat_idle_draw_reads_as_full() -> None:
    views = profile([70.0, 50.0, 30.0, *([13.0] * 8)])
    assert views[-1].state is ChargeState.FULL
    assert views[-1].percent == 100.0


def test_a_taper_still_falling_below_half_the_peak_is_not_full() -> None:
    """Flat means the draw stayed within a fraction of a watt over a minute: a taper below
    half its peak that keeps falling a watt a minute is still tapering, not idle."""
    views = profile([70.0, 50.0, *[34.0 - k for k in range(10)]])
    assert all(v.state is ChargeState.TAPERING for v in views[2:])
    assert views[-1].percent is not None
    assert views[-1].percent < 100.0


def test_a_taper_falling_a_watt_a_minute_is_not_full_at_the_products_ten_second_cycle() -> None:
    """Between two cycles 10 s apart (the integration's default interval) such a taper moves
    a sixth of a watt, less than a meter's noise: flatness is measured over a minute, so the
    laptop is not taken for full while it still charges."""
    minutes = [70.0] * 6 + [50.0] * 6
    views = profile([*minutes, *[34.0 - k / 6.0 for k in range(60)]], step_s=10.0)
    assert all(v.state is ChargeState.TAPERING for v in views[12:])
    assert views[-1].percent is not None
    assert views[-1].percent < 100.0


def test_a_flat_idle_draw_reads_as_full_at_a_ten_second_cycle() -> None:
    views = profile([*[70.0] * 6, *[50.0] * 6, *[30.0] * 6, *[13.0] * 48], step_s=10.0)
    assert views[-1].state is ChargeState.FULL
    assert views[-1].percent == 100.0


def test_time_to_full_shrinks_while_charging() -> None:
    views = profile([70.0] * 5 + [60.0, 50.0, 40.0])
    times = [v.time_to_full_s for v in views if v.time_to_full_s is not None]
    assert times[-1] < times[0]


def test_a_battery_report_wins_over_the_estimate() -> None:
    plan = Balancer().plan(strip(laptop(0, on=True, power=70, percent=42, since=600), budget=500))
    view = plan.outlets[0]
    assert view.percent == 42.0
    assert not view.estimated


def test_a_laptop_first_seen_at_constant_power_is_estimated_mid_range_not_empty() -> None:
    """Expected charge: the middle of what constant power allows (between the pessimistic
    floor and the knee); the floor itself is kept for deciding when it must not run flat."""
    views = profile([70.0])
    assert views[0].percent is not None
    assert 40.0 <= views[0].percent <= 55.0


def test_the_longer_it_takes_constant_power_the_closer_to_the_knee() -> None:
    views = profile([70.0] * 40)
    percents = [v.percent for v in views if v.percent is not None]
    assert percents == sorted(percents)
    assert 70.0 <= percents[-1] <= 80.0


def test_a_report_that_stops_while_the_outlet_is_off_means_the_laptop_may_have_left() -> None:
    engine = Balancer()
    engine.plan(strip(laptop(0, percent=50), budget=500))
    plan = engine.plan(strip(laptop(0, since=600), budget=10, now=60))
    view = plan.outlets[0]
    assert view.state is ChargeState.UNKNOWN
    assert view.percent is None


def test_a_new_laptop_does_not_inherit_what_was_learned_about_the_last_one() -> None:
    """The first laptop drains 20 points in 20 minutes while off (heavy use, learned); it
    leaves; the next one, at 60 %, is not taken for a laptop about to run flat."""
    engine = Balancer()
    for k in range(21):
        engine.plan(strip(laptop(0, percent=60 - k, since=600 + 60 * k), budget=10, now=60 * k))
    engine.plan(strip(laptop(0, since=2000), budget=10, now=1320))  # the report stops: left
    plan = engine.plan(strip(laptop(0, percent=60, since=2060), budget=500, now=1380))
    assert plan.outlets[0].reason is not Reason.KEEP_ALIVE


def _turns(turns: list[tuple[bool, list[float]]], max_w: float) -> list[OutletDecision]:
    """One outlet through turns (on or off, a draw each minute), the engine's view each minute."""
    engine = Balancer()
    views, now = [], 0.0
    for on, draws in turns:
        switched = now
        for watts in draws:
            outlet = laptop(0, on=on, power=watts, max_w=max_w, since=now - switched + 60.0)
            views.append(engine.plan(strip(outlet, budget=500, now=now)).outlets[0])
            now += 60.0
    return views


def test_a_flat_draw_above_any_idle_one_after_a_time_off_is_another_laptop_not_a_full_one() -> None:
    """A 140 W laptop tapers and its outlet goes off; it leaves, and a laptop on a 45 W charger
    takes its place before the outlet is on again. Its flat 50 W is far below the peak, as an
    idle draw would be, but above what any laptop's own use draws from the wall: a smaller
    charger at constant power. Taken for full, it was left off until it ran flat (random-10923,
    outlet 10); it is read afresh, its charge unknown."""
    views = _turns(
        [(True, [150.0] * 8 + [130.0, 110.0, 90.0]), (False, [0.0] * 20), (True, [50.0] * 15)],
        max_w=170.0,
    )
    assert views[-1].state is ChargeState.CHARGING
    assert views[-1].percent is not None
    assert views[-1].percent < 90.0
    # Flat at an idle draw, the same laptop is full.
    idle = _turns(
        [(True, [150.0] * 8 + [130.0, 110.0, 90.0]), (False, [0.0] * 20), (True, [20.0] * 15)],
        max_w=170.0,
    )
    assert idle[-1].state is ChargeState.FULL
