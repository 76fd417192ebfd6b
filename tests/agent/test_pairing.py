"""Automatic pairing end to end in simulation: the strip finds a laptop's outlet from its flag.

The simulated agent (15 laptops, a lamp on outlet 16) is sampled by hand on a manual clock, and a
laptop answers from the simulated world, whose plugged flag follows the laptop's relay.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from pi_agent.api.views import pairing_view, strip_view
from pi_agent.control.pairing.registry import PairedLaptops
from pi_agent.control.pairing.run import WINDOW_S, PairingRefusedError, PairingRun
from pi_agent.control.plan import Plan
from tests.support.agent import build_agent

LAPTOPS = range(1, 16)
LAMP = 16


class Strip:
    """The simulated agent, sampled by hand: five samples per second of a manual clock."""

    def __init__(self, data_dir: Path) -> None:
        self.now = 0.0
        self.agent, self.world = build_agent(data_dir, clock=lambda: self.now)
        self.controller = self.agent.controller
        self.pairing = self.controller.pairing
        self.relays: list[tuple[float, dict[int, bool]]] = []  # the world's contacts per sample
        self.over_limit: list[tuple[float, float, float]] = []  # (time, measured, limit)

    async def step(self) -> None:
        self.now += self.controller.strip.sample_period_s
        await self.agent.sample_once()
        self.relays.append((self.now, {o: self.world.relay(o) for o in range(1, 17)}))
        measured = sum(self.world.draw_w(o) for o in range(1, 17))
        if measured > self.controller.limit_w:
            self.over_limit.append((self.now, measured, self.controller.limit_w))

    async def run(self, seconds: float) -> None:
        for _ in range(round(seconds / self.controller.strip.sample_period_s)):
            await self.step()

    def plan(self, on: Iterable[int], budget_w: float = 1000.0, **kwargs: Any) -> None:
        on = sorted(on)
        self.controller.apply_plan(
            Plan(frozenset(on), tuple(on), budget_w, 3600.0, self.now, 0.0, **kwargs)
        )

    def on(self) -> set[int]:
        return {o.id for o in self.controller.outlets if o.relay_on}

    def clocks(self) -> dict[int, float]:
        return {o.id: o.last_switch_at for o in self.controller.outlets}


class Laptop:
    """A laptop's reporter answering from the world; its flag may lag the relay."""

    def __init__(self, strip: Strip, outlet_id: int, *, lag_s: float = 0.0) -> None:
        self.strip = strip
        self.outlet_id = outlet_id
        self.lag_s = lag_s

    def plugged(self) -> bool:
        if self.lag_s == 0.0 or not self.strip.relays:
            return self.strip.world.relay(self.outlet_id)
        seen = [s for t, s in self.strip.relays if t <= self.strip.now - self.lag_s + 1e-9]
        return (seen[-1] if seen else self.strip.relays[0][1])[self.outlet_id]


async def planned_strip(data_dir: Path, on: Iterable[int]) -> Strip:
    """A strip whose plan has switched ``on`` (1000 W budget) and whose relays are still."""
    strip = Strip(data_dir)
    strip.plan(on)
    await strip.run(8)
    assert strip.on() == {*on, LAMP}
    return strip


async def pair(
    strip: Strip, laptop: Laptop, *, answers: int | None = None, user_proof: str | None = None
) -> dict[str, Any]:
    """Run a pairing until its relays are released; stop answering after ``answers``."""
    run = strip.pairing.start(
        plugged=laptop.plugged(), user="Amina", now=strip.now, user_proof=user_proof
    )
    given = 0
    for _ in range(round(60 / strip.controller.strip.sample_period_s)):
        if not strip.pairing.active:
            break
        view = pairing_view(run)
        if view["observe"] and (answers is None or given < answers):
            strip.pairing.observe(run.id, view["window"], laptop.plugged(), strip.now)
            given += 1
        await strip.step()
    assert not strip.pairing.active
    return pairing_view(run)


def others(outlet: int) -> list[int]:
    return [o for o in LAPTOPS if o != outlet]


# ---------------------------------------------------------------------- finding the outlet


@pytest.mark.parametrize("charging", [True, False], ids=["charging", "not-charging"])
@pytest.mark.parametrize("outlet", LAPTOPS)
async def test_pairing_finds_every_outlet_in_at_most_five_windows(
    tmp_path: Path, outlet: int, charging: bool
) -> None:
    # Five outlets on under the plan; the laptop's among them (charging) or not.
    on = [outlet, *others(outlet)[:4]] if charging else others(outlet)[:5]
    strip = await planned_strip(tmp_path, on)
    result = await pair(strip, Laptop(strip, outlet))
    assert (result["status"], result["outlet"]) == ("paired", outlet)
    assert 1 <= result["windows"] <= 5
    assert result["confidence"] >= 0.9
    assert strip.on() == {*on, LAMP}  # every relay back as it was
    assert strip.over_limit == []


