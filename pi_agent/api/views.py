"""The JSON the API answers with, built from the controller's state.

``openapi.json`` is the contract: these build its ``State``, ``PlanView``, ``Outlet``,
``Paired``, ``Pairing``, ``BatteryAccepted``, ``Credential`` and ``PlanAccepted``. A route and
the event stream show the strip through the same functions, so a field cannot differ between
the two.
"""

from __future__ import annotations

from typing import Any

from pi_agent.control.outlet import IDLE_W, OutletState
from pi_agent.control.pairing.registry import Paired
from pi_agent.control.pairing.run import MAX_WINDOWS, PairingRun
from pi_agent.control.pairing.search import consistent
from pi_agent.control.plan import Plan
from pi_agent.control.strip import StripController


def strip_view(controller: StripController, now: float) -> dict[str, Any]:
    """The whole strip (``GET /state``, and every event of the stream)."""
    plan = controller.plan
    outlets = [outlet_view(controller, o, now) for o in controller.outlets]
    latest = controller.pairing.latest()
    strip = controller.strip
    return {
        "time": controller.wall_now(),
        "mode": controller.mode,
        "hard_limit_w": strip.hard_limit_w,
        "failsafe_budget_w": strip.failsafe_budget_w,
        "failsafe_cap_w": controller.failsafe_cap_w,
        "budget_w": controller.budget_w,
        "limit_w": controller.limit_w,
        "limit_clamped": controller.limit_w > controller.budget_w,
        "total_power_w": round(sum(o["power_w"] for o in outlets), 2),
        "total_energy_wh": round(sum(controller.shown_energy_wh(o) for o in controller.outlets), 6),
        "faults": dict(controller.faults),
        "min_on_s": strip.min_on_s,
        "min_off_s": strip.min_off_s,
        "guard": {
            "trips": controller.guard.trips,
            "over_limit": controller.guard.over_since is not None,
        },
        "plan": None if plan is None else plan_view(plan, now),
        "pairing": None if latest is None else pairing_view(latest),
        "outlets": outlets,
    }


def plan_view(plan: Plan, now: float) -> dict[str, Any]:
    return {
        "on": sorted(plan.on),
        "priority": list(plan.priority),
        "budget_w": plan.budget_w,
        "ttl_s": plan.ttl_s,
        "on_expiry": plan.on_expiry,
        "exceptions_on": plan.exceptions_on,
        "reserve_w": {str(k): v for k, v in sorted(plan.reserve_w.items())},
        "looks": sorted(plan.looks),
        "expires_at": plan.received_wall + plan.ttl_s,
        "expires_in_s": round(max(0.0, plan.expires_at - now), 1),
    }


def outlet_state_name(controller: StripController, outlet: OutletState) -> str:
    """One word for the outlet, as the dashboard shows it."""
    if outlet.fault:
        return "fault"
    if outlet.exception:
        return "exception" if outlet.relay_on else "off"
    if outlet.relay_on:
        return "on"
    last_step_at = controller.last_step_at
    shed = last_step_at is not None and outlet.shed_until > last_step_at
    return "waiting" if outlet.target_on or shed else "off"


def outlet_view(controller: StripController, outlet: OutletState, now: float) -> dict[str, Any]:
    """One outlet (``GET /outlets/{id}``, and each entry of the strip's ``outlets``)."""
    fresh = outlet.fresh_power(now, controller.stale_after_s) is not None
    reading = outlet.reading if fresh else None
    battery = outlet.battery
    paired = controller.pairing.paired(outlet.id)
    return {
        "id": outlet.id,
        "name": outlet.name,
        "exception": outlet.exception,
        "max_power_w": outlet.max_power_w,
        # Above the rating once the outlet drew more: what admission counts it at.
        "drawn_max_w": round(outlet.drawn_max_w, 2),
        "relay": outlet.relay_on,
        "target": outlet.target_on,
        "override": outlet.override,
        "power_w": round(reading.power_w, 2) if reading and outlet.relay_on else 0.0,
        # The agent owns the idle threshold: Home Assistant reads "full" and "gone" from it.
        "idle": outlet.relay_on and (reading is None or reading.power_w < IDLE_W),
        "current_a": round(reading.current_a, 4) if reading and outlet.relay_on else 0.0,
        "voltage_v": round(reading.voltage_v, 2) if reading else None,
        "energy_wh": round(controller.shown_energy_wh(outlet), 6),
        "switches": controller.shown_switches(outlet),
        "battery": None
        if battery is None
        else {
            "percent": battery.percent,
            "plugged": battery.plugged,
            "age_s": round(now - battery.received_at, 1),
            "reported_at": battery.reported_at,
        },
        "fault": outlet.fault,
        "state": outlet_state_name(controller, outlet),
        "last_switch_at": outlet.last_switch_wall,
        "switch_age_s": None
        if outlet.last_switch_wall is None
        else round(now - outlet.last_switch_at, 1),
        "paired": None if paired is None else paired_view(paired),
        "in_pairing": controller.pairing.in_pairing(outlet.id),
        # A plan's look found nothing plugged in (at ``last_switch_at``, the release).
        "found_empty": outlet.found_empty_at is not None,
    }


def paired_view(paired: Paired) -> dict[str, Any]:
    return {
        "user": paired.user,
        "method": paired.method,
        "since": paired.since,
        "confidence": paired.confidence,
        "user_proof": paired.proof,
    }


def pairing_view(run: PairingRun, *, for_reporter: bool = False) -> dict[str, Any]:
    """What the laptop and Home Assistant see of a pairing run (no other outlet's details).

    The credential a successful run issued goes only to the reporter holding the run's id
    (``for_reporter``), never into the strip's state.
    """
    running = run.status == "running"
    left = len(consistent(run.answers, run.group)) if run.answers else len(run.group)
    return {
        "id": run.id,
        "user": run.user,
        "status": run.status,
        "reason": run.reason,
        "message": run.message,
        "window": run.window.number if running else None,
        "observe": running and run.phase == "awaiting",
        "windows": run.flips,
        "max_windows": MAX_WINDOWS,
        "candidates": len(run.group),
        "remaining": left,
        "outlet": run.outlet,
        "confidence": run.confidence,
        "started_at": run.started_wall,
        "finished_at": run.finished_wall,
        "releasing": run.phase == "restoring",
        "credential": run.credential if for_reporter else None,
    }


def battery_answer(
    controller: StripController, outlet_id: int, now: float, *, pair_again: bool
) -> dict[str, Any]:
    """The answer to a battery report: the battery as recorded, and whether to pair again."""
    outlet = outlet_view(controller, controller.outlet(outlet_id), now)
    return {"id": outlet_id, "battery": outlet["battery"], "pair_again": pair_again}


def credential_answer(outlet_id: int, user: str | None, credential: str) -> dict[str, Any]:
    return {"outlet": outlet_id, "user": user, "credential": credential}


def plan_answer(plan: Plan, limit_w: float, hard_limit_w: float) -> dict[str, Any]:
    """The answer to a plan: when it expires, and the limit the strip will hold under it."""
    return {
        "accepted": True,
        "expires_at": plan.received_wall + plan.ttl_s,
        "ttl_s": plan.ttl_s,
        "limit_w": round(limit_w, 2),
        "limit_clamped": limit_w > min(plan.budget_w, hard_limit_w),
    }
