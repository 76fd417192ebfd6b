"""What the strip knows, turned into the engine's input: one construction for every caller.

Home Assistant's coordinator and the benchmark both build a ``StripInput`` here, from the
agent's state of each outlet, the battery reports Home Assistant holds and what it knows of the
outlet's user, so the engine is judged in the bench on exactly what it gets in the product.
Nothing here may depend on what the strip cannot observe: the charger a laptop brings, its
true charge, when its user really leaves, or how full they want it.

Battery rule: a laptop's percent comes from the agent (a reporter running on the laptop) or
from a Home Assistant battery sensor mapped to the outlet. The fresher of the two wins, even when
stale (an older report from the other source would say even less about the laptop on the outlet
now); a tie goes to the agent (it knows the laptop is on this outlet). A report older than
``battery_max_age_s`` is not given to the engine, which then falls back on its estimate from the
measured power.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from .model import BatteryReport, OutletInput, Strategy, StripInput

#: The charge a laptop is aimed at when nobody set a limit: full.
FULL_PERCENT = 100.0


@dataclass(frozen=True, slots=True)
class OutletFacts:
    """One outlet at one instant, as the strip knows it.

    From the agent: ``relay_on``, ``power_w`` (the meter, 0 when off), ``max_power_w`` (the
    outlet's configured rating), ``drawn_max_w`` (the most it has drawn, 0 until it draws),
    ``exception``, ``override`` (held on/off by hand), ``fault``,
    ``seconds_since_switch`` (None when the relay has not moved since the agent started),
    ``found_empty`` (its last switch-off released a look that read nothing) and
    ``agent_report`` (the reporter's last post, aged on the agent's clock). From Home Assistant:
    ``sensor_report`` (a mapped battery sensor) and, while the outlet's user has a session open,
    their ``tier``, usual departure (``departure_at``, on the input's clock) and
    ``target_percent``, the charge limit, when the user or a manager set one (full otherwise),
    and ``held``: the user reached a limit with cut-off.
    """

    outlet_id: int
    relay_on: bool
    power_w: float
    max_power_w: float
    drawn_max_w: float = 0.0
    exception: bool = False
    override: bool | None = None
    fault: bool = False
    seconds_since_switch: float | None = None
    agent_report: BatteryReport | None = None
    sensor_report: BatteryReport | None = None
    tier: int = 0
    departure_at: float | None = None
    target_percent: float | None = None
    held: bool = False
    found_empty: bool = False


def freshest(reports: Iterable[BatteryReport | None]) -> BatteryReport | None:
    """The youngest report; on a tie the first given (the agent's)."""
    best: BatteryReport | None = None
    for report in reports:
        if report is not None and (best is None or report.age_s < best.age_s):
            best = report
    return best


def usable_report(facts: OutletFacts, max_age_s: float) -> BatteryReport | None:
    """The report the engine is given for the outlet: the freshest, unless it is stale; one
    from a Home Assistant sensor is marked as possibly late."""
    latest = freshest((facts.agent_report, facts.sensor_report))
    if latest is None or latest.age_s > max_age_s:
        return None
    if latest is facts.sensor_report:
        return replace(latest, may_lag=True)
    return latest


def outlet_input(facts: OutletFacts, *, stale: bool, battery_max_age_s: float) -> OutletInput:
    """The engine's view of one outlet.

    An outlet forced on by hand is an exception to the engine (never switched, its draw comes
    off the budget first), even when its user's limit holds it: a person's command wins. ``stale`` (the agent's state may be a poll old) makes the engine
    count the outlet at its maximum.
    """
    limit = facts.target_percent
    exception = facts.exception or facts.override is True
    return OutletInput(
        outlet_id=facts.outlet_id,
        relay_on=facts.relay_on,
        power_w=facts.power_w,
        # A rating short of what the outlet has drawn is counted at that draw, as the agent's
        # admission counts it (``OutletState.counted_max_w``): an unknown draw there may be
        # that much again. Not an exception outlet's: above its rating it is a fault.
        max_power_w=facts.max_power_w
        if facts.exception
        else max(facts.max_power_w, facts.drawn_max_w),
        exception=exception,
        fault=facts.fault,
        stale=stale,
        seconds_since_switch=facts.seconds_since_switch,
        battery=usable_report(facts, battery_max_age_s),
        tier=facts.tier,
        departure_at=facts.departure_at,
        target_percent=FULL_PERCENT if limit is None else min(FULL_PERCENT, max(0.0, limit)),
        held=facts.held and not exception,
        found_empty=facts.found_empty,
    )


def strip_input(
    outlets: Iterable[OutletFacts],
    *,
    strip_id: str,
    now: float,
    budget_w: float,
    hard_limit_w: float,
    battery_max_age_s: float,
    stale: bool = False,
    strategy: Strategy = Strategy.SMART,
    min_on_s: float = 60.0,
    min_off_s: float = 30.0,
    max_on: int | None = None,
    closed: bool = False,
    exceptions_off: bool = False,
    time_scale: float = 1.0,
) -> StripInput:
    """One strip's facts for one cycle (``time_scale``: see ``StripInput``; report ages and
    ``battery_max_age_s`` are then on the clock and the laptops' time respectively).

    An outlet forced off by hand is left out, and so is every outlet a closed strip keeps off
    (``closed``; its exception outlets too with ``exceptions_off``), so that the strip asks its
    circuit only for what stays on.
    """
    kept = []
    for facts in outlets:
        if facts.override is False:
            continue
        if closed and facts.override is None and (exceptions_off or not facts.exception):
            continue
        kept.append(
            outlet_input(facts, stale=stale, battery_max_age_s=battery_max_age_s / time_scale)
        )
    return StripInput(
        strip_id=strip_id,
        now=now,
        budget_w=budget_w,
        hard_limit_w=hard_limit_w,
        outlets=tuple(kept),
        strategy=strategy,
        min_on_s=min_on_s,
        min_off_s=min_off_s,
        max_on=max_on if strategy is Strategy.MAX_OUTLETS else None,
        time_scale=time_scale,
    )
