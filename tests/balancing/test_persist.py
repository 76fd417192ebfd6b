"""The engine's memory across a restart (``balancing.persist``, ``bench.restart``).

Resumed from its stored memory, an engine must decide exactly as if it had never stopped, even
when the new process's clock has another origin; without it, the restart must show (the bench
measures that cost). Stored data that is not what ``encode`` writes must be refused with a
clear error, and data from an engine with fewer or more fields must still load.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from bench.policies import EnginePolicy, Strategy
from bench.restart import Restarted
from bench.scenario import generate
from bench.world import run
from custom_components.smartmulti.balancing import (
    Balancer,
    ChargeState,
    OutletInput,
    StripInput,
)
from custom_components.smartmulti.balancing.memory import LearnedCharger, OutletMemory
from custom_components.smartmulti.balancing.persist import FORMAT, EngineState, decode, encode

SEED = 7005  # a tuning day, crowded: what the engine learned matters all day
HALFWAY = 0.5


def _outcome(policy: Any) -> tuple[Any, ...]:
    out = run(generate(SEED), policy)
    return (
        round(out.delivered_wh, 9),
        out.switches,
        out.dead_minutes,
        out.violation_wh,
        tuple(out.draw_trace),
        tuple((d["id"], d["soc_departure"]) for d in out.per_device),
    )


def test_an_engine_resumed_from_its_stored_memory_decides_as_if_never_restarted() -> None:
    straight = _outcome(EnginePolicy(Strategy.SMART))
    assert _outcome(Restarted(HALFWAY, keep=True)) == straight
    # Without it the day plays out otherwise: measured laptops are counted at their ratings
    # until read again.
    assert _outcome(Restarted(HALFWAY, keep=False)) != straight


def _state() -> EngineState:
    memory = OutletMemory(
        charger=LearnedCharger(peak_w=61.5, constant_w=60.0, taper=((88, 41.5), (93, 27.0)))
    )
    memory = memory._replace(occupant=memory.occupant._replace(present=True, arrived_at=12.0))
    memory = memory._replace(
        occupant=memory.occupant._replace(state=ChargeState.CHARGING),
        looks=memory.looks._replace(empty_looks=2),
    )
    return EngineState(
        at=3600.0, scale=1.0, memory={3: memory}, switches=((3500.0, 2),), look_room=frozenset({3})
    )


def test_a_state_survives_json_exactly() -> None:
    state = _state()
    assert decode(json.loads(json.dumps(encode(state)))) == state


def test_a_state_not_yet_through_json_reads_back_too() -> None:
    """Home Assistant's store hands back the data it was given while the write is pending."""
    state = _state()
    assert decode(encode(state)) == state


def test_fields_missing_take_their_default_and_unknown_ones_are_ignored() -> None:
    data = json.loads(json.dumps(encode(_state())))
    outlet = data["outlets"]["3"]
    del outlet["charger"]["constant_w"]
    del outlet["battery"]
    outlet["charger"]["adapter_w"] = 65.0
    memory = decode(data).memory[3]
    assert memory.charger == LearnedCharger(peak_w=61.5, taper=((88, 41.5), (93, 27.0)))
    assert memory.battery == OutletMemory().battery


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("format",), FORMAT + 1),
        (("scale",), 0.0),
        (("at",), math.inf),
        (("at",), "noon"),
        (("outlets", "3", "charger", "peak_w"), True),
        (("outlets", "3", "charger", "peak_w"), None),
        (("outlets", "3", "occupant", "present"), "yes"),
        (("outlets", "3", "occupant", "state"), "boiling"),
        (("outlets", "3", "looks"), [1, 2]),
        (("outlets", "3", "charger", "taper"), 41.5),
        (("outlets", "3", "charger", "taper"), [[88, 41.5, 1]]),
        (("outlets", "3", "charger", "taper"), [[93, 27.0], [88, 41.5]]),
        (("outlets", "3", "charger", "taper"), [[88, "41 W"]]),
        (("outlets", "three"), {}),
        (("switches",), [[1.0]]),
        (("look_room",), None),
    ],
)
def test_anything_else_is_refused_with_a_clear_error(path: tuple[str, ...], value: Any) -> None:
    data = json.loads(json.dumps(encode(_state())))
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(ValueError, match=r"\w"):
        decode(data)


@pytest.mark.parametrize("data", [None, [], "state", {"format": FORMAT}])
def test_not_a_state_at_all_is_refused(data: Any) -> None:
    with pytest.raises(ValueError, match="engine memory"):
        decode(data)


def test_the_laptops_clock_runs_on_from_the_snapshot_by_the_time_elapsed() -> None:
    engine = Balancer()
    engine.resume(_state(), now=10.0, elapsed_s=90.0)  # the new process's clock reads 10 s
    resumed = engine.snapshot()
    assert resumed is not None
    assert resumed.at == 3600.0  # no cycle yet: the memory is as stored

    outlet = OutletInput(outlet_id=3, relay_on=False, power_w=0.0, max_power_w=100.0)
    engine.plan(
        StripInput("strip", now=40.0, budget_w=200.0, hard_limit_w=200.0, outlets=(outlet,))
    )
    after = engine.snapshot()
    assert after is not None
    # 90 s while the host was down, then 30 s on the new clock.
    assert after.at == pytest.approx(3600.0 + 90.0 + 30.0)
    assert after.memory[3].occupant.arrived_at == 12.0
    assert Balancer().snapshot() is None  # nothing to keep before the first cycle
