"""Energy counters: integrated from measured power, never inflated, never lost."""

from __future__ import annotations

import pytest

from pi_agent.hardware.base import MeterError

from .harness import Harness


def on_at(loads: dict[int, float]) -> Harness:
    harness = Harness(len(loads), max_power_w=200, loads=loads, min_on_s=0)
    harness.plan(sorted(loads))
    harness.run(2)
    return harness


def test_energy_integrates_measured_power_over_time() -> None:
    harness = on_at({1: 60.0, 2: 120.0})
    before = {o.id: o.energy_wh for o in harness.controller.outlets}
    harness.run(60)
    assert harness.controller.outlet(1).energy_wh - before[1] == pytest.approx(1.0, rel=1e-6)
    assert harness.controller.outlet(2).energy_wh - before[2] == pytest.approx(2.0, rel=1e-6)


def test_faulted_meter_adds_no_energy() -> None:
    harness = on_at({1: 60.0})
    harness.failing[1] = MeterError("bus error")
    before = harness.controller.outlet(1).energy_wh
    harness.run(60)
    assert harness.controller.outlet(1).energy_wh == before


def test_clock_jump_does_not_inflate_energy() -> None:
    harness = on_at({1: 60.0})
    before = harness.controller.outlet(1).energy_wh
    harness.step(dt=3600)  # the process was suspended, or the clock leapt
    assert harness.controller.outlet(1).energy_wh - before <= 60.0 * 5 / 3600 + 1e-9


def test_clock_going_backwards_never_decreases_energy() -> None:
    harness = on_at({1: 60.0})
    before = harness.controller.outlet(1).energy_wh
    harness.step(dt=-10)
    harness.step()
    assert harness.controller.outlet(1).energy_wh >= before


def test_restore_never_lowers_a_counter() -> None:
    harness = on_at({1: 60.0})
    harness.run(60)
    current = harness.controller.outlet(1).energy_wh
    harness.controller.restore({1: {"energy_wh": current / 2}})
    assert harness.controller.outlet(1).energy_wh == current


def test_restore_brings_back_settings_and_manual_commands() -> None:
    harness = Harness(2)
    harness.controller.restore(
        {
            1: {"energy_wh": 12.5, "name": "Window desk", "exception": True, "override": None},
            2: {"max_power_w": 65.0, "override": False},
        }
    )
    one, two = harness.controller.outlet(1), harness.controller.outlet(2)
    assert (one.energy_wh, one.name, one.exception) == (12.5, "Window desk", True)
    assert (two.max_power_w, two.override) == (65.0, False)


def test_a_saved_name_home_assistant_could_not_store_is_not_restored() -> None:
    """A lone surrogate (refused by the API now) in a state file written before: the outlet
    keeps its configured name, and the log says why."""
    harness = Harness(2)
    configured = harness.controller.outlet(1).name
    dropped = harness.controller.restore({1: {"name": "Desk\ud800"}, 2: {"name": "Window"}})
    assert harness.controller.outlet(1).name == configured
    assert harness.controller.outlet(2).name == "Window"
    assert len(dropped) == 1
    assert dropped[0].startswith("outlet 1: name (must not hold a lone surrogate")


def test_a_command_held_on_an_outlet_that_is_now_an_exception_is_dropped_on_restore() -> None:
    """The configuration made outlet 2 an exception since the command was saved."""
    harness = Harness(2, exceptions=[2])
    dropped = harness.controller.restore({2: {"override": False}})
    assert harness.controller.outlet(2).override is None
    assert dropped == ["outlet 2: override (an exception outlet is always on)"]
