"""What the engine is given and what it answers: plain frozen data, no Home Assistant types.

Times are seconds on one monotonic or epoch clock chosen by the caller (``StripInput.now``);
powers are watts; battery levels are fractions 0..1 inside the engine (Home Assistant shows
percent), so arithmetic on charge never mixes the two scales.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

SECONDS_PER_HOUR = 3600.0
# A reporter posts every 30 s: three intervals without a post is a reporter gone quiet.
REPORT_SILENT_S = 90.0
# No laptop's battery is smaller: bounds how fast a reported charge can move.
SMALLEST_BATTERY_WH = 20.0


class Strategy(StrEnum):
    """How a strip shares its budget; a ``select`` entity in Home Assistant."""

    TOTAL_CAP = "total_cap"
    MAX_OUTLETS = "max_outlets"
    BATTERY_PRIORITY = "battery_priority"
    SMART = "smart"


class Reason(StrEnum):
    """Why an outlet is on or off: short stable codes Home Assistant translates."""

    EXCEPTION = "exception"  # never switched, its draw is taken off the budget first
    CHARGING = "charging"  # on and charging
    LOW_BATTERY_FIRST = "low_battery_first"  # on ahead of fuller laptops
    KEEP_ALIVE = "keep_alive"  # on so the laptop does not run flat
    DEPARTURE_SOON = "departure_soon"  # on so it reaches its target before it leaves
    FIRST_COME = "first_come"  # on because it arrived earlier
    TOPPING_UP = "topping_up"  # at target, on only because the budget has room
    PROBING = "probing"  # on to see whether a laptop is plugged in
    OPEN = "open"  # on and idle, headroom kept for a laptop that plugs in
    MIN_ON_TIME = "min_on_time"  # would be off, held on by the minimum on time
    MIN_OFF_TIME = "min_off_time"  # would be on, held off by the minimum off time
    WAITING_BUDGET = "waiting_budget"  # off: no room in the budget
    WAITING_TURN = "waiting_turn"  # off: the strip's outlet count limit is reached
    FULL = "full"  # off: at target or full
    EMPTY = "empty"  # off: nothing plugged in when last seen
    UNKNOWN = "unknown"  # off: not observed yet (no battery report, never on)
    OVER_BUDGET = "over_budget"  # shed early: the budget dropped below what was on
    FAULT = "fault"  # the agent reports a fault: never switched on
    LIMIT_REACHED = "limit_reached"  # off: its user reached a consumption limit with cut-off


class ChargeState(StrEnum):
    """What a laptop's charger is doing, reported or inferred from the measured power profile."""

    UNKNOWN = "unknown"  # outlet off and no battery report
    EMPTY = "empty"  # outlet on, nothing draws
    CHARGING = "charging"  # constant power
    TAPERING = "tapering"  # power falling as the battery nears full
    FULL = "full"  # idle draw only
    DISCHARGING = "discharging"  # present, outlet off, running on battery


@dataclass(frozen=True, slots=True)
class BatteryReport:
    """A laptop's own battery report (agent reporter or a Home Assistant battery sensor).

    ``may_lag``: the percent may follow the laptop's charge by an unknown delay (a Home
    Assistant sensor updates on its own integration's schedule), so it cannot be paired with
    the draw the meter reads at the same instant. A reporter posts the charge it reads.
    """

    percent: float
    plugged: bool
    age_s: float
    may_lag: bool = False


@dataclass(frozen=True, slots=True)
class OutletInput:
    """One outlet as the agent and Home Assistant know it this cycle.

    ``power_w`` is the measured draw (0 when off). ``stale`` means the meter has not answered
    recently; a stale, faulted or just-switched-on outlet counts at ``max_power_w``, as the
    agent's own admission check does. ``seconds_since_switch`` is None when the relay has not
    moved since the agent started (no minimum time applies). ``tier`` is the user's priority
    tier, higher first; ``departure_at`` is on the ``StripInput.now`` clock. ``held`` means the
    outlet's user reached a limit with cut-off: it is planned off like a faulted outlet, whatever
    the strategy, so the plan stays the only writer of a billed outlet's relay.
    ``found_empty``: the outlet is off because the agent switched it off as soon as a look
    (``StripPlan.looks``) read nothing, ``seconds_since_switch`` ago.
    """

    outlet_id: int
    relay_on: bool
    power_w: float
    max_power_w: float
    exception: bool = False
    fault: bool = False
    stale: bool = False
    seconds_since_switch: float | None = None
    battery: BatteryReport | None = None
    tier: int = 0
    departure_at: float | None = None
    target_percent: float = 100.0
    held: bool = False
    found_empty: bool = False


