"""A circuit entry deleted while strips (or circuits) still name it: they stay held by it, at its
rating, and a repair issue asks the manager where they are now (``missing_circuits.py``)."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartmulti.const import (
    CONF_BALANCING_INTERVAL,
    CONF_CIRCUIT,
    CONF_MAX_POWER,
    CONF_PARENT,
    DOMAIN,
    NO_CIRCUIT,
)
from custom_components.smartmulti.planning.scheduler import async_get_scheduler
from custom_components.smartmulti.planning.storage import STORAGE_KEY
from pi_agent.config import StripConfig
from tests.support.agent import RunningAgent

from .circuit_support import enforced_w, watching
from .conftest import AgentFactory, circuit_entry, setup_entries, strip_entry, wait_for

ON_ITS_OWN = {CONF_BALANCING_INTERVAL: 1}


def _config(name: str) -> StripConfig:
    """Each may draw 600 W; 150 W on its failsafe, so two of them need a cap on 200 W."""
    return StripConfig(
        name=name,
        hard_limit_w=600.0,
        failsafe_budget_w=150.0,
        min_on_s=4.0,
        min_off_s=2.0,
        stagger_s=0.2,
        settle_s=0.5,
    )


@pytest.fixture
async def repairs(hass: HomeAssistant) -> None:
    assert await async_setup_component(hass, "repairs", {})


def missing_circuit_issue_id(circuit_id: str) -> str:
    """The issue's id, as the frontend's fix button sends it."""
    return f"missing_circuit_{circuit_id}"


def _cap(running: RunningAgent) -> float | None:
    return running.agent.controller.failsafe_cap_w


async def _agents(start_test_agent: AgentFactory) -> tuple[RunningAgent, RunningAgent]:
    a = await start_test_agent("a", strip=_config("Strip A"))
    b = await start_test_agent("b", strip=_config("Strip B"))
    return a, b


def _strips_on(
    hass: HomeAssistant, circuit_id: str, *agents: RunningAgent
) -> list[MockConfigEntry]:
    return [
        strip_entry(hass, running, **ON_ITS_OWN, **{CONF_CIRCUIT: circuit_id}) for running in agents
    ]


async def _cycles(hass: HomeAssistant, count: int) -> None:
    """Let ``count`` more balancing cycles run (and their plans reach the agents)."""
    scheduler = async_get_scheduler(hass)
    target = scheduler.cycles + count
    await wait_for(lambda: scheduler.cycles >= target, limit_s=10.0)
    await hass.async_block_till_done()


def _issue(hass: HomeAssistant, circuit_id: str) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, missing_circuit_issue_id(circuit_id))


async def _fix(hass: HomeAssistant, hass_client: Any, circuit_id: str, answer: str) -> Any:
    """The fix flow as the frontend drives it: start it, read the form, send the answer."""
    client = await hass_client()
    issue_id = missing_circuit_issue_id(circuit_id)
    response = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id}
    )
    assert response.status == 200
    form = await response.json()
    assert form.get("step_id") == "circuit", (form.get("type"), form.get("reason"))
    response = await client.post(
        f"/api/repairs/issues/fix/{form['flow_id']}", json={CONF_CIRCUIT: answer}
    )
    result = await response.json()
    await hass.async_block_till_done()
    return form, result


async def test_strips_on_a_deleted_circuit_stay_held_together_at_its_rating(
    hass: HomeAssistant, start_test_agent: AgentFactory
) -> None:
    a, b = await _agents(start_test_agent)
    room = circuit_entry(hass, "Room", 200.0)
    await setup_entries(hass, room, *_strips_on(hass, room.entry_id, a, b))
    await wait_for(lambda: _cap(a) == _cap(b) == 100.0)

    with watching((a, b)) as watch:
        assert await hass.config_entries.async_remove(room.entry_id)
        await _cycles(hass, 4)

    assert max(watch.enforced) <= 200.0 + 0.1  # what the agents enforce, all along
    assert enforced_w(a) + enforced_w(b) <= 200.0 + 0.1
    assert _cap(a) == _cap(b) == 100.0  # and what their failsafes would take


async def test_deleting_a_circuit_raises_a_repair_issue_naming_the_strips_on_it(
    hass: HomeAssistant, start_test_agent: AgentFactory
) -> None:
    a, b = await _agents(start_test_agent)
    room = circuit_entry(hass, "Room", 200.0)
    await setup_entries(hass, room, *_strips_on(hass, room.entry_id, a, b))
    assert _issue(hass, room.entry_id) is None

    assert await hass.config_entries.async_remove(room.entry_id)
    await hass.async_block_till_done()

    issue = _issue(hass, room.entry_id)
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_key == "missing_circuit"
    assert issue.severity is ir.IssueSeverity.WARNING
    assert issue.translation_placeholders == {
        "circuit": "Room",
        "names": "Strip A, Strip B",
        "rating": "200",
    }


async def test_the_fix_puts_the_strips_on_another_circuit_and_the_issue_goes(
    hass: HomeAssistant, start_test_agent: AgentFactory, repairs: None, hass_client: Any
) -> None:
    a, b = await _agents(start_test_agent)
    room = circuit_entry(hass, "Room", 200.0)
    hall = circuit_entry(hass, "Hall", 250.0)
    strips = _strips_on(hass, room.entry_id, a, b)
    await setup_entries(hass, room, hall, *strips)
    assert await hass.config_entries.async_remove(room.entry_id)
    await hass.async_block_till_done()

    form, result = await _fix(hass, hass_client, room.entry_id, hall.entry_id)

    options = form["data_schema"][0]["selector"]["select"]["options"]
    assert [option["value"] for option in options] == [NO_CIRCUIT, hall.entry_id]
    assert form["description_placeholders"] == {"circuit": "Room", "names": "Strip A, Strip B"}
    assert result["type"] == "create_entry"
    assert [strip.options[CONF_CIRCUIT] for strip in strips] == [hall.entry_id] * 2
    assert _issue(hass, room.entry_id) is None
    assert async_get_scheduler(hass).store.removed == {}  # nothing names it any more
    await wait_for(lambda: _cap(a) == _cap(b) == 125.0)  # held by Hall now


async def test_the_fix_can_take_the_strips_off_any_circuit(
    hass: HomeAssistant, start_test_agent: AgentFactory, repairs: None, hass_client: Any
) -> None:
    a, b = await _agents(start_test_agent)
    room = circuit_entry(hass, "Room", 200.0)
    strips = _strips_on(hass, room.entry_id, a, b)
    await setup_entries(hass, room, *strips)
    assert await hass.config_entries.async_remove(room.entry_id)
    await hass.async_block_till_done()

    _, result = await _fix(hass, hass_client, room.entry_id, NO_CIRCUIT)

    assert result["type"] == "create_entry"
    assert all(CONF_CIRCUIT not in strip.options for strip in strips)
    assert _issue(hass, room.entry_id) is None
    await wait_for(lambda: _cap(a) is None and _cap(b) is None)  # each on its own limits


async def test_a_deleted_parent_circuit_goes_on_holding_the_circuit_under_it(
    hass: HomeAssistant, start_test_agent: AgentFactory
) -> None:
    a, b = await _agents(start_test_agent)
    site = circuit_entry(hass, "Site", 200.0)
    room = circuit_entry(hass, "Room", 600.0, parent=site)
    await setup_entries(hass, site, room, *_strips_on(hass, room.entry_id, a, b))
    await wait_for(lambda: _cap(a) == _cap(b) == 100.0)

    assert await hass.config_entries.async_remove(site.entry_id)
    await _cycles(hass, 4)

    issue = _issue(hass, site.entry_id)
    assert issue is not None
    assert issue.translation_placeholders == {"circuit": "Site", "names": "Room", "rating": "200"}
    assert _cap(a) == _cap(b) == 100.0
    assert room.options[CONF_PARENT] == site.entry_id  # nobody moved it but the manager


async def test_a_deleted_circuit_still_holds_its_strips_after_a_restart(
    hass: HomeAssistant, start_test_agent: AgentFactory, hass_storage: dict[str, Any]
) -> None:
    """The removed circuit as the previous run kept it in the site's storage."""
    a, b = await _agents(start_test_agent)
    hass_storage[STORAGE_KEY] = {
        "version": 1,
        "key": STORAGE_KEY,
        "data": {
            "strips": {},
            "closed": {},
            "removed_circuits": {"gone": {"title": "Room", "rating_w": 200.0, "parent": None}},
        },
    }

    await setup_entries(hass, *_strips_on(hass, "gone", a, b))

    await wait_for(lambda: _cap(a) == _cap(b) == 100.0)
    issue = _issue(hass, "gone")
    assert issue is not None
    assert issue.translation_key == "missing_circuit"


