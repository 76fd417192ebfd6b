"""Strips sharing a circuit when nobody plans them: each agent's failsafe is capped at its share
of the circuit (``planning.circuits.failsafe_caps``), so that together they stay within it
while Home Assistant is down."""

from __future__ import annotations

import math

from homeassistant.components.number import DOMAIN as NUMBER_DOMAIN, SERVICE_SET_VALUE
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from hypothesis import given, settings, strategies as st
import pytest

from custom_components.smartmulti.balancing import Circuit
from custom_components.smartmulti.const import CONF_BALANCING_INTERVAL, CONF_CIRCUIT, DOMAIN
from custom_components.smartmulti.planning.circuits import failsafe_caps, keep_room
from custom_components.smartmulti.planning.scheduler import async_get_scheduler
from pi_agent.api import server, validation
from pi_agent.config import StripConfig
from tests.support.agent import RunningAgent

from .circuit_support import busy_for_plans, watching
from .conftest import AgentFactory, circuit_entry, setup_entries, strip_entry, wait_for

FAILSAFE_W = 150.0


def _config(name: str) -> StripConfig:
    return StripConfig(
        name=name,
        hard_limit_w=600.0,
        failsafe_budget_w=FAILSAFE_W,
        min_on_s=4.0,
        min_off_s=2.0,
        stagger_s=0.2,
        settle_s=0.5,
    )


async def _strips_on(
    hass: HomeAssistant, start_test_agent: AgentFactory, circuit_w: float
) -> tuple[RunningAgent, RunningAgent]:
    a = await start_test_agent("a", strip=_config("Strip A"))
    b = await start_test_agent("b", strip=_config("Strip B"))
    circuit = circuit_entry(hass, "Room", circuit_w)
    entries = [
        strip_entry(hass, r, **{CONF_CIRCUIT: circuit.entry_id, CONF_BALANCING_INTERVAL: 1})
        for r in (a, b)
    ]
    await setup_entries(hass, circuit, *entries)
    return a, b


def _cap(running: RunningAgent) -> float | None:
    return running.agent.controller.failsafe_cap_w


async def test_strips_whose_failsafes_exceed_their_circuit_are_capped_and_hold_it_once_let_go(
    hass: HomeAssistant, start_test_agent: AgentFactory
) -> None:
    a, b = await _strips_on(hass, start_test_agent, 200.0)
    await wait_for(lambda: _cap(a) == _cap(b) == 100.0)  # 150 W each would be 300 W

    # Home Assistant lets go of both (as when it stops: the agents run their failsafes).
    for entry in hass.config_entries.async_entries(DOMAIN):
        assert await hass.config_entries.async_unload(entry.entry_id)
    for running in (a, b):
        await wait_for(lambda r=running: r.agent.controller.mode == "failsafe")
        await running.agent.next_sample()
    assert a.agent.controller.budget_w + b.agent.controller.budget_w <= 200.0
    assert a.agent.controller.budget_w == b.agent.controller.budget_w == 100.0


async def test_the_caps_follow_the_circuits_budget_and_go_when_there_is_room(
    hass: HomeAssistant, start_test_agent: AgentFactory
) -> None:
    a, b = await _strips_on(hass, start_test_agent, 200.0)
    await wait_for(lambda: _cap(a) == 100.0)
    budget = {ATTR_ENTITY_ID: "number.room_power_budget"}

    await hass.services.async_call(
        NUMBER_DOMAIN, SERVICE_SET_VALUE, budget | {"value": 120}, blocking=True
    )
    await wait_for(lambda: _cap(a) == _cap(b) == 60.0)
    # Room for both failsafes: no cap (a peak budget does not hold the strips all night).
    await hass.services.async_call(
        NUMBER_DOMAIN, SERVICE_SET_VALUE, budget | {"value": 200}, blocking=True
    )
    await wait_for(lambda: _cap(a) == _cap(b) == 100.0)


async def test_strips_with_room_on_their_circuit_get_no_cap(
    hass: HomeAssistant, start_test_agent: AgentFactory
) -> None:
    a, b = await _strips_on(hass, start_test_agent, 600.0)
    await wait_for(lambda: a.agent.controller.mode == b.agent.controller.mode == "planned")
    assert _cap(a) is None
    assert _cap(b) is None


async def test_an_unreachable_strip_keeps_its_failsafe_and_the_other_is_capped_within_the_rest(
    hass: HomeAssistant, start_test_agent: AgentFactory
) -> None:
    a, b = await _strips_on(hass, start_test_agent, 200.0)
    await wait_for(lambda: _cap(a) == 100.0)
    entry_b = hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, b.serial)
    assert entry_b is not None
    planner_b = entry_b.runtime_data.planner

    await b.stop()
    await wait_for(lambda: not planner_b.ready)

    await wait_for(
        lambda: _cap(a) == max(0.0, math.floor((200.0 - planner_b.footprint_w) * 10) / 10)
    )


