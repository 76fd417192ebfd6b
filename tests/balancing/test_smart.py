"""``smart``'s turn-taking: it scores outlets in watts and switches only when it pays."""

from __future__ import annotations

import itertools

from custom_components.smartmulti.balancing import Balancer, Reason, Settings

from .helpers import laptop, looks_beside, reasons, strip


def test_a_young_turn_is_not_interrupted_for_a_more_needy_rival() -> None:
    plan = Balancer().plan(
        strip(
            laptop(0, on=True, power=60, percent=70, since=120),
            laptop(1, percent=30, departure_at=3600),
            budget=70,
        )
    )
    assert plan.on == (0,)
    assert reasons(plan)[1] is Reason.WAITING_BUDGET


def test_a_laptop_about_to_run_flat_interrupts_even_a_young_turn() -> None:
    plan = Balancer().plan(
        strip(
            laptop(0, on=True, power=60, percent=70, since=120),
            laptop(1, percent=3),
            budget=70,
        )
    )
    assert plan.on == (1,)
    assert reasons(plan)[1] is Reason.KEEP_ALIVE


def test_after_its_dwell_a_turn_goes_to_a_laptop_with_much_less_slack() -> None:
    plan = Balancer().plan(
        strip(
            laptop(0, on=True, power=60, percent=70, since=1200),
            laptop(1, percent=20, departure_at=1.5 * 3600),
            budget=70,
        )
    )
    assert plan.on == (1,)


def test_no_swap_for_a_marginal_gain_in_fill() -> None:
    """Two switches are worth more than a few watts of budget for one cycle."""
    plan = Balancer().plan(
        strip(
            laptop(0, on=True, power=60, percent=50, since=1200),
            laptop(1, percent=50, max_w=64),
            budget=66,
        )
    )
    assert plan.on == (0,)


def test_a_laptop_that_reached_its_target_does_not_come_back_for_every_percent() -> None:
    engine = Balancer()
    engine.plan(strip(laptop(0, on=True, power=15, percent=100, since=900), budget=70))
    plan = engine.plan(
        strip(
            laptop(0, percent=99, since=300),
            laptop(1, on=True, power=60, percent=40, since=900),
            budget=70,
            now=60,
        )
    )
    assert plan.on == (1,)
    assert reasons(plan)[0] is Reason.FULL


def test_a_laptop_short_of_its_target_tops_up_when_there_is_room() -> None:
    engine = Balancer()
    engine.plan(strip(laptop(0, on=True, power=15, percent=100, since=900), budget=200))
    plan = engine.plan(strip(laptop(0, percent=99, since=900), budget=200, now=60))
    assert plan.on == (0,)
    assert reasons(plan)[0] is Reason.TOPPING_UP


def test_never_seen_outlets_are_probed_first_several_at_once() -> None:
    plan = Balancer().plan(
        strip(
            laptop(0, on=True, power=60, percent=50, since=1200),
            *(laptop(i) for i in range(1, 4)),
            budget=200,
        )
    )
    assert set(plan.on) == {1, 2, 3}  # three probes of 65 W beat one charging laptop of 60 W
    assert all(reasons(plan)[i] is Reason.PROBING for i in (1, 2, 3))


def test_an_outlet_found_empty_again_and_again_is_looked_at_less_often() -> None:
    settings = Settings(probe_interval_s=1800, probe_backoff=2.0, max_probe_interval_s=7200)
    looks = looks_beside(settings, hours=10)
    gaps = [b - a for a, b in itertools.pairwise(looks)]
    assert len(gaps) >= 2
    assert gaps[0] < gaps[-1]
    assert max(gaps) <= 3 * 7200


def test_an_empty_outlet_is_left_open_while_nothing_else_needs_the_room() -> None:
    """Open, a laptop plugged in is seen at once, without a switch."""
    engine = Balancer()
    engine.plan(strip(laptop(0), budget=400))
    plan = engine.plan(strip(laptop(0, on=True, power=0, since=60), budget=400, now=60))
    assert plan.on == (0,)
    assert reasons(plan)[0] is Reason.OPEN


def test_a_long_overdue_probe_is_made_even_on_a_full_strip() -> None:
    """A laptop without a report may have been plugged into the off outlet and be running
    flat: after ``probe_force`` probe intervals the look is made, like keeping a laptop alive."""
    settings = Settings(probe_interval_s=1800, probe_force=1.2)
    engine = Balancer(settings)
    engine.plan(strip(laptop(0, on=True, power=0, since=120), budget=100))  # seen empty
    busy = laptop(1, on=True, power=60, percent=50, since=900)
    early = engine.plan(strip(laptop(0, since=1800), busy, budget=100, now=1800))
    late = engine.plan(strip(laptop(0, since=2400), busy, budget=100, now=2400))
    assert early.on == (1,)
    assert late.on == (0,)
    assert reasons(late)[0] is Reason.PROBING
