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


def build_dashboard(
    entities: list[dict[str, Any]], devices: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    strip: dict[str, str] = {}
    outlets: dict[int, dict[str, str]] = defaultdict(dict)
    names: dict[int, str] = {}
    users: dict[str, dict[str, str]] = defaultdict(dict)
    for entity in entities:
        if entity.get("disabled_by"):
            continue
        outlet, key = _key(entity["unique_id"])
        if outlet is None and key.endswith("_link"):
            continue  # the personal link's QR code and buttons: on the user's device page
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
        limit = strip.get("power_limit")
        cards.append(
            {"type": "gauge", "entity": strip["total_power"], "name": "Strip power",
             "min": 0, "max": 1000, "needle": True,
             **({"segments": [{"from": 0, "color": "#43a047"}]} if limit else {})}
        )  # fmt: skip
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
    if charts := consumption_cards(strip, users):
        views.append(
            {"title": "Consumption", "path": "consumption", "icon": "mdi:chart-bar",
             "cards": charts}
        )  # fmt: skip
    return {"title": "SmartMulti", "views": views}


def consumption_cards(
    strip: dict[str, str], users: dict[str, dict[str, str]]
) -> list[dict[str, Any]]:
    """Charts: each user's energy per day and per week (from the long-term statistics), the
    strip's power against its budget over the day, and the laptops waiting for power."""
    energy = [users[name]["energy"] for name in sorted(users) if "energy" in users[name]]
    cards: list[dict[str, Any]] = []
    if energy:
        for title, period, days in (("per day", "day", 30), ("per week", "week", 84)):
            cards.append(
                {"type": "statistics-graph", "title": f"Energy per user, {title}",
                 "entities": energy, "stat_types": ["change"], "chart_type": "bar",
                 "period": period, "days_to_show": days}
            )  # fmt: skip
    power = [strip[k] for k in ("total_power", "budget", "power_limit") if k in strip]
    if power:
        cards.append(
            {"type": "history-graph", "title": "Strip power against its budget",
             "hours_to_show": 24, "entities": power}
        )  # fmt: skip
    if "waiting" in strip:
        cards.append(
            {"type": "history-graph", "title": "Waiting laptops", "hours_to_show": 24,
             "entities": [strip["waiting"]]}
        )  # fmt: skip
    return cards


def _user_row(key: str) -> int:
    """In ``USER_LABELS`` order, unknown keys last (keys end the unique ids)."""
    order = list(USER_LABELS)
    return order.index(key) if key in order else len(order)


def energy_preferences(entities: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Per-outlet and per-user energy sensors as individual devices of the Energy dashboard."""
    chosen = []
    for entity in entities:
        outlet, key = _key(entity["unique_id"])
        per_outlet = outlet is not None and key == "energy"
        per_user = outlet is None and key.startswith("user") and key.endswith("energy")
        if (per_outlet or per_user) and not entity.get("disabled_by"):
            chosen.append({"stat_consumption": entity["entity_id"]})
    return chosen


async def install_dashboards(ws: Caller, entities: list[dict[str, Any]]) -> dict[str, Any]:
    devices = {d["id"]: d for d in await ws.call("config/device_registry/list")}
    dashboards = await ws.call("lovelace/dashboards/list")
    if not any(d["url_path"] == DASHBOARD for d in dashboards):
        await ws.call(
            "lovelace/dashboards/create", url_path=DASHBOARD, title="SmartMulti",
            icon="mdi:power-socket-eu", show_in_sidebar=True, require_admin=False, mode="storage",
        )  # fmt: skip
    config = build_dashboard(entities, devices)
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
