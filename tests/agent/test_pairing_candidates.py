"""Which outlets a pairing may search, and when the strip refuses to start one.

Exception outlets and outlets whose laptop has a reporter take no part; an outlet that took part
within the last minute cools down; one pairing runs at a time; a laptop not charging, among more
off outlets than the budget lets on, is deferred; a closed strip pairs nothing. A search counts
its switch-ons at what the outlets have drawn, so admission lets each window's relays on.

The simulated agent (15 laptops, a lamp on outlet 16) is sampled by hand on a manual clock, and a
laptop answers from the simulated world, whose plugged flag follows the laptop's relay.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pi_agent.api.views import pairing_view
from pi_agent.control.pairing.run import PairingRefusedError
from pi_agent.control.plan import Plan

from .pairing_strip import LAMP, LAPTOPS, Laptop, Strip, others, pair, planned_strip


async def test_laptop_on_an_exception_outlet_is_not_paired_and_its_relay_never_moves(
    tmp_path: Path,
) -> None:
    strip = Strip(tmp_path)
    strip.controller.update_outlet(5, exception=True)  # a laptop on an always-on outlet
    strip.plan([1, 2, 3])
    await strip.run(8)
    result = await pair(strip, Laptop(strip, 5))
    assert (result["status"], result["reason"]) == ("failed", "not_on_candidate")
    assert all(relays[5] for _, relays in strip.relays)
    assert strip.pairing.paired(5) is None
    assert strip.on() == {1, 2, 3, 5, LAMP}


async def test_pairing_is_refused_when_only_exception_outlets_are_on(tmp_path: Path) -> None:
    strip = Strip(tmp_path)
    strip.controller.update_outlet(5, exception=True)
    strip.plan([])
    await strip.run(4)
    with pytest.raises(PairingRefusedError) as refused:
        strip.pairing.start(plugged=True, user=None, now=strip.now)
    assert refused.value.code == "no_candidates"
    assert not strip.pairing.active


async def test_outlets_that_have_a_reporter_take_no_part(tmp_path: Path) -> None:
    strip = await planned_strip(tmp_path, [1, 2, 3, 4, 5])
    strip.controller.report_battery(2, 50, True, strip.now, user="Bastien", from_laptop=True)
    run = strip.pairing.start(plugged=True, user=None, now=strip.now)
    assert 2 not in run.group
    assert LAMP not in run.group


async def test_outlet_that_took_part_within_the_last_minute_is_refused_until_it_cools_down(
    tmp_path: Path,
) -> None:
    strip = await planned_strip(tmp_path, [4, 5, 6, 7, 8])
    assert (await pair(strip, Laptop(strip, 7)))["outlet"] == 7
    strip.pairing.unpair(7)  # Home Assistant asks for a new pairing at once
    with pytest.raises(PairingRefusedError) as refused:
        strip.pairing.start(plugged=True, user=None, now=strip.now)
    assert refused.value.code == "pairing_rate_limited"
    assert refused.value.retry_after_s is not None
    assert 0 < refused.value.retry_after_s <= 60
    await strip.run(refused.value.retry_after_s)
    assert (await pair(strip, Laptop(strip, 7)))["outlet"] == 7


async def test_second_pairing_is_refused_while_one_runs(tmp_path: Path) -> None:
    strip = await planned_strip(tmp_path, [1, 2, 3, 4, 5])
    strip.pairing.start(plugged=True, user="Amina", now=strip.now)
    with pytest.raises(PairingRefusedError) as refused:
        strip.pairing.start(plugged=True, user="Bastien", now=strip.now)
    assert refused.value.code == "pairing_busy"
    assert refused.value.retry_after_s is not None


async def test_a_search_counts_switch_ons_at_what_the_outlets_have_drawn(tmp_path: Path) -> None:
    """Outlets rated below their chargers: a window sized at the rating would ask for more
    switch-ons than admission lets on, and answers taken with the relays not where the
    search put them leave it unable to tell the outlets apart."""
    on = others(9)[:5]
    strip = await planned_strip(tmp_path, on)
    controller = strip.controller
    off = [o for o in LAPTOPS if o not in on]  # 6-15; those with a reporter take no part
    for outlet in off[4:]:
        controller.report_battery(outlet, 50, False, strip.now, from_laptop=True)
    for outlet in off[:4]:  # the candidates, 6-9, have each drawn half again their rating
        controller.outlet(outlet).drawn_max_w = 1.5 * controller.outlet(outlet).max_power_w
    now, stale, settle = strip.now, controller.stale_after_s, controller.strip.settle_s
    reserved = sum(o.reserve_w(now, stale, settle) for o in controller.outlets if o.relay_on)
    # Room for two switch-ons at the rating, for one at the draw.
    strip.plan(on, budget_w=reserved + 2.5 * controller.outlet(9).max_power_w)
    await strip.run(2)
    laptop = Laptop(strip, 9)
    run = strip.pairing.start(plugged=laptop.plugged(), user=None, now=strip.now)
    asked: dict[int, dict[int, bool]] = {}  # window → the relays it wanted and did not get
    while strip.pairing.active:
        window = run.window
        if run.phase == "awaiting" and window.states is not None:
            asked[window.number] = {
                o: on for o, on in window.targets.items() if window.states[o] != on
            }
        view = pairing_view(run)
        if view["observe"]:
            strip.pairing.observe(run.id, view["window"], laptop.plugged(), strip.now)
        await strip.step()
        assert strip.now < 120
    assert (run.status, run.outlet) == ("paired", 9)
    assert asked
    assert all(not missed for missed in asked.values())
    assert strip.over_limit == []


async def test_laptop_not_charging_among_too_many_off_outlets_is_deferred(
    tmp_path: Path,
) -> None:
    strip = Strip(tmp_path)  # no plan: the failsafe budget keeps only a few laptops on
    await strip.run(8)
    clocks = strip.clocks()
    with pytest.raises(PairingRefusedError) as refused:
        strip.pairing.start(plugged=False, user=None, now=strip.now)
    assert refused.value.code == "pairing_deferred"
    await strip.run(1)
    assert strip.clocks() == clocks


async def test_pairing_is_refused_while_the_strip_is_closed(tmp_path: Path) -> None:
    strip = Strip(tmp_path)
    strip.controller.apply_plan(Plan(frozenset(), (), 1000.0, 1.0, 0.0, 0.0, on_expiry="off"))
    await strip.run(3)
    assert strip.controller.mode == "off"
    with pytest.raises(PairingRefusedError) as refused:
        strip.pairing.start(plugged=False, user=None, now=strip.now)
    assert refused.value.code == "strip_closed"
