"""A plan's looks: an outlet switched on only to see whether a laptop is plugged in.

One that finds nothing is switched off as soon as its meter has settled, not after the minimum
on time (nothing plugged in: there is no relay load or laptop to protect), and its room goes to
the plan's waiting outlets. One that finds a laptop is an outlet like any other.
"""

from __future__ import annotations

from pi_agent.api.views import outlet_view
from pi_agent.control.outlet import IDLE_W
from pi_agent.hardware.base import MeterError

from .harness import WALL0, Harness

EPS = 1e-9


def released_at(harness: Harness, outlet_id: int, seconds: float) -> float | None:
    """Step for ``seconds``; the sample at which ``outlet_id`` went off, if it did."""
    outlet = harness.controller.outlet(outlet_id)
    for _ in range(round(seconds / harness.period)):
        was_on = outlet.relay_on
        harness.step()
        if was_on and not outlet.relay_on:
            return harness.now
    return None


def test_an_empty_look_is_released_once_its_meter_has_settled_and_not_before() -> None:
    harness = Harness(2)  # nothing plugged in: every meter reads 0 W
    settle_s = harness.config.strip.settle_s
    harness.plan([1], looks=frozenset({1}))
    harness.step()
    look = harness.controller.outlet(1)
    switched_on_at = look.last_switch_at
    assert harness.on() == {1}
    harness.run(settle_s - 2 * harness.period)  # a sample before it has settled
    assert harness.on() == {1}
    assert look.found_empty_at is None
    off_at = released_at(harness, 1, 3 * harness.period)
    assert off_at is not None  # not after the 60 s minimum on time
    assert off_at - switched_on_at >= settle_s
    assert off_at - switched_on_at < settle_s + harness.period + EPS
    assert look.found_empty_at == off_at == look.last_switch_at
    assert not look.target_on
    # Neither a trip nor a fault: no back-off, nothing shown as wrong.
    assert harness.controller.guard.trips == 0
    assert look.fault is None
    assert look.shed_until < off_at


def test_a_look_that_finds_a_laptop_keeps_the_minimum_on_time() -> None:
    harness = Harness(2, loads={1: 30.0}, min_on_s=60)
    harness.plan([1], looks=frozenset({1}))
    harness.step()
    switched_on_at = harness.controller.outlet(1).last_switch_at
    harness.run(10)
    assert harness.on() == {1}
    harness.loads[1] = IDLE_W / 2  # the laptop is full: it drew, so it is not an empty outlet
    harness.run(10)
    assert harness.on() == {1}
    harness.plan([])  # the plan lets it go: the minimum on time holds it like any outlet
    off_at = released_at(harness, 1, 60)
    assert off_at is not None
    assert off_at - switched_on_at >= 60 - EPS
    assert harness.controller.outlet(1).found_empty_at is None


def test_a_look_reading_exactly_the_idle_threshold_is_a_laptop() -> None:
    harness = Harness(2, loads={1: IDLE_W})
    harness.plan([1], looks=frozenset({1}))
    harness.run(10)
    assert harness.on() == {1}


def test_a_released_look_stays_off_while_its_plan_is_in_force() -> None:
    harness = Harness(2, min_on_s=60, min_off_s=30)
    harness.plan([1], looks=frozenset({1}))
    harness.run(3)
    assert harness.on() == set()
    harness.run(120)  # well past its minimum on and off times
    assert harness.on() == set()
    view = outlet_view(harness.controller, harness.controller.outlet(1), harness.now)
    assert (view["target"], view["state"], view["found_empty"]) == (False, "off", True)


def test_a_new_plan_listing_a_released_look_switches_it_on_after_the_minimum_off_time() -> None:
    harness = Harness(2, min_on_s=60, min_off_s=30)
    look = harness.controller.outlet(1)
    view = outlet_view(harness.controller, look, harness.now)
    assert view["found_empty"] is False  # always present
    harness.plan([1], looks=frozenset({1}))
    off_at = released_at(harness, 1, 3)
    assert off_at is not None
    view = outlet_view(harness.controller, look, harness.now)
    assert view["found_empty"] is True
    assert view["last_switch_at"] == WALL0 + off_at  # the time of the look
    harness.run(1)
    harness.plan([1])  # a newer plan lists it again (a laptop may have been plugged in since)
    harness.loads[1] = 40.0
    while harness.now - off_at < 30 - harness.period - EPS:
        harness.step()
        assert harness.on() == set()
    harness.run(2 * harness.period)
    assert harness.on() == {1}
    assert look.last_switch_at - off_at >= 30 - EPS
    assert look.found_empty_at is None
    assert outlet_view(harness.controller, look, harness.now)["found_empty"] is False


def test_a_released_look_gives_its_room_to_the_waiting_outlet_within_the_limit() -> None:
    # 240 W: the look (counted at its 200 W while settling) and the laptop (200 W) do not fit.
    harness = Harness(2, max_power_w=200, loads={2: 150.0}, hard_limit_w=240)
    harness.plan([1, 2], priority=[1, 2], budget_w=240, looks=frozenset({1}))
    look, waiting = harness.controller.outlet(1), harness.controller.outlet(2)
    waiting_on_at = None
    for _ in range(round(10 / harness.period)):
        harness.step()
        assert not (look.relay_on and waiting.relay_on)
        assert harness.measured_total() <= 240
        assert harness.controller.total_w <= 240
        if waiting.relay_on and waiting_on_at is None:
            waiting_on_at = harness.now
    assert look.found_empty_at is not None
    assert waiting_on_at is not None
    assert look.found_empty_at <= waiting_on_at <= look.found_empty_at + harness.period + EPS
    assert harness.on() == {2}


def test_an_override_or_a_pairing_hold_is_never_released() -> None:
    harness = Harness(3)
    harness.plan([1, 2, 3], looks=frozenset({1, 2, 3}))
    harness.controller.set_override(1, True)
    harness.controller.outlet(2).held = True
    harness.run(10)
    assert harness.on() == {1, 2}  # outlet 3, a plain look, was released
    for oid in (1, 2):
        assert harness.controller.outlet(oid).found_empty_at is None


def test_a_missing_or_failing_meter_never_releases_a_look() -> None:
    harness = Harness(3)
    harness.silent.add(1)
    harness.failing[2] = MeterError("no answer on the bus")
    harness.plan([1, 2, 3], looks=frozenset({1, 2, 3}))
    harness.run(10)
    assert harness.on() == {1, 2}
    assert harness.controller.guard.trips == 0


def test_only_a_reading_taken_after_settling_releases_a_look() -> None:
    harness = Harness(2)
    settle_s = harness.config.strip.settle_s
    harness.plan([1], looks=frozenset({1}))
    harness.step()
    look = harness.controller.outlet(1)
    while harness.now + harness.period - look.last_switch_at < settle_s - EPS:
        harness.step()
    # Its last reading was taken before settling; the meter now falls silent. The reading stays
    # fresh for two samples, but was taken while a charger could still be negotiating.
    harness.silent.add(1)
    harness.run(1)
    assert harness.on() == {1}
    harness.silent.discard(1)
    harness.step()
    assert harness.on() == set()
    assert look.found_empty_at == harness.now


def test_a_look_is_released_only_while_the_strip_is_planned() -> None:
    harness = Harness(2, min_on_s=60)
    harness.plan([1], looks=frozenset({1}), ttl_s=1)
    harness.run(5)  # the plan expired before the look settled: the failsafe rotation rules
    assert harness.controller.mode == "failsafe"
    assert harness.controller.outlet(1).found_empty_at is None