async def test_a_strip_naming_an_unknown_circuit_at_setup_raises_an_error_until_moved(
    hass: HomeAssistant, start_test_agent: AgentFactory
) -> None:
    a = await start_test_agent("a", strip=_config("Strip A"))
    entry = strip_entry(hass, a, **ON_ITS_OWN, **{CONF_CIRCUIT: "never-known"})

    await setup_entries(hass, entry)

    issue = _issue(hass, "never-known")
    assert issue is not None
    assert issue.translation_key == "unknown_circuit"
    assert issue.severity is ir.IssueSeverity.ERROR
    assert issue.translation_placeholders == {"circuit": "never-known", "names": "Strip A"}

    # Moved from its own options: the issue goes.
    hass.config_entries.async_update_entry(entry, options=ON_ITS_OWN)
    await hass.async_block_till_done()
    assert _issue(hass, "never-known") is None


async def test_the_issue_follows_the_strips_removed_and_goes_with_the_last(
    hass: HomeAssistant, start_test_agent: AgentFactory
) -> None:
    a, b = await _agents(start_test_agent)
    room = circuit_entry(hass, "Room", 200.0)
    entry_a, entry_b = _strips_on(hass, room.entry_id, a, b)
    await setup_entries(hass, room, entry_a, entry_b)
    assert await hass.config_entries.async_remove(room.entry_id)
    await hass.async_block_till_done()

    assert await hass.config_entries.async_remove(entry_b.entry_id)
    await hass.async_block_till_done()
    issue = _issue(hass, room.entry_id)
    assert issue is not None
    assert issue.translation_placeholders["names"] == "Strip A"

    assert await hass.config_entries.async_remove(entry_a.entry_id)
    await hass.async_block_till_done()
    assert _issue(hass, room.entry_id) is None
    assert async_get_scheduler(hass).store.removed == {}


