"""``bench.losses`` counts the room left unused where the engine's knowledge put it.

Two outlets rated 200 W: a reporting laptop charges on the first from the start, and a laptop
without reports or session is plugged into the second, empty and off, at minute 20. On a
250 W budget a look at the second outlet (counted at its rating) does not fit beside the
first laptop's draw, so the newcomer waits unseen for a forced look while the room its own
draw needs stands unused: that is counted as "empty, no room to look". On a 1000 W budget the
empty outlet is kept open and the newcomer draws at once: nothing is lost.

Room is unused only if no outlet takes it: where two laptops share a budget one of them fills,
the room the one switched on takes is not also counted for the other.
"""

from __future__ import annotations

from bench.losses import EMPTY_LOOK_FITS, EMPTY_NO_ROOM, day_losses
from bench.scenario import Device, Scenario


def _day(budget_w: float, *, both_report: bool = False) -> Scenario:
    def laptop(outlet: int, arrival_s: int, *, reports: bool) -> Device:
        return Device(
            id=f"laptop-{outlet}",
            outlet=outlet,
            arrival_s=arrival_s,
            departure_s=3600,
            capacity_wh=60.0,
            soc0=0.3,
            target_soc=1.0,
            charge_w=65.0,
            use_w=10.0,
            cv_soc=0.8,
            efficiency=0.9,
            reports_battery=reports,
            departure_known=False,
        )

    return Scenario(
        name=f"losses-{budget_w:g}-{both_report}",
        step_s=60,
        duration_s=3600,
        outlets=2,
        budget_w=((0, budget_w),),
        exceptions=(),
        devices=(
            laptop(1, 0, reports=True),
            laptop(2, 0, reports=True) if both_report else laptop(2, 1200, reports=False),
        ),
        outlet_max_power_w=100.0 if both_report else 200.0,
    )


def _losses(budget_w: float) -> dict[str, float]:
    return day_losses(_day(budget_w))["lost_wh"]


def test_a_laptop_plugged_in_where_no_look_fits_is_counted_as_empty_without_room() -> None:
    lost = _losses(250.0)
    # Minutes of a ~75 W laptop's charge: more than a step's, less than the 40 left in the day.
    assert 2.0 < lost[EMPTY_NO_ROOM] < 40.0
    assert EMPTY_LOOK_FITS not in lost


def test_nothing_is_lost_where_the_empty_outlet_is_kept_open() -> None:
    assert sum(_losses(1000.0).values()) < 0.5


def test_the_room_a_laptop_switched_on_takes_is_not_counted_unused() -> None:
    # 120 W holds one of the two ~72 W laptops (counted at the 100 W rating until read):
    # each step one charges in the room the other would need.
    lost = day_losses(_day(120.0, both_report=True))["lost_wh"]
    assert sum(lost.values()) < 0.5
