"""An outlet whose user reached a limit with cut-off is planned off by every strategy."""

from __future__ import annotations

from dataclasses import replace

import pytest

from custom_components.smartmulti.balancing import Balancer, Reason, Strategy

from .helpers import laptop, strip


@pytest.mark.parametrize("strategy", list(Strategy))
def test_held_outlet_is_off_and_its_share_goes_to_others(strategy: Strategy) -> None:
    neediest = replace(laptop(1, percent=5.0), held=True)
    other = laptop(2, percent=60.0)
    plan = Balancer().plan(strip(neediest, other, budget=200.0, strategy=strategy))

    decisions = {d.outlet_id: d for d in plan.outlets}
    assert not decisions[1].on
    assert decisions[1].reason is Reason.LIMIT_REACHED
    assert decisions[2].on
    assert 1 not in plan.on


def test_held_outlet_that_is_on_counts_at_its_rating_until_off() -> None:
    held = replace(laptop(1, on=True, power=20.0, max_w=90.0, percent=50.0, since=600.0), held=True)
    other = laptop(2, max_w=65.0, percent=10.0)
    plan = Balancer().plan(strip(held, other, budget=100.0))

    assert 1 not in plan.on
    assert plan.planned_w <= 100.0
