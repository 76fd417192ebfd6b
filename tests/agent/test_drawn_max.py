"""An outlet rated below what is really plugged in.

An installer's rating is the agent's guess at an outlet it has not read: a switch-on is
counted at it. A charger that draws more would take the strip over its limit at every
switch-on until the guard cut it. The agent keeps the most each outlet has drawn over two
samples in a row (``OutletState.drawn_max_w``) and counts the outlet at that until it is seen
empty; one sample's spike (a charger's inrush) is not taken for a draw.
"""

from __future__ import annotations

import json

from pi_agent.api.views import outlet_view
from pi_agent.hardware.base import Reading

from .harness import Harness


def test_an_outlet_that_drew_above_its_rating_is_counted_at_that_draw() -> None:
    # Outlet 1 is rated 100 W like the rest, but its charger draws 150 W.
    harness = Harness(2, loads={1: 150.0, 2: 100.0}, hold_s=1.0)
    harness.plan([2, 1], budget_w=230.0)
    totals = harness.run(5)
    # Counted at its 100 W rating beside outlet 2, it was let on and took the strip to
    # 250 W: the guard cut it after its hold, and the agent learned its draw.
    assert harness.controller.guard.trips == 1
    assert harness.on() == {2}
    outlet = harness.controller.outlet(1)
    assert outlet.drawn_max_w == 150.0
    assert outlet.counted_max_w == 150.0
    assert outlet_view(harness.controller, outlet, harness.now)["drawn_max_w"] == 150.0
    # The plan still asks for it: counted at 150 W it no longer fits, and is never let on
    # again to be cut again.
    totals = harness.run(180)
    assert harness.on() == {2}
    assert harness.controller.guard.trips == 1
    assert max(totals) <= 230.0
    # With room for the draw it has shown, it goes on and stays on.
    harness.plan([2, 1], budget_w=260.0)
    totals = harness.run(60)
    assert harness.on() == {1, 2}
    assert max(totals) <= 260.0
    assert harness.controller.guard.trips == 1


def test_a_spike_of_one_sample_is_not_taken_for_a_draw() -> None:
    harness = Harness(1, loads={1: 300.0})
    harness.plan([1])
    harness.step()  # switched on; the meter reads its first sample at the next one
    assert harness.on() == {1}
    harness.step()  # a charger's inrush, read by one sample
    harness.loads[1] = 60.0
    harness.run(5)
    outlet = harness.controller.outlet(1)
    assert outlet.drawn_max_w == 60.0
    assert outlet.counted_max_w == 100.0  # its rating, still above what it drew


def test_setting_the_rating_again_forgets_the_draw() -> None:
    harness = Harness(1, loads={1: 150.0})
    harness.plan([1])
    harness.run(5)
    outlet = harness.controller.outlet(1)
    assert outlet.counted_max_w == 150.0
    harness.controller.update_outlet(1, max_power_w=120.0)
    assert outlet.drawn_max_w == 0.0
    harness.run(1)  # still drawing 150 W: learned again within two samples
    assert outlet.counted_max_w == 150.0


def test_a_welded_relay_s_draw_is_not_the_outlet_s() -> None:
    """A relay commanded off whose meter still reads is a fault, not a rating to learn."""
    harness = Harness(1, loads={1: 150.0})
    harness.plan([], budget_w=1000.0)
    readings = {1: Reading(230.0, 150.0 / 230.0, 150.0)}
    for _ in range(15):  # 3 s: past the time that makes it a stuck relay
        harness.now += harness.period
        harness.controller.step(harness.now, readings)
    outlet = harness.controller.outlet(1)
    assert not outlet.relay_on
    assert outlet.relay_fault is not None
    assert outlet.relay_fault.startswith("relay stuck")
    assert outlet.drawn_max_w == 0.0


def test_an_unplugged_laptop_s_draw_is_forgotten() -> None:
    """An open outlet is not counted at the laptop that has left: the next one may be small,
    and five open outlets counted at the largest chargers they had would hold the budget."""
    harness = Harness(2, loads={1: 150.0, 2: 60.0})
    harness.plan([1, 2], budget_w=400.0)
    harness.run(5)
    outlet = harness.controller.outlet(1)
    assert outlet.counted_max_w == 150.0
    harness.loads[1] = 0.0  # unplugged while on
    harness.run(harness.config.strip.settle_s + 1.0)
    assert outlet.relay_on  # its rating fits: open for the next laptop
    assert outlet.drawn_max_w < 2.0
    assert outlet.counted_max_w == 100.0


def test_the_draw_learned_survives_a_restart() -> None:
    """Forgotten, each charger above its rating would take the strip over its budget once more."""
    harness = Harness(2, loads={1: 150.0})
    harness.plan([1])
    harness.run(5)
    on_disk = json.loads(json.dumps(harness.controller.persistent_state()))
    saved = {int(outlet_id): outlet for outlet_id, outlet in on_disk.items()}
    restarted = Harness(2)
    assert restarted.controller.restore(saved) == []
    assert restarted.controller.outlet(1).counted_max_w == 150.0
    assert restarted.controller.outlet(2).counted_max_w == 100.0


def test_a_saved_draw_is_restored_no_higher_than_the_hard_limit() -> None:
    """Counted at the hard limit, an outlet goes on only alone until its draw is read again;
    what no draw can be is learned anew."""
    harness = Harness(4)
    limit = harness.controller.config.strip.hard_limit_w
    harness.controller.restore(
        {
            1: {"drawn_max_w": limit * 1000},
            2: {"drawn_max_w": float("nan")},
            3: {"drawn_max_w": "150"},
            4: {"drawn_max_w": -5.0},
        }
    )
    assert [o.drawn_max_w for o in harness.controller.outlets] == [limit, 0.0, 0.0, 0.0]
