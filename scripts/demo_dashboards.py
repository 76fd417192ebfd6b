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


# The few words the dashboards need that no entity name gives, in the server's language.
TEXT = {
    "en": {
        "relay": "Relay", "strip": "Strip", "users": "Users", "strip_power": "Strip power",
        "under_budget": "Under the budget", "over_budget": "Over the budget",
        "near_limit": "Near the hard limit",
        "add_user": "**Add a user**: [Settings → Devices & services → SmartMulti]"
        "(/config/integrations/integration/smartmulti), then on **Users and billing** "
        "the ⋮ menu → **Add user**. This view follows the users as they are added.",
    },
    "fr": {
        "relay": "Relais", "strip": "Multiprise", "users": "Utilisateurs",
        "strip_power": "Puissance de la multiprise", "under_budget": "Sous le budget",
        "over_budget": "Au-dessus du budget", "near_limit": "Près de la limite physique",
        "add_user": "**Ajouter un utilisateur** : [Paramètres → Appareils et services → "
        "SmartMulti](/config/integrations/integration/smartmulti), puis sur **Utilisateurs et "
        "facturation** le menu ⋮ → **Ajouter un utilisateur**. Cette vue suit les utilisateurs "
        "ajoutés.",
    },
}  # fmt: skip
USER_ROWS = ("energy", "cost", "period", "progress", "limit", "outlet")


def short_names(
    states: dict[str, dict[str, Any]],
    entities: list[dict[str, Any]],
    devices: dict[str, dict[str, Any]],
) -> dict[str, str]:
    """Each entity's own name, as Home Assistant translated it: its friendly name without its
    device's name (a card's title already says which outlet, strip or user)."""
    names: dict[str, str] = {}
    for entity in entities:
        state = states.get(entity["entity_id"])
        device = devices.get(entity.get("device_id") or "", {})
        prefix = device.get("name_by_user") or device.get("name") or ""
        friendly = str((state or {}).get("attributes", {}).get("friendly_name") or "")
        if prefix and friendly.startswith(prefix + " "):
            names[entity["entity_id"]] = friendly[len(prefix) + 1 :]
    return names


def _ordered(found: dict[str, str], preferred: tuple[str, ...]) -> list[str]:
    first = [found[k] for k in preferred if k in found]
    return first + sorted(v for k, v in found.items() if k not in preferred)


def _rows(
    found: dict[str, str], preferred: tuple[str, ...], names: dict[str, str], relay: str
) -> list[dict[str, str]]:
    """Rows named by what they are; the relay, which has its outlet's name, is "the relay"."""
    by_entity = {v: k for k, v in found.items()}
    return [
        {"entity": e, "name": relay if by_entity[e] == "relay" else names.get(e, by_entity[e])}
        for e in _ordered(found, preferred)
    ]


def power_gauge(
    entity_id: str, budget_w: float, hard_limit_w: float, text: dict[str, str]
) -> dict[str, Any]:
    """The strip's power on a dial up to its hard limit: green under the budget, amber above it
    (balancing is bringing it down), red in the last tenth before the hard limit."""
    return {
        "type": "gauge", "entity": entity_id, "name": text["strip_power"], "unit": "W",
        "min": 0, "max": round(hard_limit_w), "needle": True,
        "segments": [
            {"from": 0, "color": "#43a047", "label": text["under_budget"]},
            {"from": round(budget_w), "color": "#ffa000", "label": text["over_budget"]},
            {"from": round(hard_limit_w * 0.9), "color": "#db4437", "label": text["near_limit"]},
        ],
    }  # fmt: skip


def build_dashboard(
    entities: list[dict[str, Any]],
    devices: dict[str, dict[str, Any]],
    names: dict[str, str],
    *,
    language: str = "en",
    budget_w: float = DEMO_BUDGET_W,
    hard_limit_w: float = 1000,
) -> dict[str, Any]:
    text = TEXT.get(language, TEXT["en"])
    strip: dict[str, str] = {}
    outlets: dict[int, dict[str, str]] = defaultdict(dict)
    titles: dict[int, str] = {}
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
        titles[outlet] = device.get("name_by_user") or device.get("name") or f"Outlet {outlet}"
    cards: list[dict[str, Any]] = []
    if "total_power" in strip:
        cards.append(power_gauge(strip["total_power"], budget_w, hard_limit_w, text))
    cards.append(
        {"type": "entities", "title": text["strip"],
         "entities": _rows(strip, STRIP_ROWS, names, text["relay"])}
    )  # fmt: skip
    for outlet in sorted(outlets):
        cards.append(
            {"type": "entities", "title": titles[outlet],
             "entities": _rows(outlets[outlet], OUTLET_ROWS, names, text["relay"])}
        )  # fmt: skip
    views = [
        {"title": text["strip"], "path": "strip", "icon": "mdi:power-socket-eu", "cards": cards}
    ]
    if users:
        views.append(
            {"title": text["users"], "path": "users", "icon": "mdi:account-group",
             "cards": [
                 {"type": "markdown", "content": text["add_user"]},
                 *[{"type": "entities", "title": name,
                    "entities": [{"entity": users[name][k], "name": names.get(users[name][k], k)}
                                 for k in sorted(users[name], key=_user_row)]}
                   for name in sorted(users)],
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
    # Waiting laptops beside those charging on an estimate: a reporter on those is what helps
    # the balancing most (docs/benchmarks.md, "Where the gap comes from").
    laptops = [strip[k] for k in ("waiting", "unreported") if k in strip]
    if laptops:
        cards.append(
            {"type": "history-graph", "title": "Waiting laptops, and laptops without a battery "
             "report", "hours_to_show": 24, "entities": laptops}
        )  # fmt: skip
    return cards


def _user_row(key: str) -> int:
    """In ``USER_ROWS`` order, unknown keys last (keys end the unique ids)."""
    order = list(USER_ROWS)
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


async def install_dashboards(
    ws: Caller, entities: list[dict[str, Any]], language: str = "en", *, first_time: bool = True
) -> dict[str, Any]:
    """The dashboards and the Energy dashboard's devices, from the entities there are now; the
    first time also the demo's budget (later, the manager's own stays)."""
    devices = {d["id"]: d for d in await ws.call("config/device_registry/list")}
    dashboards = await ws.call("lovelace/dashboards/list")
    if not any(d["url_path"] == DASHBOARD for d in dashboards):
        await ws.call(
            "lovelace/dashboards/create", url_path=DASHBOARD, title="SmartMulti",
            icon="mdi:power-socket-eu", show_in_sidebar=True, require_admin=False, mode="storage",
        )  # fmt: skip
    full_states = {s["entity_id"]: s for s in await ws.call("get_states")}
    states = {entity_id: state["state"] for entity_id, state in full_states.items()}
    hard_limit = next(
        (e["entity_id"] for e in entities if _key(e["unique_id"]) == (None, "hard_limit")), None
    )
    try:
        hard_limit_w = float(states.get(hard_limit or "", "1000"))
    except ValueError:
        hard_limit_w = 1000.0
    names = short_names(full_states, entities, devices)
    config = build_dashboard(entities, devices, names, language=language, hard_limit_w=hard_limit_w)
    await ws.call("lovelace/config/save", url_path=DASHBOARD, config=config)
    budget = next(
        (e["entity_id"] for e in entities if _key(e["unique_id"]) == (None, "budget")), None
    )
    if (
        budget is not None and first_time
    ):  # half the strip's rating: balancing has laptops to choose between
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
