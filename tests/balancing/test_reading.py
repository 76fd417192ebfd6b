"""Reading a laptop never measured: counted at its outlet's rating until its meter is read.

On a strip whose outlets are rated far above what laptops draw, a laptop known to be there
(it reports, or its session is open) but never measured would wait for a rating's worth of
room; so would one read before whose reading no longer holds. ``smart`` guesses its draw
(``Settings.guess_w``, or the draw it was read at) to decide whether it is worth reading,
and plans behind the reading what fits once it is read; the agent admits those as the room
is really there. A draw well above any the outlet's laptop was read at is another laptop, or
one whose charge is no longer vouched for.
"""

from __future__ import annotations

from custom_components.smartmulti.balancing import (
    Balancer,
    ChargeState,
    Reason,
    Settings,
    StripPlan,
)

from .helpers import laptop, reasons, strip


def _shed_then_read(engine: Balancer) -> StripPlan:
    """Two laptops measured on a 120 W budget, one of them shed when it falls to 70 W, then a
    third laptop (never measured, on a 200 W outlet) reports on a 260 W budget."""
    both = (
        laptop(1, on=True, power=60, percent=50, since=1200),
        laptop(2, on=True, power=55, percent=70, since=1200),
    )
    assert engine.plan(strip(*both, budget=120)).on == (1, 2)
    again = (
        laptop(1, on=True, power=60, percent=50, since=1260),
        laptop(2, on=True, power=55, percent=70, since=1260),
    )
    assert engine.plan(strip(*again, budget=70, now=60)).on == (1,)
    return engine.plan(
        strip(
            laptop(1, on=True, power=60, percent=50, since=1320),
            laptop(2, percent=70, since=60),
            laptop(3, percent=30, max_w=200),
            budget=260,
            now=120,
        )
    )


def test_what_fits_beside_a_laptops_guessed_draw_waits_behind_its_reading() -> None:
    plan = _shed_then_read(Balancer(Settings()))

    # The new laptop is read at its rating beside what fits (200 + 60 W); the laptop shed
    # before is planned behind it, for the room the reading gives back.
    assert plan.on == (3, 1)
    assert plan.planned_w <= 260.0
    assert plan.after_looks == (2,)
    assert plan.priority[:3] == (3, 1, 2)
    assert reasons(plan)[2] is Reason.WAITING_BUDGET
    # The agent is told to switch it on: its admission holds it until the room is there.
    assert 2 in plan.agent_plan(ttl_s=60.0)["on"]


def test_without_a_guess_nothing_waits_behind_a_reading() -> None:
    plan = _shed_then_read(Balancer(Settings(guess_w=0.0)))

    assert plan.on == (3, 1)
    assert plan.after_looks == ()


def test_an_outlet_cut_by_the_guard_after_waiting_behind_a_reading_loses_its_reserve() -> None:
    """The agent switched on the outlet waiting behind the reading and its guard cut it: it
    drew more than it was counted at, so what its reserve rested on (the laptop read there
    before) is wrong, perhaps another laptop. Kept, the next switch-on would overshoot again."""
    engine = Balancer(Settings())
    plan = _shed_then_read(engine)
    assert plan.after_looks == (2,)
    assert plan.reserve_w[2] < 65.0  # counted at what the laptop read there before drew
    assert engine.memory(2).charger.peak_w > 0

    # The next cycle: outlet 2 switched 30 s ago, and off again.
    engine.plan(
        strip(
            laptop(1, on=True, power=60, percent=50, since=1380),
            laptop(2, percent=70, since=30),
            laptop(3, on=True, power=70, percent=31, since=60, max_w=200),
            budget=260,
            now=180,
        )
    )

    assert engine.memory(2).charger.peak_w == 0.0  # forgotten: counted at its rating again


def test_a_laptop_never_measured_is_read_when_it_would_fit_at_its_guessed_draw() -> None:
    """Two young turns hold the room, and a rating's worth would not free while they run; the
    newcomer's guessed draw (100 W) would fit beside them, so they pause for its reading."""
    outlets = (
        laptop(1, on=True, power=60, percent=40, since=120, max_w=200),
        laptop(2, on=True, power=60, percent=45, since=120, max_w=200),
        laptop(3, percent=20, max_w=200),
    )
    read = Balancer(Settings()).plan(strip(*outlets, budget=250))
    waits = Balancer(Settings(guess_w=0.0)).plan(strip(*outlets, budget=250))

    assert 3 in read.on
    assert read.planned_w <= 250.0
    assert 3 not in waits.on


