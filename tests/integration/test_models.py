"""The agent's JSON as models: merging stream updates, and the outlet status shown to managers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from custom_components.smartmulti.client.api import EventStreamParser, SmartMultiConnectionError
from custom_components.smartmulti.client.models import (
    AgentInfo,
    OutletStatus,
    StripMode,
    StripState,
)
from custom_components.smartmulti.client.status import IdleTracker
from custom_components.smartmulti.const import FULL_AFTER

from .agent_json import outlet_json, strip_json

START = datetime(2025, 4, 1, 9, 0, tzinfo=UTC)


def _outlet(outlet_id: int, **fields: Any) -> dict[str, Any]:
    return outlet_json(outlet_id, last_switch_at=1_700_000_000.0, switch_age_s=3.0) | fields


def _state(*outlets: dict[str, Any], **fields: Any) -> StripState:
    outlets = outlets or (_outlet(1), _outlet(2))
    return StripState.from_dict(
        strip_json(*outlets, **({"time": 1_700_000_010.0, "mode": "failsafe"} | fields))
    )


def test_an_update_changes_only_what_it_names() -> None:
    state = _state()

    merged = state.merged(
        {"total_power_w": 0.0, "outlets": [{"id": 2, "relay": False, "state": "off"}], "time": 1.0}
    )

    assert merged.total_power_w == 0.0
    assert merged.outlets[2].relay is False
    assert merged.outlets[2].status is OutletStatus.OFF
    assert merged.outlets[2].energy_wh == 12.5
    assert merged.outlets[1] == state.outlets[1]


def test_an_unknown_mode_reads_as_unknown_rather_than_failing() -> None:
    assert _state(mode="maintenance").mode is None
    assert _state(mode="planned").mode is StripMode.PLANNED


@pytest.mark.parametrize(
    ("agent_state", "status"),
    [
        ("on", OutletStatus.CHARGING),
        ("off", OutletStatus.OFF),
        ("waiting", OutletStatus.WAITING),
        ("exception", OutletStatus.EXCEPTION),
        ("fault", OutletStatus.FAULT),
    ],
)
def test_each_agent_state_has_its_status(agent_state: str, status: OutletStatus) -> None:
    assert _state(_outlet(1, state=agent_state)).outlets[1].status is status


def test_a_laptop_reporting_a_full_battery_is_full() -> None:
    battery = {"percent": 100, "plugged": True, "age_s": 1.0, "reported_at": 1.0}

    assert _state(_outlet(1, battery=battery)).outlets[1].status is OutletStatus.FULL


def test_an_outlet_idle_for_a_while_turns_full_and_says_when() -> None:
    tracker = IdleTracker()
    idle = _state(_outlet(1, power_w=0.8, idle=True))

    state, due = tracker.apply(idle, START)
    assert state.outlets[1].status is OutletStatus.CHARGING
    assert due == START + FULL_AFTER

    state, due = tracker.apply(idle, START + FULL_AFTER - timedelta(seconds=1))
    assert state.outlets[1].status is OutletStatus.CHARGING

    state, due = tracker.apply(idle, START + FULL_AFTER)
    assert state.outlets[1].status is OutletStatus.FULL
    assert due is None


def test_drawing_again_starts_the_idle_wait_over() -> None:
    tracker = IdleTracker()
    tracker.apply(_state(_outlet(1, power_w=0.8, idle=True)), START)

    state, due = tracker.apply(_state(_outlet(1, power_w=45.0, idle=False)), START + FULL_AFTER)
    assert state.outlets[1].status is OutletStatus.CHARGING
    assert due is None

    state, due = tracker.apply(_state(_outlet(1, power_w=0.5, idle=True)), START + 2 * FULL_AFTER)
    assert state.outlets[1].status is OutletStatus.CHARGING
    assert due == START + 3 * FULL_AFTER


def _events(*lines: str) -> list[tuple[str, dict[str, Any]]]:
    parser = EventStreamParser()
    events = [parser.feed(f"{line}\n".encode()) for line in lines]
    return [(event.kind, dict(event.data)) for event in events if event is not None]


def test_the_stream_parser_reads_events_and_skips_keepalives() -> None:
    assert _events(
        ": keepalive",
        "",
        "id: 7",
        "event: update",
        'data: {"total_power_w": 1.0,',
        'data: "time": 2.0}',
        "",
    ) == [("update", {"total_power_w": 1.0, "time": 2.0})]


def test_the_stream_parser_rejects_malformed_data() -> None:
    with pytest.raises(SmartMultiConnectionError):
        _events("event: update", "data: {not json", "")


@pytest.mark.parametrize(
    ("simulated", "sent", "scale"),
    [
        (True, 60, 60.0),
        (True, None, 1.0),
        (True, 0, 1.0),
        (True, "fast", 1.0),
        (True, float("inf"), 1.0),
        # A real strip is planned on the real clock whatever its info says.
        (False, 60, 1.0),
    ],
)
def test_only_a_simulated_strip_is_planned_on_its_worlds_clock(
    simulated: bool, sent: object, scale: float
) -> None:
    info = {
        "serial": "sm-1",
        "name": "Strip",
        "version": "0.1.0",
        "api_version": 1,
        "outlets": 3,
        "model": "SmartMulti strip",
        "simulated": simulated,
        "energy_epoch": None,
    }
    if sent is not None:
        info["time_scale"] = sent

    assert AgentInfo.from_dict(info).time_scale == scale


@pytest.mark.parametrize(
    ("sent", "drawn"),
    [
        (None, 0.0),  # an agent from before it was sent
        (0.0, 0.0),
        (123.4, 123.4),
        (-5.0, 0.0),
        (float("inf"), 0.0),
        (float("nan"), 0.0),
        (True, 0.0),
        ("150", 0.0),
    ],
)
def test_an_outlet_s_drawn_maximum_is_a_finite_number_of_watts_or_nothing(
    sent: object, drawn: float
) -> None:
    outlet = _outlet(1)
    if sent is not None:
        outlet["drawn_max_w"] = sent
    assert _state(outlet).outlets[1].drawn_max_w == drawn


@pytest.mark.parametrize(
    ("sent", "switches"),
    [
        (None, None),  # an agent from before it was sent
        (0, 0),
        (1234, 1234),
        (-1, None),
        (2.5, None),
        (True, None),
        ("12", None),
    ],
)
def test_an_outlet_s_relay_count_is_a_whole_number_or_unknown(
    sent: object, switches: int | None
) -> None:
    outlet = _outlet(1)
    if sent is not None:
        outlet["switches"] = sent
    assert _state(outlet).outlets[1].switches == switches


@pytest.mark.parametrize(
    ("sent", "cap"),
    [
        ("absent", None),  # an agent too old for the cap
        (None, None),  # no cap
        (0, 0.0),
        (120.5, 120.5),
        (-5.0, None),
        (float("inf"), None),
        (float("nan"), None),
        (True, None),
        ("150", None),
    ],
)
def test_the_failsafe_cap_the_agent_holds_is_a_finite_number_of_watts_or_none(
    sent: object, cap: float | None
) -> None:
    fields = {} if sent == "absent" else {"failsafe_cap_w": sent}
    assert _state(**fields).failsafe_cap_w == cap
    assert _state().merged({"failsafe_cap_w": 80}).failsafe_cap_w == 80.0
