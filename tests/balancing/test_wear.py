"""Relay wear: the strip's switching rate makes turns dearer once it passes the soft rate.

The unit tests pin how switches are counted and the window forgotten; the day test drives the
engine through the bench's world on the shipped lecture (a tight budget shared by turns) and
a crowded tuning day, where the rate, left alone, goes above the 4 switches per outlet-hour the
product is held to.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

# The bench loads the engine as the top-level package ``balancing``: its own Settings.
from bench.policies import EnginePolicy, Settings as BenchSettings, Strategy
from bench.scenario import generate, load
from bench.world import Outcome, run
from custom_components.smartmulti.balancing import Balancer, Settings
from custom_components.smartmulti.balancing.memory import LastCycle, OutletMemory
from custom_components.smartmulti.balancing.wear import SwitchLog, switches_since, worn

from .helpers import laptop, strip

LECTURE = Path(__file__).resolve().parents[2] / "bench" / "scenarios" / "lecture.json"


def _seen(relay_on: bool, since: float | None = 600.0) -> OutletMemory:
    """An outlet as the last cycle saw it, a minute ago."""
    return OutletMemory(last=LastCycle(at=0.0, relay_on=relay_on, since=since))


def test_a_relay_that_changed_since_the_last_cycle_switched_once() -> None:
    assert switches_since(_seen(False), laptop(0, on=True, since=20)) == 1
    assert switches_since(_seen(True), laptop(0, since=20)) == 1


def test_a_relay_back_as_it_was_but_switched_since_the_last_cycle_switched_twice() -> None:
    # A look released after a few seconds: off at both cycles, its time since a switch reset.
    assert switches_since(_seen(False), laptop(0, since=50)) == 2


def test_a_relay_unchanged_or_never_seen_did_not_switch() -> None:
    assert switches_since(_seen(True), laptop(0, on=True, since=660)) == 0
    assert switches_since(OutletMemory(), laptop(0, on=True, since=5)) == 0
    assert switches_since(_seen(False, since=None), laptop(0, since=50)) == 0


def test_an_agent_state_read_late_counts_no_switch() -> None:
    """A state read a few seconds late shows less time since the switch than a minute after
    the last cycle's: only a time that went back is a switch, not one short of the cycle's."""
    assert switches_since(_seen(True, since=30), laptop(0, on=True, since=55)) == 0


def test_the_rate_counts_the_last_window_per_outlet_hour() -> None:
    log = SwitchLog(Settings().wear_window_s)
    log.add(0.0, 4)
    log.add(1800.0, 4)
    assert log.rate(2) == 4.0  # 8 switches, 2 outlets, one hour
    log.add(3600.0, 0)  # the first cycle's switches leave the window
    assert log.rate(2) == 2.0
    assert log.rate(0) == 0.0


def test_at_the_soft_rate_nothing_changes_and_above_it_turns_and_looks_cost_more() -> None:
    settings = Settings(wear_look_max_factor=1.1)
    assert worn(settings, settings.switch_rate_soft) is settings
    excess = 0.2
    assert settings.switch_rate_soft + excess < settings.switch_rate_hard
    dear = worn(settings, settings.switch_rate_soft + excess)
    factor = 1.0 + settings.wear_gain * excess
    assert dear.switch_cost_w == pytest.approx(settings.switch_cost_w * factor)
    assert dear.dwell_s == pytest.approx(settings.dwell_s * factor)
    assert dear.critical_s == settings.critical_s  # keeping a laptop alive is not dearer
    assert dear.keep_alive_band_s == settings.keep_alive_band_s
    # Looks at unknown outlets come less often too, by a factor capped lower, but a forced
    # look comes when it would unworn: a laptop without reports may be running flat there.
    look = min(factor, settings.wear_look_max_factor)
    assert 1.0 < look < factor
    assert dear.probe_interval_s == pytest.approx(settings.probe_interval_s * look)
    assert dear.max_probe_interval_s == pytest.approx(settings.max_probe_interval_s * look)
    forced_after_s = settings.probe_force * settings.probe_interval_s
    assert dear.probe_force * dear.probe_interval_s == pytest.approx(forced_after_s)
    # However fast the strip switched, a turn is held at most this much longer.
    thrashing = worn(settings, 100.0)
    assert thrashing.dwell_s == settings.dwell_s * settings.wear_max_factor
    assert thrashing.probe_interval_s == settings.probe_interval_s * settings.wear_look_max_factor


def test_from_the_hard_rate_on_every_change_costs_the_most_at_once() -> None:
    """Held back by the excess alone, a crowded strip's day ran above 4 switches per
    outlet-hour; from ``switch_rate_hard`` the turns are held longest and looks rarest."""
    settings = Settings()
    hard = settings.switch_rate_hard
    assert 1.0 + settings.wear_gain * (hard - settings.switch_rate_soft) < settings.wear_max_factor
    at_hard = worn(settings, hard)
    assert at_hard.switch_cost_w == settings.switch_cost_w * settings.wear_max_factor
    assert at_hard.dwell_s == settings.dwell_s * settings.wear_max_factor
    assert at_hard.unseen_look_s == settings.unseen_look_s * settings.wear_max_factor
    assert at_hard.probe_interval_s == pytest.approx(
        settings.probe_interval_s * settings.wear_look_max_factor
    )
    # Keeping a laptop alive and a forced look are not held back, even there.
    assert at_hard.critical_s == settings.critical_s
    forced_after_s = settings.probe_force * settings.probe_interval_s
    assert at_hard.probe_force * at_hard.probe_interval_s == pytest.approx(forced_after_s)
    just_below = worn(settings, hard - 0.01)
    assert just_below.dwell_s == pytest.approx(
        settings.dwell_s * (1.0 + settings.wear_gain * (hard - 0.01 - settings.switch_rate_soft))
    )


def test_below_the_soft_rate_looks_come_sooner_and_nothing_else_changes() -> None:
    """Switches the rate leaves unused are spent on looks: an off outlet may hold a laptop
    without reports that only a look notices. A forced look keeps its time."""
    settings = Settings()
    spare = worn(settings, settings.switch_rate_soft - 1.0)
    look = 1.0 - settings.spare_look_gain
    assert spare.probe_interval_s == pytest.approx(settings.probe_interval_s * look)
    assert spare.max_probe_interval_s == pytest.approx(settings.max_probe_interval_s * look)
    forced_after_s = settings.probe_force * settings.probe_interval_s
    assert spare.probe_force * spare.probe_interval_s == pytest.approx(forced_after_s)
    assert spare.switch_cost_w == settings.switch_cost_w
    assert spare.dwell_s == settings.dwell_s
    assert spare.unseen_look_s == settings.unseen_look_s
    assert spare.guess_w == settings.guess_w
    # Sooner by a bounded share, however idle the relays.
    idle = worn(settings, 0.0)
    assert idle.probe_interval_s == settings.probe_interval_s * settings.spare_look_min_factor
    assert worn(Settings(spare_look_gain=0.0), 0.0).probe_interval_s == settings.probe_interval_s


def test_on_a_tight_day_the_rate_stays_under_four_and_costs_little_energy() -> None:
    scenario = load(LECTURE)
    worn_out = run(scenario, EnginePolicy(Strategy.SMART))
    # Without the rule: no rate is ever worn, nor spare (looks at their configured interval).
    without = BenchSettings(switch_rate_soft=1e9, spare_look_gain=0.0)
    free = run(scenario, EnginePolicy(Strategy.SMART, settings=without))

    assert free.switches_per_outlet_hour > 4.0  # the day needs the rule
    assert worn_out.switches_per_outlet_hour <= 4.0
    assert worn_out.reporting_dead_minutes == 0.0
    added = worn_out.delivered_wh - worn_out.initial_wh
    # Readings of laptops never measured add energy without the rule (79.9 -> 84.9 Wh), not
    # with it (82.1 -> 81.6): the rule gives up about 4 % of the energy for a rate under 4.
    assert added >= 0.95 * (free.delivered_wh - free.initial_wh)


def test_on_a_crowded_day_fewer_looks_or_the_hard_rate_keep_the_rate_under_four() -> None:
    """Tuning day 7114 (a budget for fewer laptops than want it, outlets often found empty):
    turns made dearer by the excess alone leave it at 4.2 switches per outlet-hour; slowing
    the looks that read nothing too, or holding every change at its dearest from
    ``switch_rate_hard``, brings it under four. Readings of laptops never measured
    are left out to see the looks alone (they stop on a worn strip, and with them the default
    settings stay under four), and so are looks made sooner while the rate is under the soft
    one."""
    scenario = generate(7114)
    linear = {"guess_w": 0.0, "switch_rate_hard": math.inf}
    turns = {"wear_look_max_factor": 1.0, "spare_look_gain": 0.0}

    def day(**settings: float) -> Outcome:
        return run(scenario, EnginePolicy(Strategy.SMART, settings=BenchSettings(**settings)))

    both = day(**linear)
    turns_only = day(**linear, **turns)
    turns_held_hard = day(**linear | {"switch_rate_hard": Settings().switch_rate_hard}, **turns)
    default = run(scenario, EnginePolicy(Strategy.SMART))

    assert default.switches_per_outlet_hour <= 4.0
    assert default.reporting_dead_minutes == 0.0
    assert turns_only.switches_per_outlet_hour > 4.0  # growing with the excess is not enough
    assert turns_held_hard.switches_per_outlet_hour <= 4.0
    assert turns_held_hard.reporting_dead_minutes == 0.0
    assert both.switches_per_outlet_hour <= 4.0
    assert both.looks_released < turns_only.looks_released
    assert both.reporting_dead_minutes == 0.0
    assert both.dead_minutes <= turns_only.dead_minutes
    added = both.delivered_wh - both.initial_wh
    assert added >= 0.98 * (turns_only.delivered_wh - turns_only.initial_wh)


def test_a_turn_dwell_lengthened_by_wear_does_not_hold_back_a_laptop_near_flat() -> None:
    """Worn, the dwell is up to three times longer; the laptop on (27 minutes from flat)
    keeps its room only against one less than ``keep_alive_band_s`` nearer, not a dwell, so
    the laptop 9 minutes from flat (seen drawing 60 W a minute ago) goes first."""

    def first(settings: Settings) -> tuple[int, ...]:
        engine = Balancer(settings)
        engine.plan(
            strip(
                laptop(0, percent=9, since=600),
                laptop(1, on=True, power=60, percent=3, since=600),
                budget=70,
            )
        )
        plan = engine.plan(
            strip(
                laptop(0, on=True, power=60, percent=9, since=60),
                laptop(1, percent=3, since=60),
                budget=70,
                now=60.0,
            )
        )
        return plan.on

    settings = Settings()
    assert first(settings) == (1,)
    assert first(worn(settings, settings.switch_rate_soft + 10.0)) == (1,)
    assert first(Settings(keep_alive_band_s=1800.0)) == (0,)  # the band is what holds it


def test_relay_wear_is_smarts_rule_alone() -> None:
    """A battery_priority strip's looks come on the configured interval however often it has
    switched: the wear factor would stretch them, and that strategy has no forced look."""
    scenario = load(LECTURE)
    configured = run(scenario, EnginePolicy(Strategy.BATTERY_PRIORITY))
    unworn = run(
        scenario,
        EnginePolicy(Strategy.BATTERY_PRIORITY, settings=BenchSettings(switch_rate_soft=1e9)),
    )

    assert configured.switches_per_outlet_hour > BenchSettings().switch_rate_soft
    assert configured.switches == unworn.switches
    assert configured.delivered_wh == unworn.delivered_wh
