"""What a real strip and its Home Assistant know of a simulated day, and nothing more.

The world holds the truth; this turns it into the facts the product would hold and hands them
to ``balancing.facts``, the construction the integration uses:

- the agent's relays, meters (draw of outlets that are on) and the outlets' configured
  ratings, never the chargers' true draws;
- battery percent (an integer) from a laptop's reporter: it posts every ``REPORT_EVERY_S``
  once paired, and pairing starts within a report interval of the laptop plugging in and takes
  up to ``PAIRING_S`` (five flip windows; a laptop there when the day starts is paired
  already); the agent keeps the last post after the laptop
  leaves, aging, as it does on a strip, so a report is no presence signal;
- or from a Home Assistant battery sensor mapped to the outlet, which follows the laptop's
  charge ``sensor_lag_s`` late and then holds its last value, aging;
- a flat laptop reports nothing (it is off);
- a user's usual departure, the truth plus a normal error of ``DEPARTURE_SD_S``, only while
  their session is open (from plug-in to leaving) and only while it is still ahead, as the
  integration's users give it;
- a charge limit only where the laptop's user set one (``Device.limit_set``, at its target):
  nobody does on the generated and shipped days, so the engine aims at full, as the
  integration does without one, and the scenario's targets only score the day.

The reporter's percent is read at the world's step; over a 30 s report interval a laptop moves
by well under a percent, so reading it at the step rather than at the post changes nothing the
integer shows but now and then a rounding.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass
import math
import random

from balancing import BatteryReport, StripInput
from balancing.facts import OutletFacts, strip_input

from .scenario import Device, Scenario

REPORT_EVERY_S = 30.0
PAIRING_S = 15.0  # five windows of 3 s (pi_agent.control.pairing)
DEPARTURE_SD_S = 1800.0
#: The integration's default ``battery_max_age`` option (10 minutes).
BATTERY_MAX_AGE_S = 600.0


@dataclass(slots=True)
class _LastReport:
    """A laptop's last battery report as posted: its percent and when (bench time)."""

    percent: float
    at: float


def _percent(soc: float) -> float:
    return float(min(100, max(0, round(100.0 * soc))))


class Knowledge:
    """The product's knowledge of one strip's day, updated step by step."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.paired_at: dict[str, float] = {}
        self.usual_departure: dict[str, float] = {}
        for d in scenario.devices:
            rng = random.Random(f"{scenario.name}:{d.id}")
            phase = rng.uniform(0.0, REPORT_EVERY_S)
            # A laptop already there when the day starts was paired before it: its reporter
            # is somewhere in its 30 s cycle.
            self.paired_at[d.id] = -phase if d.arrival_s <= 0 else d.arrival_s + phase + PAIRING_S
            noisy = d.departure_s + rng.gauss(0.0, DEPARTURE_SD_S)
            self.usual_departure[d.id] = 60.0 * round(noisy / 60.0)
        self.agent_post: dict[int, _LastReport] = {}
        self.sensor_post: dict[int, _LastReport] = {}
        self.history: dict[str, tuple[list[float], list[float]]] = {}
        self.here: dict[int, Device] = {}

    def update(self, t: float, here: Mapping[int, Device], soc: Mapping[str, float]) -> None:
        """Take in the laptops present at ``t`` and their charge."""
        for outlet, d in self.here.items():
            post = self.agent_post.get(outlet)
            if here.get(outlet) is d or post is None or d.battery_via != "reporter":
                continue
            # It left between two steps: its reporter posted until then.
            first = self.paired_at[d.id]
            last = first + REPORT_EVERY_S * math.floor(
                (d.departure_s - 1e-6 - first) / REPORT_EVERY_S
            )
            post.at = max(post.at, min(last, t))
        self.here = dict(here)
        lag = self.scenario.sensor_lag_s
        for outlet, d in here.items():
            if not d.reports_battery or soc[d.id] < 0:
                continue
            if d.battery_via == "reporter":
                first = self.paired_at[d.id]
                if t < first:
                    continue
                posted = first + REPORT_EVERY_S * int((t - first) // REPORT_EVERY_S)
                self.agent_post[outlet] = _LastReport(_percent(soc[d.id]), posted)
            else:
                times, levels = self.history.setdefault(d.id, ([], []))
                times.append(t)
                levels.append(soc[d.id])
                seen = max(0, bisect.bisect_right(times, t - lag) - 1)
                self.sensor_post[outlet] = _LastReport(_percent(levels[seen]), t)

    def facts(
        self,
        t: float,
        *,
        relay: Mapping[int, bool],
        since: Mapping[int, float | None],
        measured: Mapping[int, float],
        max_w: Mapping[int, float],
        drawn: Mapping[int, float],
        lamps: Mapping[int, float],
        found_empty: Mapping[int, bool],
    ) -> list[OutletFacts]:
        """Each outlet as the agent and Home Assistant hold it at ``t``."""
        out = []
        for o in self.scenario.outlet_ids:
            d = self.here.get(o)
            departure = None
            if d is not None and d.departure_known and self.usual_departure[d.id] > t:
                departure = self.usual_departure[d.id]
            out.append(
                OutletFacts(
                    outlet_id=o,
                    relay_on=relay[o],
                    power_w=measured[o] if relay[o] else 0.0,
                    max_power_w=max_w[o],
                    drawn_max_w=drawn[o],
                    exception=o in lamps,
                    seconds_since_switch=since[o],
                    found_empty=found_empty.get(o, False),
                    agent_report=_report(self.agent_post.get(o), t, plugged=relay[o]),
                    sensor_report=_report(self.sensor_post.get(o), t, plugged=relay[o]),
                    departure_at=departure,
                    target_percent=100.0 * d.target_soc if d is not None and d.limit_set else None,
                )
            )
        return out

    def strip_input(
        self,
        t: float,
        *,
        limit: float,
        relay: Mapping[int, bool],
        since: Mapping[int, float | None],
        measured: Mapping[int, float],
        max_w: Mapping[int, float],
        drawn: Mapping[int, float],
        lamps: Mapping[int, float],
        found_empty: Mapping[int, bool],
        min_on_s: float,
        min_off_s: float,
    ) -> StripInput:
        """The engine's input at ``t``, built as Home Assistant builds it."""
        facts = self.facts(
            t,
            relay=relay,
            since=since,
            measured=measured,
            max_w=max_w,
            drawn=drawn,
            lamps=lamps,
            found_empty=found_empty,
        )
        return strip_input(
            facts,
            strip_id=self.scenario.name,
            now=t,
            budget_w=limit,
            hard_limit_w=float("inf"),
            battery_max_age_s=BATTERY_MAX_AGE_S,
            min_on_s=min_on_s,
            min_off_s=min_off_s,
        )


def _report(post: _LastReport | None, t: float, *, plugged: bool) -> BatteryReport | None:
    if post is None:
        return None
    return BatteryReport(percent=post.percent, plugged=plugged, age_s=max(0.0, t - post.at))
