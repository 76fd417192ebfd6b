"""Wiring the simulated world to the agent: its configuration, hardware and laptop reporters."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
import logging
import zlib

from pi_agent.config import AgentConfig, OutletConfig, StripConfig
from pi_agent.control.strip import StripController
from pi_agent.hardware.bundle import Hardware
from pi_agent.sim.fleet import Fleet, Lamp, default_fleet, outlet_max_power_w
from pi_agent.sim.hardware import build_sim_hardware
from pi_agent.sim.world import World

_LOGGER = logging.getLogger(__name__)

# A strip rated well below the 15 chargers' sum, so balancing has work to do.
SIM_STRIP = StripConfig(name="SmartMulti (simulated)", hard_limit_w=1000.0, failsafe_budget_w=450.0)
REPORT_INTERVAL_S = 30.0


def simulated(
    strip: StripConfig | None,
    *,
    seed: int,
    speed: float,
    outlets: int,
    fleet: Fleet | None = None,
    max_power_w: Sequence[float] | None = None,
) -> tuple[AgentConfig, Hardware, World]:
    """A fleet (the default coworking one for ``seed``) behind simulated relays and meters.

    ``max_power_w`` is each outlet's configured maximum, as an installer rated it; by default
    the most its occupants can draw (``outlet_max_power_w``).
    """
    fleet = fleet or default_fleet(seed, outlets)
    sim = build_sim_hardware(seed=seed, speed=speed, fleet=fleet)
    max_power = outlet_max_power_w(fleet) if max_power_w is None else tuple(max_power_w)
    if len(max_power) != fleet.outlets:
        raise ValueError(f"max_power_w: one per outlet ({fleet.outlets}), got {len(max_power)}")
    config = AgentConfig(
        strip=strip or SIM_STRIP,
        outlets=tuple(
            OutletConfig(
                id=i,
                name="Lamp" if isinstance(occupant, Lamp) else f"Desk {i}",
                max_power_w=float(max_power[i - 1]),
                exception=isinstance(occupant, Lamp),
            )
            for i, occupant in enumerate(fleet.occupants, start=1)
        ),
    )
    hardware = Hardware(
        relays=list(sim.relays),
        meters=dict(enumerate(sim.meters, start=1)),
        advance=sim.world.advance,
    )
    return config, hardware, sim.world


def reports_battery(laptop_id: str, share: float = 0.7) -> bool:
    """Whether a simulated laptop runs a reporter: a stable share of them, by id."""
    return zlib.crc32(laptop_id.encode()) % 100 < share * 100


async def run_simulated_reporters(
    world: World,
    controller: StripController,
    clock: Callable[[], float],
    interval_s: float = REPORT_INTERVAL_S,
) -> None:
    """Laptops that run a reporter post their battery every ``interval_s`` and on (un)plug."""
    plugged: dict[int, bool] = {}
    last_sent: dict[int, float] = {}
    while True:
        now = clock()
        for outlet_id in range(1, world.outlets + 1):
            status = world.battery(outlet_id)
            if status is None or not reports_battery(status.laptop_id):
                plugged.pop(outlet_id, None)
                continue
            changed = plugged.get(outlet_id) != status.plugged
            if changed or now - last_sent.get(outlet_id, -interval_s) >= interval_s:
                controller.report_battery(
                    outlet_id, status.percent, status.plugged, now, user=status.owner
                )
                plugged[outlet_id] = status.plugged
                last_sent[outlet_id] = now
        await asyncio.sleep(1.0)
