"""Automatic pairing end to end in simulation: the strip finds a laptop's outlet from its flag.

Every outlet is found within five windows, whether its laptop charges or not and with a flag
lagging a second; each window is answered within its length, and the result (with the user's
proof, kept for Home Assistant) shows in the state. A laptop that moved, or an outlet unpaired,
asks its reporter to pair again.

The simulated agent (15 laptops, a lamp on outlet 16) is sampled by hand on a manual clock, and a
laptop answers from the simulated world, whose plugged flag follows the laptop's relay.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pi_agent.api.views import pairing_view, strip_view
from pi_agent.control.pairing.registry import PairedLaptops
from pi_agent.control.pairing.run import WINDOW_S, PairingRun

from .pairing_strip import LAMP, LAPTOPS, Laptop, others, pair, planned_strip

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
