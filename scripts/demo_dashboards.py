"""The demo's dashboards: the strip, its outlets and users, and the Energy dashboard.

Built from the entity and device registries, so they show whatever the integration provides
(entities added by later features appear without editing this file).
"""

from __future__ import annotations

from collections import defaultdict
import re
from typing import Any, Protocol

DEMO_BUDGET_W = 500
DASHBOARD = "smartmulti-coworking"  # Home Assistant wants a hyphen in dashboard paths
OUTLET_ROWS = ("relay", "state", "power", "battery", "reason", "time_to_full", "control", "user")
STRIP_ROWS = (
    "total_power", "power_limit", "budget", "strategy", "balancing", "waiting",
    "mode", "closed", "total_energy", "hard_limit", "guard_trips",
)  # fmt: skip


class Caller(Protocol):
    async def call(self, kind: str, **data: Any) -> Any: ...


def _key(unique_id: str) -> tuple[int | None, str]:
    """``<serial>_outlet_3_power`` → (3, "power"); ``<serial>_total_power`` → (None, "total_power")."""
    match = re.search(r"_outlet_(\d+)_(.+)$", unique_id)
    if match:
        return int(match.group(1)), match.group(2)
    return None, unique_id.split("_", 1)[1] if "_" in unique_id else unique_id


LABELS = {
    "relay": "Relay", "state": "State", "power": "Power", "battery": "Battery",
    "reason": "Why", "time_to_full": "Full in", "control": "Control", "energy": "Energy",
    "exception": "Exception outlet", "user": "User", "paired_user": "Paired user",
    "total_power": "Power", "power_limit": "Limit in force", "budget": "Budget",
    "strategy": "Strategy", "balancing": "Balancing", "waiting": "Waiting laptops",
    "mode": "Mode", "closed": "Open or closed", "total_energy": "Energy", "hard_limit": "Hard limit",
    "guard_trips": "Guard trips", "pair_again": "Pair laptops again",
    "max_outlets": "Max outlets on", "last_pairing": "Last pairing",
}  # fmt: skip
USER_LABELS = {
    "energy": "Energy", "cost": "Cost", "period": "This period", "progress": "Limit progress",
    "limit": "Limit", "outlet": "Outlet",
}  # fmt: skip


def _ordered(found: dict[str, str], preferred: tuple[str, ...]) -> list[str]:
    first = [found[k] for k in preferred if k in found]
    return first + sorted(v for k, v in found.items() if k not in preferred)


def _rows(found: dict[str, str], preferred: tuple[str, ...]) -> list[dict[str, str]]:
    """Outlet rows named by what they are: the card's title already says which outlet."""
    by_entity = {v: k for k, v in found.items()}
    return [
        {"entity": e, **({"name": LABELS[by_entity[e]]} if by_entity[e] in LABELS else {})}
        for e in _ordered(found, preferred)
    ]


def power_gauge(entity_id: str, budget_w: float, hard_limit_w: float) -> dict[str, Any]:
    """The strip's power on a dial up to its hard limit: green under the budget, amber above it
    (balancing is bringing it down), red in the last tenth before the hard limit."""
    return {
        "type": "gauge", "entity": entity_id, "name": "Strip power", "unit": "W",
        "min": 0, "max": round(hard_limit_w), "needle": True,
        "segments": [
            {"from": 0, "color": "#43a047", "label": "Under the budget"},
            {"from": round(budget_w), "color": "#ffa000", "label": "Over the budget"},
            {"from": round(hard_limit_w * 0.9), "color": "#db4437", "label": "Near the hard limit"},
        ],
    }  # fmt: skip