@pytest.mark.parametrize("charging", [True, False], ids=["charging", "not-charging"])
@pytest.mark.parametrize("outlet", [1, 8, 15])
async def test_pairing_holds_with_a_flag_lagging_one_second(
    tmp_path: Path, outlet: int, charging: bool
) -> None:
    on = [outlet, *others(outlet)[:4]] if charging else others(outlet)[:5]
    strip = await planned_strip(tmp_path, on)
    result = await pair(strip, Laptop(strip, outlet, lag_s=1.0))
    assert (result["status"], result["outlet"]) == ("paired", outlet)


async def test_every_window_is_answered_within_three_seconds_of_its_start(
    tmp_path: Path,
) -> None:
    strip = await planned_strip(tmp_path, others(9)[:5])
    laptop = Laptop(strip, 9)
    run: PairingRun = strip.pairing.start(plugged=laptop.plugged(), user=None, now=strip.now)
    durations = []
    while strip.pairing.active:
        view = pairing_view(run)
        if view["observe"]:
            durations.append(strip.now - run.window.started_at)
            strip.pairing.observe(run.id, view["window"], laptop.plugged(), strip.now)
        await strip.step()
    assert run.status == "paired"
    assert len(durations) == run.flips + 1  # the baseline, then each window
    assert max(durations) <= WINDOW_S


async def test_paired_user_confidence_and_windows_are_in_the_state(tmp_path: Path) -> None:
    strip = await planned_strip(tmp_path, [3, 4, 5, 6, 7])
    await pair(strip, Laptop(strip, 6))
    state = strip_view(strip.controller, strip.now)
    assert state["pairing"]["status"] == "paired"
    assert state["pairing"]["outlet"] == 6
    assert 1 <= state["pairing"]["windows"] <= 5
    paired = state["outlets"][5]["paired"]
    assert (paired["user"], paired["method"]) == ("Amina", "pairing")
    assert paired["confidence"] == state["pairing"]["confidence"]
    assert [o["paired"] for o in state["outlets"] if o["id"] != 6] == [None] * 15
    assert paired["user_proof"] is None  # the name alone: Home Assistant bills nobody on it


async def test_a_reporters_proof_of_its_user_is_kept_with_the_pairing_for_home_assistant(
    tmp_path: Path,
) -> None:
    """The agent cannot check the proof (Home Assistant holds the personal links): it keeps it
    with the paired record, in the state and in the state file, and only there."""
    proof = "ab" * 32
    strip = await planned_strip(tmp_path, [3, 4, 5, 6, 7])
    result = await pair(strip, Laptop(strip, 6), user_proof=proof)
    assert result["status"] == "paired"
    assert "user_proof" not in result  # the reporter's own view of the run does not echo it
    assert strip_view(strip.controller, strip.now)["outlets"][5]["paired"]["user_proof"] == proof
    saved = strip.pairing.laptops.persistent()["paired"]["6"]
    assert saved["user_proof"] == proof
    fresh = PairedLaptops(range(1, 17), wall_clock=lambda: 0.0)
    fresh.restore(strip.pairing.laptops.persistent(), now=0.0)
    restored = fresh.get(6)
    assert restored is not None
    assert restored.proof == proof


# ---------------------------------------------------------------------- who takes part


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


# ---------------------------------------------------------------------- failures change nothing


class Unplugged(Laptop):
    """Its owner pulls the cable right after the first answer: the flag stops following."""

    answered = False

    def plugged(self) -> bool:
        if self.answered:
            return False
        self.answered = True
        return super().plugged()


async def test_inconsistent_answers_end_without_a_pairing_and_change_nothing(
    tmp_path: Path,
) -> None:
    strip = await planned_strip(tmp_path, [2, 4, 6, 8, 10])
    clocks = strip.clocks()
    result = await pair(strip, Unplugged(strip, 4))
    assert result["status"] in ("ambiguous", "failed")
    assert result["outlet"] is None
    assert all(strip.pairing.paired(o) is None for o in LAPTOPS)
    assert strip.on() == {2, 4, 6, 8, 10, LAMP}
    # Outlets that are off got their minimum-time clocks back: normal control may use them.
    assert {o: t for o, t in strip.clocks().items() if o not in strip.on()} == {
        o: t for o, t in clocks.items() if o not in strip.on()
    }


async def test_reporter_that_vanishes_leaves_every_relay_under_normal_control(
    tmp_path: Path,
) -> None:
    strip = await planned_strip(tmp_path, [1, 3, 5, 7, 9])
    clocks = strip.clocks()
    result = await pair(strip, Laptop(strip, 12), answers=2)  # baseline and window 1 only
    assert (result["status"], result["reason"]) == ("failed", "timeout")
    assert all(o.held is None for o in strip.controller.outlets)
    assert strip.on() == {1, 3, 5, 7, 9, LAMP}
    assert {o: t for o, t in strip.clocks().items() if o not in strip.on()} == {
        o: t for o, t in clocks.items() if o not in strip.on()
    }
    strip.plan([1, 3, 5, 7, 9, 12])  # and the plan is obeyed again at once
    await strip.run(1)
    assert 12 in strip.on()