def test_a_draw_far_above_the_laptops_peak_after_time_off_is_no_longer_vouched_for() -> None:
    """A laptop without reports read tapering (so its charge is pinned high), then off for two
    hours, then drawing far more than it ever did: another laptop may have taken its place, so
    its charge is no longer vouched for from below and it is kept alive like a newcomer."""
    engine = Balancer()
    engine.plan(strip(laptop(1, on=True, power=60, since=600), budget=300))
    engine.plan(strip(laptop(1, on=True, power=30, since=660), budget=300, now=60))
    tapering = engine.memory(1)
    assert tapering is not None
    assert tapering.charge.low is not None
    assert tapering.charge.low > 0.5
    engine.plan(strip(laptop(1, since=60), budget=300, now=120))
    engine.plan(strip(laptop(1, since=7260), budget=300, now=7320))
    engine.plan(strip(laptop(1, on=True, power=90, since=10), budget=300, now=7380))

    back = engine.memory(1)
    assert back is not None
    assert back.charge.low is not None
    assert back.charge.low <= Settings().unknown_soc + 0.01


def test_a_draw_far_below_the_constant_power_last_read_is_another_laptop() -> None:
    """A laptop without reports read at constant power (102 W: a 90 W charger), shed, then on
    again a quarter of an hour later drawing 51 W. Off since, its charge can only have fallen,
    so it would still draw 102 W: this is another laptop (a 45 W charger) plugged in while the
    outlet was off. Taken for the one before, half its draw would read as a taper near full,
    its charge pinned high while it may be nearly flat; it is a newcomer."""
    engine = Balancer()
    engine.plan(strip(laptop(1, on=True, power=102, since=600, max_w=200), budget=300))
    shed = engine.plan(
        strip(laptop(1, on=True, power=102, since=660, max_w=200), budget=10, now=60)
    )
    assert shed.on == ()
    engine.plan(strip(laptop(1, since=0, max_w=200), budget=10, now=120))
    plan = engine.plan(
        strip(laptop(1, on=True, power=51, since=10, max_w=200), budget=300, now=900)
    )

    swapped = engine.memory(1)
    assert swapped.occupant.state is not ChargeState.TAPERING
    assert swapped.charge.low is not None
    assert swapped.charge.low <= Settings().unknown_soc + 0.01
    assert swapped.charger.peak_w == 51.0
    assert 1 in plan.on  # read as charging from an unknown charge, not as nearly full


def test_a_turn_that_resumes_at_the_draw_it_was_shed_at_is_the_same_laptop() -> None:
    """The same laptop on again at the draw it was shed at (or higher, drained meanwhile) is
    not taken for another: its charge and its reading stand."""
    engine = Balancer()
    engine.plan(strip(laptop(1, on=True, power=102, since=600, max_w=200), budget=300))
    engine.plan(strip(laptop(1, on=True, power=102, since=660, max_w=200), budget=10, now=60))
    engine.plan(strip(laptop(1, since=0, max_w=200), budget=10, now=120))
    before = engine.memory(1)
    engine.plan(strip(laptop(1, on=True, power=101, since=10, max_w=200), budget=300, now=900))

    again = engine.memory(1)
    assert again.occupant.arrived_at == before.occupant.arrived_at
    assert again.charger.peak_w == 102.0
    assert again.charge.low is not None
    assert before.charge.low is not None
    assert again.charge.low >= before.charge.low - 0.05


def test_no_reading_is_made_while_a_laptop_must_be_kept_alive() -> None:
    """The same two young turns and newcomer, beside a laptop near flat that is on: the
    reading would take room that keeping it alive may need, so the newcomer waits."""
    outlets = (
        laptop(1, on=True, power=60, percent=40, since=120, max_w=200),
        laptop(2, on=True, power=60, percent=45, since=120, max_w=200),
        laptop(3, percent=20, max_w=200),
        laptop(4, on=True, power=40, percent=3, since=1200, max_w=200),
    )
    plan = Balancer(Settings()).plan(strip(*outlets, budget=290))

    assert reasons(plan)[4] is Reason.KEEP_ALIVE
    assert set(plan.on) == {1, 2, 4}
    assert plan.after_looks == ()