def build_dashboard(
    entities: list[dict[str, Any]],
    devices: dict[str, dict[str, Any]],
    budget_w: float = DEMO_BUDGET_W,
    hard_limit_w: float = 1000,
) -> dict[str, Any]:
    strip: dict[str, str] = {}
    outlets: dict[int, dict[str, str]] = defaultdict(dict)
    names: dict[int, str] = {}
    users: dict[str, dict[str, str]] = defaultdict(dict)
    for entity in entities:
        if entity.get("disabled_by"):
            continue
        outlet, key = _key(entity["unique_id"])
        if outlet is None and key.startswith("user_"):
            device = devices.get(entity.get("device_id") or "", {})
            owner = "Unassigned" if "unassigned" in key else device.get("name") or key
            users[owner][key.rsplit("_", 1)[-1]] = entity["entity_id"]
            continue
        if outlet is None:
            strip[key] = entity["entity_id"]
            continue
        outlets[outlet][key] = entity["entity_id"]
        device = devices.get(entity.get("device_id") or "", {})
        names[outlet] = device.get("name_by_user") or device.get("name") or f"Outlet {outlet}"
    cards: list[dict[str, Any]] = []
    if "total_power" in strip:
        cards.append(power_gauge(strip["total_power"], budget_w, hard_limit_w))
    cards.append({"type": "entities", "title": "Strip", "entities": _rows(strip, STRIP_ROWS)})
    for outlet in sorted(outlets):
        cards.append(
            {"type": "entities", "title": names[outlet],
             "entities": _rows(outlets[outlet], OUTLET_ROWS)}
        )  # fmt: skip
    views = [{"title": "Strip", "path": "strip", "icon": "mdi:power-socket-eu", "cards": cards}]
    if users:
        views.append(
            {"title": "Users", "path": "users", "icon": "mdi:account-group",
             "cards": [
                 {"type": "entities", "title": name,
                  "entities": [{"entity": users[name][k], "name": USER_LABELS.get(k, k)}
                               for k in sorted(users[name], key=_user_row)]}
                 for name in sorted(users)
             ]}
        )  # fmt: skip
    return {"title": "SmartMulti", "views": views}


def _user_row(key: str) -> int:
    """In ``USER_LABELS`` order, unknown keys last (keys end the unique ids)."""
    order = list(USER_LABELS)
    return order.index(key) if key in order else len(order)


def energy_preferences(entities: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The strip's energy as a device of the Energy dashboard, each outlet's inside it.

    The outlets' energy is part of the strip's (``included_in_stat``), so the dashboard shows
    the strip as the whole and its outlets as its parts without counting anything twice. Users
    are another split of the same energy: they have their own charts, not a place here.
    """
    strip = next(
        (e["entity_id"] for e in entities
         if _key(e["unique_id"]) == (None, "total_energy") and not e.get("disabled_by")),
        None,
    )  # fmt: skip
    chosen = [{"stat_consumption": strip}] if strip else []
    for entity in entities:
        outlet, key = _key(entity["unique_id"])
        if outlet is not None and key == "energy" and not entity.get("disabled_by"):
            chosen.append(
                {
                    "stat_consumption": entity["entity_id"],
                    **({"included_in_stat": strip} if strip else {}),
                }
            )
    return chosen


async def install_dashboards(ws: Caller, entities: list[dict[str, Any]]) -> dict[str, Any]:
    devices = {d["id"]: d for d in await ws.call("config/device_registry/list")}
    dashboards = await ws.call("lovelace/dashboards/list")
    if not any(d["url_path"] == DASHBOARD for d in dashboards):
        await ws.call(
            "lovelace/dashboards/create", url_path=DASHBOARD, title="SmartMulti",
            icon="mdi:power-socket-eu", show_in_sidebar=True, require_admin=False, mode="storage",
        )  # fmt: skip
    states = {s["entity_id"]: s["state"] for s in await ws.call("get_states")}
    hard_limit = next(
        (e["entity_id"] for e in entities if _key(e["unique_id"]) == (None, "hard_limit")), None
    )
    try:
        hard_limit_w = float(states.get(hard_limit or "", "1000"))
    except ValueError:
        hard_limit_w = 1000.0
    config = build_dashboard(entities, devices, DEMO_BUDGET_W, hard_limit_w)
    await ws.call("lovelace/config/save", url_path=DASHBOARD, config=config)
    budget = next(
        (e["entity_id"] for e in entities if _key(e["unique_id"]) == (None, "budget")), None
    )
    if budget is not None:  # half the strip's rating: balancing has laptops to choose between
        await ws.call(
            "call_service", domain="number", service="set_value",
            service_data={"value": DEMO_BUDGET_W}, target={"entity_id": budget},
        )  # fmt: skip
    consumption = energy_preferences(entities)
    await ws.call("energy/save_prefs", energy_sources=[], device_consumption=consumption)
    outlets = {_key(e["unique_id"])[0] for e in entities} - {None}
    first = next(
        (e["device_id"] for e in entities if _key(e["unique_id"])[0] == min(outlets, default=0)),
        None,
    )
    return {
        "outlets": len(outlets),
        "energy_sensors": len(consumption),
        "dashboard": f"{DASHBOARD}/strip",
        "first_outlet_device": first,
    }