async def test_options_saved_for_another_field_keep_the_deleted_circuit_they_are_on(
    hass: HomeAssistant, start_test_agent: AgentFactory
) -> None:
    """A strip's balancing form, and a circuit's form, offer the deleted circuit they are still
    on as the current choice: a manager changing the interval, or a rating, leaves them held
    by it (and the issue open), and moves them only by choosing another circuit."""
    a, b = await _agents(start_test_agent)
    site = circuit_entry(hass, "Site", 200.0)
    room = circuit_entry(hass, "Room", 600.0, parent=site)
    strip, other = _strips_on(hass, site.entry_id, a, b)
    await setup_entries(hass, site, room, strip, other)
    assert await hass.config_entries.async_remove(site.entry_id)
    await hass.async_block_till_done()

    flow = await hass.config_entries.options.async_init(strip.entry_id)
    form = await hass.config_entries.options.async_configure(
        flow["flow_id"], {"next_step_id": "balancing"}
    )
    assert form["step_id"] == "balancing"
    defaults = {str(key): key.default() for key in form["data_schema"].schema}
    assert defaults[CONF_CIRCUIT] == site.entry_id
    await hass.config_entries.options.async_configure(
        form["flow_id"], {CONF_CIRCUIT: site.entry_id, CONF_BALANCING_INTERVAL: 2}
    )
    await hass.async_block_till_done()
    assert (strip.options[CONF_CIRCUIT], strip.options[CONF_BALANCING_INTERVAL]) == (
        site.entry_id,
        2,
    )

    form = await hass.config_entries.options.async_init(room.entry_id)
    assert form["step_id"] == "circuit"
    defaults = {str(key): key.default() for key in form["data_schema"].schema}
    assert defaults[CONF_PARENT] == site.entry_id
    await hass.config_entries.options.async_configure(
        form["flow_id"], {CONF_MAX_POWER: 500.0, CONF_PARENT: site.entry_id}
    )
    await hass.async_block_till_done()
    assert (room.options[CONF_PARENT], room.options[CONF_MAX_POWER]) == (site.entry_id, 500.0)

    issue = _issue(hass, site.entry_id)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["names"] == "Room, Strip A, Strip B"