async def test_an_agent_too_old_for_a_cap_gets_its_plans_without_it_and_a_warning(
    hass: HomeAssistant,
    start_test_agent: AgentFactory,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    schema = {k: v for k, v in validation.PLAN.schema.items() if str(k) != "failsafe_cap_w"}
    monkeypatch.setattr(server, "PLAN", validation.vol.Schema(schema))
    a, b = await _strips_on(hass, start_test_agent, 200.0)

    await wait_for(lambda: a.agent.controller.mode == b.agent.controller.mode == "planned")
    assert _cap(a) is None
    assert "does not take a cap on its failsafe (agent too old)" in caplog.text
    assert caplog.text.count("does not take a cap on its failsafe") == 2  # once per strip


# ---------------------------------------------------------------------------- the split itself


def test_no_circuit_no_cap() -> None:
    assert failsafe_caps(None, {"a": 500.0}, ()) == {}


def test_nested_circuits_cap_at_the_tightest_level() -> None:
    room = Circuit("room", 200.0, strips=("a", "b"))
    site = Circuit("site", 500.0, children=(room,), strips=("c",))
    caps = failsafe_caps(site, {"a": 200.0, "b": 200.0, "c": 400.0}, ())
    # The site's split of its 500 W is 125 / 125 / 250; the room's 100 / 100 is tighter.
    assert caps == {"a": 100.0, "b": 100.0, "c": 250.0}


def _watts(most: int) -> st.SearchStrategy[float]:
    """Watts to the tenth, as the agents and the circuits' options give them."""
    return st.integers(0, most * 10).map(lambda tenths: tenths / 10.0)


@st.composite
def _sites(draw: st.DrawFn) -> tuple[Circuit, dict[str, float], set[str]]:
    """A random tree of circuits with strips, their footprints, and which are absent."""
    counter = iter(range(1000))

    def node(depth: int) -> Circuit:
        children = (
            () if depth >= 2 else tuple(node(depth + 1) for _ in range(draw(st.integers(0, 2))))
        )
        strips = tuple(f"s{next(counter)}" for _ in range(draw(st.integers(0, 3))))
        limit = draw(_watts(3000))
        return Circuit(f"c{next(counter)}", limit, children=children, strips=strips)

    root = node(0)
    ids = root.strip_ids()
    footprints = {sid: draw(_watts(1500)) for sid in ids}
    absent = {sid for sid in ids if draw(st.booleans())}
    return root, footprints, absent


@settings(max_examples=300, deadline=None)
@given(_sites())
def test_every_circuit_holds_when_every_strip_runs_its_failsafe(
    site: tuple[Circuit, dict[str, float], set[str]],
) -> None:
    root, footprints, absent = site
    caps = failsafe_caps(root, footprints, absent)
    assert not set(caps) & absent  # an absent strip cannot be sent one
    drawn = {sid: min(watts, caps.get(sid, math.inf)) for sid, watts in footprints.items()}
    for node in root.walk():
        below = node.strip_ids()
        held = sum(footprints[sid] for sid in below if sid in absent)
        if held <= node.max_power_w:  # otherwise nobody planned now can make room
            assert sum(drawn[sid] for sid in below) <= node.max_power_w + 1e-6
    # A strip is capped below its footprint only under a circuit its strips could overload.
    for sid, cap in caps.items():
        if cap < footprints[sid]:
            assert any(
                sid in node.strip_ids()
                and sum(footprints[s] for s in node.strip_ids()) > node.max_power_w
                for node in root.walk()
            )


def test_the_room_kept_for_strips_nobody_plans_comes_off_every_circuit_above_them() -> None:
    room = Circuit("room", 200.0, strips=("a", "gone"))
    site = Circuit("site", 500.0, children=(room,), strips=("c", "away"))

    held = keep_room(site, {"gone": 150.0, "away": 100.0})

    assert held == Circuit(
        "site", 250.0, children=(Circuit("room", 50.0, strips=("a",)),), strips=("c",)
    )
    assert keep_room(Circuit("room", 100.0, strips=("gone",)), {"gone": 150.0}) == Circuit(
        "room", 0.0
    )


async def test_a_strip_moved_onto_a_circuit_gets_no_more_of_it_while_the_others_cap_is_not_down(
    hass: HomeAssistant, start_test_agent: AgentFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """B moves from the small circuit X to Y, which A had to itself: A's cap must go down
    before B's goes up, and A is too busy to take its plan."""
    a = await start_test_agent("a", strip=_config("Strip A"))
    b = await start_test_agent("b", strip=_config("Strip B"))
    y = circuit_entry(hass, "Y", 250.0)
    x = circuit_entry(hass, "X", 100.0)
    slow = {CONF_BALANCING_INTERVAL: 60}  # cycles only on a change
    entry_a = strip_entry(hass, a, **slow, **{CONF_CIRCUIT: y.entry_id})
    entry_b = strip_entry(hass, b, **slow, **{CONF_CIRCUIT: x.entry_id})
    await setup_entries(hass, y, x, entry_a, entry_b)
    await wait_for(lambda: _cap(b) == 100.0 and a.agent.controller.mode == "planned")
    assert _cap(a) is None
    scheduler = async_get_scheduler(hass)
    await wait_for(lambda: scheduler._task is None)

    with watching([a, b]) as watch:
        busy_for_plans(monkeypatch, a.port)
        hass.config_entries.async_update_entry(
            entry_b, options={**entry_b.options, CONF_CIRCUIT: y.entry_id}
        )
        cycles = scheduler.cycles
        await wait_for(lambda: scheduler.cycles > cycles and scheduler._task is None)

    assert _cap(a) is None  # no plan reached it
    assert max(watch.failsafe) <= 250.0
