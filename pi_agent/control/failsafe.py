"""What the strip does alone: fair turns for every outlet under the failsafe budget.

Used at start-up and whenever Home Assistant's plan has expired. It knows nothing about
batteries or users, so it is a plain round robin, like a charge point's default profile: the
outlet that has waited longest goes next, a turn lasts ``rotation_s`` when someone is waiting,
and any headroom left by idle or tapering laptops is given to the next in line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pi_agent.control.outlet import OutletState


def failsafe_targets(
    now: float,
    balanced: Sequence[OutletState],
    *,
    headroom_w: float,
    rotation_s: float,
    reserve_w: Callable[[OutletState], float],
    may_switch_on: Callable[[OutletState], bool],
) -> set[int]:
    """The balanced outlets that should be on now.

    ``balanced`` are the outlets the rotation may decide (not exceptions, not under a manual
    override); ``headroom_w`` is the budget left once everything else is counted.
    """
    waiting = sorted(
        (o for o in balanced if not o.relay_on and may_switch_on(o)),
        key=lambda o: (o.last_switch_at, o.id),
    )
    keep = [
        o for o in balanced if o.relay_on and not (waiting and now - o.last_switch_at >= rotation_s)
    ]
    headroom_w -= sum(reserve_w(o) for o in keep)
    chosen = {o.id for o in keep}
    for outlet in waiting:
        if outlet.counted_max_w <= headroom_w:
            chosen.add(outlet.id)
            headroom_w -= outlet.counted_max_w
    return chosen
