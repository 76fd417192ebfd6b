"""The agent's JSON for a strip and its outlets, as its API sends it, for model-level tests."""

from __future__ import annotations

from typing import Any

AGENT_TIME = 1_700_000_100.0  # the agent's wall clock when the state was sent


def outlet_json(outlet_id: int = 1, **fields: Any) -> dict[str, Any]:
    """An outlet drawing 60 W with its relay on; ``fields`` replace the defaults."""
    return {
        "id": outlet_id,
        "name": f"Desk {outlet_id}",
        "exception": False,
        "max_power_w": 165.0,
        "relay": True,
        "target": True,
        "override": None,
        "power_w": 60.0,
        "idle": False,
        "current_a": 0.26,
        "voltage_v": 230.0,
        "energy_wh": 12.5,
        "battery": None,
        "fault": None,
        "state": "on",
        "last_switch_at": AGENT_TIME - 30.0,
        "switch_age_s": 30.0,
    } | fields


def strip_json(*outlets: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A planned strip with ``outlets`` (one outlet if none); ``fields`` replace the defaults."""
    return {
        "time": AGENT_TIME,
        "mode": "planned",
        "hard_limit_w": 1000.0,
        "failsafe_budget_w": 450.0,
        "limit_w": 450.0,
        "total_power_w": 60.0,
        "total_energy_wh": 12.5,
        "min_on_s": 60.0,
        "min_off_s": 30.0,
        "guard": {"trips": 0, "over_limit": False},
        "plan": None,
        "outlets": list(outlets) or [outlet_json(1)],
    } | fields