async def test_guard_sheds_held_outlets_when_the_budget_drops_mid_window(
    tmp_path: Path,
) -> None:
    strip = await planned_strip(tmp_path, [1, 2, 3, 4, 5])
    laptop = Laptop(strip, 11)  # off: its window switches outlets on
    run = strip.pairing.start(plugged=laptop.plugged(), user=None, now=strip.now)
    while run.window.number < 1:  # answer the baseline: window 1 starts
        view = pairing_view(run)
        if view["observe"]:
            strip.pairing.observe(run.id, view["window"], laptop.plugged(), strip.now)
        await strip.step()
    await strip.run(1)  # the window's switch-ons are under way
    held_on = {o.id for o in strip.controller.outlets if o.held and o.relay_on}
    assert held_on
    strip.plan([1, 2, 3, 4, 5], budget_w=200.0)  # Home Assistant lowers the budget
    await strip.step()
    assert strip.controller.limit_w == 200.0
    shed = held_on - strip.on()
    assert shed  # the guard switched off outlets the pairing held
    strip.over_limit.clear()
    while strip.pairing.active:
        view = pairing_view(run)
        if view["observe"]:
            strip.pairing.observe(run.id, view["window"], laptop.plugged(), strip.now)
        await strip.step()
    assert strip.over_limit == []
    assert run.outlet in (None, 11)


# ---------------------------------------------------------------------- after pairing


async def test_laptop_that_moved_is_asked_to_pair_again(tmp_path: Path) -> None:
    strip = await planned_strip(tmp_path, [1, 2, 3])
    report = strip.controller.report_battery
    assert report(2, 60, True, strip.now, user="Chloé", from_laptop=True) is False
    await strip.run(30)
    # Outlet 2 is on, yet the laptop says it is not plugged: it is elsewhere now.
    assert report(2, 59, False, strip.now, user="Chloé", from_laptop=True) is False
    await strip.run(30)
    assert report(2, 58, False, strip.now, user="Chloé", from_laptop=True) is True
    assert strip.pairing.paired(2) is None


async def test_unpaired_outlet_asks_its_reporter_to_pair_again(tmp_path: Path) -> None:
    strip = await planned_strip(tmp_path, [1, 2, 3])
    report = strip.controller.report_battery
    report(3, 60, True, strip.now, user="Dmitri", from_laptop=True)
    strip.pairing.unpair(3)
    assert report(3, 60, True, strip.now, user="Dmitri", from_laptop=True) is True
    assert report(3, 60, True, strip.now, user="Dmitri", from_laptop=True) is False


# ---------------------------------------------------------------------- what a pairing may cost


async def test_an_unanswered_pairing_costs_like_an_answered_one(tmp_path: Path) -> None:
    strip = await planned_strip(tmp_path, others(9)[:5])
    laptop = Laptop(strip, 9)
    started = 0
    refusals: list[PairingRefusedError] = []
    for _ in range(round(30 / strip.controller.strip.sample_period_s)):
        if not strip.pairing.active:
            try:
                strip.pairing.start(plugged=laptop.plugged(), user=None, now=strip.now)
            except PairingRefusedError as refusal:
                refusals.append(refusal)
            else:
                started += 1
        await strip.step()  # the reporter never answers
    assert started == 1  # the next one waits for the cool-down, as after an answered one
    assert refusals
    assert {r.code for r in refusals} == {"pairing_rate_limited"}
    assert all(r.retry_after_s is not None for r in refusals)


async def test_a_pairing_delays_the_plans_switch_ons_by_at_most_one_window(
    tmp_path: Path,
) -> None:
    # Outlets 9-12 are the pairing's candidates (it switches them as it searches); 1-4 have
    # reporters, and the plan now wants them on too.
    new = {1, 2, 3, 4}
    wanted = {*new, 9, 10, 11, 12}

    async def plan_then_wait(data_dir: Path, pairing: bool) -> float:
        strip = await planned_strip(data_dir, [9, 10, 11, 12])
        for outlet in (1, 2, 3, 4):  # these laptops have reporters: outside any pairing
            strip.controller.report_battery(outlet, 50, False, strip.now, from_laptop=True)
        run = None
        if pairing:
            run = strip.pairing.start(plugged=True, user=None, now=strip.now)
        strip.plan(sorted(wanted), reserve_w=dict.fromkeys(wanted, 40.0))
        asked = strip.now
        while not new <= strip.on() and strip.now - asked < 30:
            if run is not None:
                view = pairing_view(run)
                if view["observe"]:
                    plugged = strip.world.relay(9)
                    strip.pairing.observe(run.id, view["window"], plugged, strip.now)
            await strip.step()
        assert new <= strip.on()
        return strip.now - asked

    alone = await plan_then_wait(tmp_path / "alone", pairing=False)
    during = await plan_then_wait(tmp_path / "during", pairing=True)
    print(f"4 switch-ons: {alone:.1f} s alone, {during:.1f} s during a pairing")
    assert during <= alone + WINDOW_S