@dataclass(frozen=True, slots=True)
class StripInput:
    """One strip's facts for one cycle.

    ``budget_w`` is this strip's share (after the circuit split) and is sent to the agent as
    the plan budget; the plan never needs more than min(budget, hard limit). ``max_on`` is the
    outlet count limit of ``max_outlets``.

    ``time_scale`` is how many seconds pass for the laptops per second of the clock the inputs
    are measured on (``now``, ``seconds_since_switch``, report ages, ``departure_at``): 1 for a
    real strip. A simulated agent whose world runs N times faster than real time, while its
    relays keep real time, is planned with N: batteries drain, charge and are learned, turns
    last, outlets are looked at and its meters (reading that world) settle on the laptops'
    time, while the minimum on/off times stay on the clock's. ``time_to_full_s`` is then on
    the clock's time.
    """

    strip_id: str
    now: float
    budget_w: float
    hard_limit_w: float
    outlets: tuple[OutletInput, ...]
    strategy: Strategy = Strategy.SMART
    min_on_s: float = 60.0
    min_off_s: float = 30.0
    max_on: int | None = None
    time_scale: float = 1.0


@dataclass(frozen=True, slots=True)
class Settings:
    """Tuning shared by every strip; the defaults are the ones benchmarked in docs/benchmarks.md.

    The laptop defaults stand in for what cannot be measured through a relay (capacity, the
    laptop's own use, charger efficiency, where its taper starts) until reports teach better.
    """

    settle_s: float = 5.0  # after a switch-on the meter is not trusted for this long
    present_w: float = 2.0  # below this an on outlet is empty
    report_max_age_s: float = 900.0  # an older battery report is ignored
    battery_band: float = 0.10  # battery_priority: hysteresis band (fraction of charge)
    probe_interval_s: float = 1800.0  # an off outlet with no laptop known is looked at this often
    default_capacity_wh: float = 60.0
    default_use_w: float = 12.0
    default_efficiency: float = 0.9
    default_cv_soc: float = 0.8
    unknown_soc: float = 0.10  # pessimistic charge of a laptop first seen at full power (or
    # announced by its user's session before it is seen)
    unknown_use_w: float = 18.0  # pessimistic use draining that charge (no report to learn it)
    unknown_capacity_wh: float = 60.0  # ... from a battery this small
    prior_capacity_high_wh: float = 60.0  # ... which gains charge as slowly as this large one
    prior_soc_high: float = 0.9  # without a report, the charge is taken in [unknown_soc, this]
    reserve_margin: float = 0.01  # reserve = constant-power draw x (1 + this) + reserve_margin_w
    reserve_margin_w: float = 1.0
    max_use_w: float = 30.0  # the most a laptop uses itself (bounds a drain, for reserves)
    min_efficiency: float = 0.85  # the least efficient charger (bounds a gain, for reserves)
    reserve_hold_s: float = 36000.0  # a laptop without reports keeps its reserve this long off
    rearm_band: float = 0.02  # a laptop that reached its target wants charge again this far below
    assumed_stay_s: float = 4 * 3600.0  # remaining stay when no departure is known
    critical_s: float = 1800.0  # smart: a laptop within this of running flat comes first
    dwell_s: float = 600.0  # smart: a turn this young is interrupted only to keep a laptop alive
    keep_alive_band_s: float = 600.0  # a laptop near flat that is on keeps its room against one
    # less than this nearer to flat (smart and the circuit split)
    laxity_band_s: float = 1200.0  # smart: laxity credited to the laptop on (hysteresis)
    departure_soon_s: float = 3600.0  # smart: a known departure this close is shown as the reason
    switch_cost_w: float = 10.0  # smart: worth of not switching an outlet, in watts this cycle
    wear_window_s: float = 3600.0  # the strip's switching rate is counted over this (wear.py)
    switch_rate_soft: float = 3.0  # smart: switches per outlet-hour above which changes cost more
    wear_gain: float = 1.0  # smart: ... switch cost and turn dwell x (1 + this x the excess)
    wear_max_factor: float = 3.0  # smart: ... x this at most (a turn must still end)
    switch_rate_hard: float = 3.3  # smart: ... and x that at once from this rate on
    wear_look_max_factor: float = 1.5  # smart: ... looks at unknown outlets rarer by it, up to this
    spare_look_gain: float = 0.15  # smart: below switch_rate_soft, looks sooner by this x the
    spare_look_min_factor: float = 0.7  # spare rate, to this share of their interval at most
    priority_w: float = 60.0  # smart: worth of having no laxity left, over having plenty
    laxity_scale_s: float = 4 * 3600.0  # smart: laxity at which that worth falls to zero
    dwell_bonus_w: float = 1000.0  # smart: worth of letting a young turn finish
    empty_weight: float = 1.0  # smart: a watt into an empty laptop is worth 1 + this, full 1
    topup_share: float = 1.0  # smart: share of its draw a laptop short of its target is worth
    guess_w: float = 70.0  # smart: what a laptop never measured is guessed to draw (at most
    # its outlet's rating) when weighing whether to make room for its reading; 0: never
    first_probe_share: float = 2.0  # smart: a never-seen outlet's probe is worth this x its max
    probe_worth_w: float = 40.0  # smart: worth of a probe per probe interval it is overdue
    probe_force: float = 1.2  # smart: a probe this many intervals overdue is made, like keep-alive
    probe_backoff: float = 1.5  # smart: an outlet found empty again is looked at this much later
    max_probe_interval_s: float = 3600.0  # smart: ... but at least this often
    early_look_share: float = 0.5  # smart: a look may be made this share of its interval early
    open_arrivals: int = 2  # smart: laptops plugged in between two cycles that the empty
    # outlets kept open together leave room for (opens.py); 0: each counted at its rating
    open_margin_w: float = 30.0  # smart: ... with this much more room to open one that is off
    unseen_look_s: float = 4800.0  # smart: an off laptop without reports unseen this long is
    # looked at again, counted at its outlet's rating (another may have taken its place); 0: never