def test_a_laptop_whose_reading_lapsed_is_read_again_when_its_last_draw_would_fit() -> None:
    """Two young turns hold the room. Laptop 3 was read at 60 W, tapering to 30 W (its
    charge pinned high, nowhere near flat), then off for half an hour: counted at its 200 W
    rating again, it would wait for a room that never frees. The draw it was read at would fit
    beside the turns, so they pause for its reading, as for a laptop never measured."""
    turns = (
        laptop(1, on=True, power=60, percent=40, since=120, max_w=200),
        laptop(2, on=True, power=60, percent=45, since=120, max_w=200),
    )
    plans = {}
    for guess in (Settings().guess_w, 0.0):
        engine = Balancer(Settings(guess_w=guess))
        engine.plan(strip(laptop(3, on=True, power=60, since=600, max_w=200), budget=300))
        # Shed by the budget (the engine plans it off), not cut behind its back.
        shed = engine.plan(
            strip(laptop(3, on=True, power=30, since=660, max_w=200), budget=10, now=60)
        )
        assert shed.on == ()
        engine.plan(strip(laptop(3, since=0, max_w=200), budget=300, now=120))
        assert engine.memory(3).charger.peak_w == 60.0  # read, and remembered
        plans[guess] = engine.plan(
            strip(*turns, laptop(3, since=1800, max_w=200), budget=250, now=1920)
        )
    read, waits = plans[Settings().guess_w], plans[0.0]

    assert 3 in read.on
    assert reasons(read)[3] is not Reason.KEEP_ALIVE
    assert {d.outlet_id: d.planned_w for d in read.outlets}[3] == 200.0  # its rating
    assert read.planned_w <= 250.0
    assert 3 not in waits.on


def _three_read_then_shed(engine: Balancer, draws: tuple[float, float]) -> None:
    """Laptops 1 and 2 (reporting) and 3 (without reports, on a 200 W outlet, drawing
    ``draws`` a minute apart) read on a 260 W budget, then all shed by the budget, so the
    engine plans them off (not cut behind its back); off from 120 s."""
    both = (
        laptop(1, on=True, power=60, percent=50, since=1200),
        laptop(2, on=True, power=55, percent=60, since=1200),
    )
    for k, (power, budget) in enumerate(zip(draws, (260.0, 10.0), strict=True)):
        plan = engine.plan(
            strip(
                *both,
                laptop(3, on=True, power=power, since=600 + 60 * k, max_w=200),
                budget=budget,
                now=60.0 * k,
            )
        )
    assert plan.on == ()
    off = (laptop(1, percent=50, since=0), laptop(2, percent=60, since=0))
    engine.plan(strip(*off, laptop(3, since=0, max_w=200), budget=10, now=120))
    assert engine.memory(3).charger.peak_w == draws[0]  # read, and remembered


def _all_off_for(engine: Balancer, off_s: float) -> StripPlan:
    """The next plan, the three off for ``off_s``, on a 250 W budget."""
    return engine.plan(
        strip(
            laptop(1, percent=50, since=off_s),
            laptop(2, percent=60, since=off_s),
            laptop(3, since=off_s, max_w=200),
            budget=250,
            now=120.0 + off_s,
        )
    )


def test_what_fits_beside_a_lapsed_reading_waits_behind_it() -> None:
    """A laptop without reports first seen at full power (so perhaps near flat) was read at
    109 W on a 200 W outlet, then off for ten minutes: kept alive, it is switched on at its
    rating. The two laptops off beside it fit in the room its earlier draw would leave, so they
    are planned behind its reading for the agent to admit once the room is measured."""
    engine = Balancer(Settings())
    _three_read_then_shed(engine, (109.0, 109.0))
    plan = _all_off_for(engine, 600.0)

    assert reasons(plan)[3] is Reason.KEEP_ALIVE
    assert plan.on == (3,)
    assert plan.planned_w <= 250.0
    assert sorted(plan.after_looks) == [1, 2]
    # Each waits at what it was read at: the agent holds it until the reading leaves room.
    assert plan.reserve_w[1] < 65.0
    assert plan.reserve_w[2] < 65.0


def test_what_fits_beside_a_laptop_looked_at_again_waits_behind_it() -> None:
    """A laptop without reports, read tapering from 60 W and unseen since (off): it is looked
    at again at its outlet's rating (another laptop may have taken its place). What fits in
    the room its earlier draw would leave is planned behind the look, as behind a reading."""
    engine = Balancer(Settings(unseen_look_s=1800.0))
    _three_read_then_shed(engine, (60.0, 30.0))
    plan = _all_off_for(engine, 1800.0)

    assert plan.on == (3,)
    assert reasons(plan)[3] is not Reason.KEEP_ALIVE
    assert sorted(plan.after_looks) == [1, 2]
