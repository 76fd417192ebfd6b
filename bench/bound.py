"""The offline upper bounds: a linear relaxation of the day, solved with HiGHS (through scipy).

Per device and step: on-fraction u in [0, 1], battery energy c >= 0, charge s. Charging is
bounded by u times what the charger has left after the laptop's use (``pi_agent.sim.physics``),
by the taper (a line in s) and by the room left; the battery drains at its use for the off
fraction; the outlet draws (u*use + c/dt)/efficiency; the draws plus exceptions stay under the
budget. (A charger smaller than its laptop's use only slows the drain; the generator and the
shipped days have none; the bound would count it as holding its charge while on, which only
loosens it.) Maximise sum capacity * min(s at departure, target).
The "alive" bound adds s >= 0 for every present step.

``solve_site`` bounds several strips under one circuit: each strip's draws stay under its own
budget, and all of them with every strip's exceptions under the circuit's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix

from .scenario import Device, Scenario


@dataclass(frozen=True, slots=True)
class Bound:
    value_wh: float | None  # None: infeasible
    status: str


def site_devices(days: Sequence[Scenario], steps: int) -> list[tuple[int, Device]]:
    """The stays a site's bound covers, with their strip's index: those that begin within
    ``steps`` steps (the bound, and the charge they arrive with, count these)."""
    return [
        (strip, d)
        for strip, day in enumerate(days)
        for d in day.devices
        if int(d.arrival_s // day.step_s) < steps
    ]


def solve(scenario: Scenario, *, alive: bool = False) -> Bound:
    """One strip's day under its own budget."""
    return solve_site([scenario], alive=alive)


def solve_site(  # noqa: PLR0915 - one LP, one place
    days: Sequence[Scenario],
    *,
    circuit_at: Callable[[float], float] | None = None,
    steps: int | None = None,
    alive: bool = False,
) -> Bound:
    """Strips side by side (same step) for ``steps`` steps (the shortest day's by default),
    each under its own budget and, with ``circuit_at``, all under one circuit."""
    step_s = days[0].step_s
    if any(d.step_s != step_s for d in days):
        raise ValueError("every strip of a site steps alike")
    steps = min(d.steps for d in days) if steps is None else steps
    dt_h = step_s / 3600.0
    n = 0
    cols: dict[tuple[str, int, int], int] = {}

    def var(kind: str, i: int, k: int) -> int:
        nonlocal n
        cols[(kind, i, k)] = n
        n += 1
        return n - 1

    covered = site_devices(days, steps)
    devices = [d for _, d in covered]
    strip_of = [strip for strip, _ in covered]
    spans = []
    for i, d in enumerate(devices):
        a = int(d.arrival_s // step_s)
        b = min(steps, int(-(-d.departure_s // step_s)))
        spans.append((a, b))
        for k in range(a, b):
            var("u", i, k)
            var("c", i, k)
        for k in range(a, b + 1):
            var("s", i, k)
        var("z", i, 0)
    lo = np.zeros(n)
    hi = np.full(n, np.inf)
    cost = np.zeros(n)
    eq_r, eq_c, eq_v, eq_b = [], [], [], []
    ub_r, ub_c, ub_v, ub_b = [], [], [], []
    n_eq = n_ub = 0
    present: set[int] = set()
    for i, d in enumerate(devices):
        a, b = spans[i]
        cap, use, chg, cv, _eff = d.capacity_wh, d.use_w, d.charge_w, d.cv_soc, d.efficiency
        s0 = cols[("s", i, a)]
        lo[s0] = hi[s0] = d.soc0
        # Without the alive constraint the charge is still bounded below by draining all stay
        # long; a finite bound that never binds keeps HiGHS away from numerical trouble.
        floor = d.soc0 - use * (b - a) * dt_h / cap - 1.0
        for k in range(a, b + 1):
            j = cols[("s", i, k)]
            if k > a:
                lo[j] = 0.0 if alive else floor
                hi[j] = 1.0
        for k in range(a, b):
            u, c, s, s1 = (
                cols[("u", i, k)],
                cols[("c", i, k)],
                cols[("s", i, k)],
                cols[("s", i, k + 1)],
            )
            hi[u] = 1.0
            # s1 = s + c/cap - (1-u)*use*dt/cap
            eq_r += [n_eq] * 4
            eq_c += [s1, s, c, u]
            eq_v += [1.0, -1.0, -1.0 / cap, -use * dt_h / cap]
            eq_b.append(-use * dt_h / cap)
            n_eq += 1
            # c <= u*(chg-use)*dt ; c <= (chg-use)*dt*(1-s)/(1-cv) ; c <= (1-s)*cap
            chg_net = max(0.0, chg - use)
            ub_r += [n_ub, n_ub]
            ub_c += [c, u]
            ub_v += [1.0, -chg_net * dt_h]
            ub_b.append(0.0)
            n_ub += 1
            taper = chg_net * dt_h / (1.0 - cv)
            ub_r += [n_ub, n_ub]
            ub_c += [c, s]
            ub_v += [1.0, taper]
            ub_b.append(taper)
            n_ub += 1
            ub_r += [n_ub, n_ub]
            ub_c += [c, s]
            ub_v += [1.0, cap]
            ub_b.append(cap)
            n_ub += 1
            present.add(k)
        z = cols[("z", i, 0)]
        hi[z] = d.target_soc
        lo[z] = -np.inf
        cost[z] = -cap
        ub_r += [n_ub, n_ub]
        ub_c += [z, cols[("s", i, b)]]
        ub_v += [1.0, -1.0]
        ub_b.append(0.0)
        n_ub += 1
    # Each strip's draws under its budget, then (for a circuit) everyone's under the circuit.
    groups: list[tuple[Callable[[float], float], set[int]]] = [
        (lambda t, day=day: day.budget_at(t) - day.exceptions_w(), {strip})
        for strip, day in enumerate(days)
    ]
    if circuit_at is not None:
        lamps = sum(day.exceptions_w() for day in days)
        groups.append((lambda t: circuit_at(t) - lamps, set(range(len(days)))))
    for k in sorted(present):
        for room_at, strips in groups:
            row = n_ub
            n_ub += 1
            ub_b.append(room_at(k * step_s))
            for i, d in enumerate(devices):
                a, b = spans[i]
                if a <= k < b and strip_of[i] in strips:
                    ub_r += [row, row]
                    ub_c += [cols[("u", i, k)], cols[("c", i, k)]]
                    ub_v += [d.use_w / d.efficiency, 1.0 / (dt_h * d.efficiency)]
    if n == 0:  # no stay to charge: nothing to add, and HiGHS refuses an empty problem
        return Bound(0.0, "optimal")
    a_eq = coo_matrix((eq_v, (eq_r, eq_c)), shape=(n_eq, n)).tocsr()
    a_ub = coo_matrix((ub_v, (ub_r, ub_c)), shape=(n_ub, n)).tocsr()
    # HiGHS's default (dual simplex) now and then ends with an unknown model status on these
    # LPs; its interior-point method then solves them, so it is the fallback, not a retry.
    res = None
    for method in ("highs", "highs-ipm"):
        res = linprog(
            cost,
            A_ub=a_ub,
            b_ub=np.array(ub_b),
            A_eq=a_eq,
            b_eq=np.array(eq_b),
            bounds=np.column_stack([lo, hi]),
            method=method,
        )
        if res.status in (0, 2):  # optimal, or proved infeasible
            break
    assert res is not None
    if res.status != 0:
        return Bound(None, str(res.message))
    return Bound(float(-res.fun), "optimal")