@dataclass(frozen=True, slots=True)
class OutletDecision:
    """What the engine decided for one outlet and why; ``time_to_full_s`` is an estimate."""

    outlet_id: int
    on: bool
    reason: Reason
    state: ChargeState
    planned_w: float  # worst-case draw counted for this outlet alone if on (0 when off)
    percent: float | None  # reported or estimated battery percent
    estimated: bool  # True when ``percent`` comes from the power profile, not a report
    time_to_full_s: float | None


@dataclass(frozen=True, slots=True)
class StripPlan:
    """The plan for one strip: what the coordinator sends to the agent, plus explanations.

    ``on`` holds the balanced outlets to switch on; ``priority`` is a permutation of all the
    balanced outlets, most important first (the agent's guard sheds from its end).
    ``planned_w`` is the worst-case draw of ``on`` (measured for settled outlets, the
    ``reserve_w`` entry or else the maximum otherwise; ``smart``'s empty outlets kept open
    together count at the room of ``Settings.open_arrivals`` laptops, ``opens.py``) and never
    exceeds
    ``budget_w - exceptions_w`` unless the exceptions alone do. ``reserve_w`` holds, for the
    outlets of ``on`` that are switching on or settling, what the agent may count them at.

    ``looks`` are the outlets of ``on`` switched on only to see whether a laptop is plugged in:
    the agent switches one off as soon as its meter has settled and reads nothing, without
    waiting for the minimum on time (nothing is there to protect), and ``after_looks`` are the
    outlets, off, to switch on in the room the looks give back: with ``on`` less the looks
    they fit the budget, with the looks they may not, so the agent's admission holds them
    until the looks are released (a look that finds a laptop keeps its room).
    """

    strip_id: str
    budget_w: float
    exceptions_w: float
    planned_w: float
    on: tuple[int, ...]
    priority: tuple[int, ...]
    exceptions: tuple[int, ...]
    outlets: tuple[OutletDecision, ...] = field(default_factory=tuple)
    reserve_w: Mapping[int, float] = field(default_factory=dict)
    looks: tuple[int, ...] = ()
    after_looks: tuple[int, ...] = ()

    @property
    def waiting(self) -> int:
        """Laptops present and wanting charge whose outlet is off (the per-strip counter)."""
        waiting = {Reason.WAITING_BUDGET, Reason.WAITING_TURN, Reason.MIN_OFF_TIME}
        return sum(1 for d in self.outlets if not d.on and d.reason in waiting)

    @property
    def unreported(self) -> int:
        """Laptops present whose battery is only estimated from their draw: no report reaches
        the strip for them, so they are kept alive and ranked on a guess (a reporter on each
        is what gains most, docs/benchmarks.md "Where the gap comes from"). The same outlets
        whose battery sensor shows an estimate: a percent the engine estimated."""
        return sum(1 for d in self.outlets if d.estimated and d.percent is not None)

    def agent_plan(self, ttl_s: float, *, reserve: bool = True) -> dict[str, object]:
        """The body of the agent's ``POST /api/v1/plan``; exceptions are listed as on.

        ``reserve_w`` (outlet id as a string -> watts) is sent when the plan has any: the
        agent counts those outlets at it, not at ``max_power_w``, while they switch on and
        settle. ``reserve=False`` leaves it out, for an agent that does not know the field.
        ``on`` includes ``after_looks``: the agent's admission holds them until there is room.
        """
        body: dict[str, object] = {
            "on": sorted({*self.on, *self.after_looks, *self.exceptions}),
            "priority": list(self.priority),
            "budget_w": round(self.budget_w, 1),
            "ttl_s": ttl_s,
        }
        if reserve and self.reserve_w:
            body["reserve_w"] = {str(k): round(v, 1) for k, v in sorted(self.reserve_w.items())}
        if self.looks:
            body["looks"] = sorted(self.looks)
        return body
