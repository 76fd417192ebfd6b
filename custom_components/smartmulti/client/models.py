"""Typed views of the agent's JSON (``pi_agent/openapi.json``) and the event-stream merge.

Every model keeps the JSON it was read from (``raw``), because the event stream sends only what
changed: an ``update`` is merged into the previous raw state and the result is parsed again. That
keeps one parser for the snapshot, the updates, the poll and the command responses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
import math
from typing import Any, Self

from ..const import FULL_AFTER, FULL_BATTERY_PERCENT
from .pairing_run import PairingView

type JsonObject = Mapping[str, Any]


class OutletStatus(StrEnum):
    """What a manager wants to know about an outlet (the outlet state sensor)."""

    CHARGING = "charging"
    WAITING = "waiting"
    FULL = "full"
    EXCEPTION = "exception"
    FAULT = "fault"
    OFF = "off"


class StripMode(StrEnum):
    """Who decides the relays: Home Assistant's plan, the agent's failsafe, or nobody (off)."""

    PLANNED = "planned"
    FAILSAFE = "failsafe"
    OFF = "off"


@dataclass(frozen=True, slots=True)
class AgentInfo:
    """``GET /api/v1/info``: who the strip is.

    ``time_scale``: a simulated strip's world seconds per real second, the engine's
    ``StripInput.time_scale``; always 1 for a strip that is not simulated, whatever it sends,
    so that nothing but a simulation is ever planned on another clock.
    """

    serial: str
    name: str
    version: str
    api_version: int
    outlets: int
    model: str
    simulated: bool
    energy_epoch: str | None
    time_scale: float = 1.0

    @classmethod
    def from_dict(cls, data: JsonObject) -> Self:
        simulated = bool(data["simulated"])
        return cls(
            serial=str(data["serial"]),
            name=str(data["name"]),
            version=str(data["version"]),
            api_version=int(data["api_version"]),
            outlets=int(data["outlets"]),
            model=str(data["model"]),
            simulated=simulated,
            energy_epoch=None if data.get("energy_epoch") is None else str(data["energy_epoch"]),
            time_scale=_positive(data.get("time_scale"), 1.0) if simulated else 1.0,
        )


@dataclass(frozen=True, slots=True)
class Battery:
    """The last battery report of the laptop on an outlet."""

    percent: float
    plugged: bool
    reported_at: float | None

    @classmethod
    def from_dict(cls, data: JsonObject | None) -> Self | None:
        if data is None:
            return None
        reported_at = data.get("reported_at")
        return cls(
            percent=float(data["percent"]),
            plugged=bool(data["plugged"]),
            reported_at=None if reported_at is None else float(reported_at),
        )


@dataclass(frozen=True, slots=True)
class Paired:
    """Who reports the battery of the laptop on an outlet, and how the agent learnt it.

    ``method``: ``pairing`` (found by automatic pairing, with its ``confidence``) or ``report``
    (battery reports addressed to the outlet). ``since`` is the agent's wall clock.
    """

    user: str | None
    method: str
    since: float
    confidence: float | None
    user_proof: str | None = None  # the reporter's proof of ``user`` (checked by billing)

    @classmethod
    def from_dict(cls, data: JsonObject | None) -> Self | None:
        if data is None:
            return None
        confidence = data.get("confidence")
        return cls(
            user=None if data.get("user") is None else str(data["user"]),
            method=str(data["method"]),
            since=float(data["since"]),
            confidence=None if confidence is None else float(confidence),
            user_proof=None if data.get("user_proof") is None else str(data["user_proof"]),
        )


@dataclass(frozen=True, slots=True)
class Outlet:
    """One outlet as the agent reports it, plus the status derived in Home Assistant."""

    id: int
    name: str
    exception: bool
    max_power_w: float
    relay: bool
    target: bool
    override: bool | None
    power_w: float
    current_a: float
    voltage_v: float | None
    energy_wh: float
    battery: Battery | None
    fault: str | None
    agent_state: str
    last_switch_at: float | None
    status: OutletStatus
    raw: JsonObject = field(compare=False, repr=False)
    # Agents before automatic pairing send neither.
    paired: Paired | None = None
    in_pairing: bool = False
    # On, under the agent's idle threshold; never, from an agent that does not send it.
    idle_draw: bool = False
    # Off since the agent released a look at it that read nothing (at ``last_switch_at``).
    found_empty: bool = False
    # The most it has drawn (above a rating short of it); 0 from agents that do not send it.
    drawn_max_w: float = 0.0
    # Relay operations (a count from 0 up); None from agents that do not send it, or a bad one.
    switches: int | None = None

    @classmethod
    def from_dict(cls, data: JsonObject) -> Self:
        override = data["override"]
        voltage = data["voltage_v"]
        last_switch_at = data.get("last_switch_at")
        switches = data.get("switches")
        outlet = cls(
            id=int(data["id"]),
            name=str(data["name"]),
            exception=bool(data["exception"]),
            max_power_w=float(data["max_power_w"]),
            relay=bool(data["relay"]),
            target=bool(data["target"]),
            override=None if override is None else bool(override),
            power_w=float(data["power_w"]),
            idle_draw=bool(data.get("idle", False)),
            found_empty=bool(data.get("found_empty", False)),
            drawn_max_w=_positive(data.get("drawn_max_w"), 0.0),
            switches=switches if type(switches) is int and switches >= 0 else None,
            current_a=float(data["current_a"]),
            voltage_v=None if voltage is None else float(voltage),
            energy_wh=float(data["energy_wh"]),
            battery=Battery.from_dict(data.get("battery")),
            fault=None if data.get("fault") is None else str(data["fault"]),
            agent_state=str(data["state"]),
            last_switch_at=None if last_switch_at is None else float(last_switch_at),
            status=OutletStatus.OFF,
            raw=data,
            paired=Paired.from_dict(data.get("paired")),
            in_pairing=bool(data.get("in_pairing", False)),
        )
        return replace(outlet, status=derive_status(outlet, idle_since=None, now=None))

    @property
    def idle(self) -> bool:
        """A balanced outlet on, drawing so little that nothing is charging."""
        return self.agent_state == "on" and self.idle_draw


def derive_status(
    outlet: Outlet, *, idle_since: datetime | None, now: datetime | None
) -> OutletStatus:
    """The outlet state sensor's value.

    The agent reports on / off / waiting / exception / fault. Home Assistant splits "on" into
    charging and full: full when the laptop says so, or when the outlet has been idle (on, under
    the agent's idle threshold) for ``FULL_AFTER`` — a charger negotiating or a short pause is not "full".
    An empty outlet that is on also ends up "full": there is nothing left to charge on it.
    """
    match outlet.agent_state:
        case "fault":
            return OutletStatus.FAULT
        case "exception":
            return OutletStatus.EXCEPTION
        case "waiting":
            return OutletStatus.WAITING
        case "off":
            return OutletStatus.OFF
        case "on":
            pass
        case _:  # a state this version does not know: fall back on the relay
            if not outlet.relay:
                return OutletStatus.OFF
    battery = outlet.battery
    if battery is not None and battery.plugged and battery.percent >= FULL_BATTERY_PERCENT:
        return OutletStatus.FULL
    if idle_since is not None and now is not None and now - idle_since >= FULL_AFTER:
        return OutletStatus.FULL
    return OutletStatus.CHARGING


@dataclass(frozen=True, slots=True)
class Guard:
    trips: int
    over_limit: bool


@dataclass(frozen=True, slots=True)
class PlanView:
    """The plan the agent is following, if any."""

    on: tuple[int, ...]
    priority: tuple[int, ...]
    budget_w: float
    ttl_s: float
    on_expiry: str
    exceptions_on: bool
    expires_at: float

    @classmethod
    def from_dict(cls, data: JsonObject | None) -> Self | None:
        if data is None:
            return None
        return cls(
            on=tuple(int(i) for i in data["on"]),
            priority=tuple(int(i) for i in data["priority"]),
            budget_w=float(data["budget_w"]),
            ttl_s=float(data["ttl_s"]),
            on_expiry=str(data["on_expiry"]),
            exceptions_on=bool(data["exceptions_on"]),
            expires_at=float(data["expires_at"]),
        )


@dataclass(frozen=True, slots=True)
class StripState:
    """``GET /api/v1/state``, the stream's ``snapshot``, or a snapshot with updates merged."""

    time: float
    mode: StripMode | None
    hard_limit_w: float
    failsafe_budget_w: float
    limit_w: float
    total_power_w: float
    total_energy_wh: float
    min_on_s: float
    min_off_s: float
    guard: Guard
    plan: PlanView | None
    outlets: Mapping[int, Outlet]
    raw: JsonObject = field(compare=False, repr=False)
    pairing: PairingView | None = None  # agents before automatic pairing send none
    # Strip-wide faults by code (``storage``: the agent cannot save); older agents send none.
    faults: Mapping[str, str] = field(default_factory=dict)
    # The cap on the failsafe the agent holds (its share of the circuits it is on); None: no
    # cap, or an agent too old for one.
    failsafe_cap_w: float | None = None

    @classmethod
    def from_dict(cls, data: JsonObject) -> Self:
        guard = data["guard"]
        faults = data.get("faults")
        return cls(
            time=float(data["time"]),
            mode=_strip_mode(data["mode"]),
            hard_limit_w=float(data["hard_limit_w"]),
            failsafe_budget_w=float(data["failsafe_budget_w"]),
            limit_w=float(data["limit_w"]),
            total_power_w=float(data["total_power_w"]),
            total_energy_wh=float(data["total_energy_wh"]),
            min_on_s=float(data["min_on_s"]),
            min_off_s=float(data["min_off_s"]),
            guard=Guard(trips=int(guard["trips"]), over_limit=bool(guard["over_limit"])),
            plan=PlanView.from_dict(data.get("plan")),
            outlets={outlet.id: outlet for outlet in map(Outlet.from_dict, data["outlets"])},
            raw=data,
            pairing=PairingView.from_dict(data.get("pairing")),
            faults={str(k): str(v) for k, v in faults.items()} if isinstance(faults, dict) else {},
            failsafe_cap_w=_watts(data.get("failsafe_cap_w")),
        )

    def merged(self, update: JsonObject) -> Self:
        """This state with a stream ``update`` (or a command's outlet view) applied.

        Top-level fields are replaced whole (the agent sends small nested objects whole);
        ``outlets`` lists only the outlets that changed, each with only its changed fields.
        """
        raw = {**self.raw, **{k: v for k, v in update.items() if k != "outlets"}}
        changes = {int(o["id"]): o for o in update.get("outlets", ())}
        if changes:
            raw["outlets"] = [
                {**outlet, **changes[outlet["id"]]} if outlet["id"] in changes else outlet
                for outlet in self.raw["outlets"]
            ]
        return type(self).from_dict(raw)


def _strip_mode(value: object) -> StripMode | None:
    try:
        return StripMode(str(value))
    except ValueError:  # a mode this version does not know: shown as unknown
        return None


def _watts(value: object) -> float | None:
    """``value`` if it is a finite number of watts, at least 0; None otherwise."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    return float(value) if 0 <= value < math.inf else None


def _positive(value: object, default: float) -> float:
    """``value`` if it is a finite number above 0, else ``default`` (a real strip's time scale
    of 1; 0 W drawn by an outlet, or by an agent that does not say)."""
    number = value if isinstance(value, int | float) and not isinstance(value, bool) else default
    return float(number) if 0 < number < math.inf else default


@dataclass(frozen=True, slots=True)
class SmartMultiData:
    """The coordinator's data: who the strip is and its latest state.

    ``received_at`` (Home Assistant's monotonic clock) pairs with ``state.time`` (the agent's
    wall clock) to tell the agent's time now without trusting the two clocks to agree.
    """

    info: AgentInfo
    state: StripState
    received_at: float = 0.0

    def agent_time(self, monotonic_now: float) -> float:
        """The agent's wall clock at ``monotonic_now`` (Home Assistant's monotonic clock)."""
        return self.state.time + max(0.0, monotonic_now - self.received_at)
