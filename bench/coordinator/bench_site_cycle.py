"""The integration's site cycle for N strips of 16 outlets, in a Home Assistant instance.

Run by ``scripts/bench scale`` (pytest, so Home Assistant's own test harness builds the
instance): ``SCALE_STRIPS="1 10 50 100" SCALE_JSON=out.json pytest bench/coordinator/...``.

What is real: Home Assistant 2025.4.4 (its test instance: core, config entries, entity and
device registries, state machine, executor; no recorder, no frontend, no HTTP server), the
integration as shipped (one config entry per strip set up through ``async_setup``, its
coordinators holding each agent's event stream, its entities, and the site cycle of
``custom_components/smartmulti/planning/scheduler.py``: inputs from the coordinators, the engine in the
executor, a plan POSTed to every agent), and N real simulated agents (``bench.agent_farm``:
the agent runtime over loopback HTTP, in one separate process). What is not: the agents share
one process; the strips are all on one circuit entry of 320 W per strip; the balancing
interval is 2 s (10 s by default) to gather cycles quickly; asyncio's debug mode, which the
test harness turns on, is turned off again.

Per N, two passes: one timed (every natural cycle's wall time, from inputs to the last plan
acknowledged, and its parts: the engine in the executor and the sends), one under
``tracemalloc`` (memory the entries keep once set up and cycling, and the peak above it
during one cycle), since tracing slows everything.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import contextlib
import gc
import json
import os
from pathlib import Path
import statistics
import subprocess
import sys
import time
import tracemalloc
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    CONF_HOST,
    CONF_PORT,
    CONF_TOKEN,
    EVENT_STATE_CHANGED,
    EVENT_STATE_REPORTED,
)
from homeassistant.core import Event, HomeAssistant, callback
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartmulti.const import (
    CONF_BALANCING_INTERVAL,
    CONF_CIRCUIT,
    DOMAIN,
)
from custom_components.smartmulti.planning.scheduler import SCHEDULER_KEY, SiteScheduler
from tests.integration.conftest import circuit_entry, wait_for

REPO = Path(__file__).resolve().parents[2]
SIZES = [int(n) for n in os.environ.get("SCALE_STRIPS", "1 10 50 100").split()]
OUT = Path(os.environ.get("SCALE_JSON", "bench/results/scale_coordinator.json"))
INTERVAL_S = 2
FARM_HZ = float(os.environ.get("SCALE_FARM_HZ", "5"))
WARMUP_CYCLES = 3
TIMED_CYCLES = 15
CIRCUIT_W_PER_STRIP = 320.0


@contextlib.contextmanager
def agent_farm(count: int, root: Path) -> Iterator[list[dict[str, Any]]]:
    """``count`` agents in a separate process; their addresses and tokens."""
    out = root / "agents.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.agent_farm", "--count", str(count),
         "--dir", str(root), "--out", str(out), "--sample-hz", str(FARM_HZ)],
        cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(REPO), "GPIOZERO_PIN_FACTORY": "mock"},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not out.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the agent farm did not start")
            time.sleep(0.2)
        yield [{**a, "pid": process.pid} for a in json.loads(out.read_text())]
    finally:
        assert process.stdin is not None
        process.stdin.close()  # the farm stops its agents and exits
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Load:
    """How busy both processes were over a window, and how late Home Assistant's event loop
    ran a 100 ms timer (its lag)."""

    def __init__(self, hass: HomeAssistant, farm_pid: int) -> None:
        self.hass = hass
        self.farm_pid = farm_pid
        self.lags: list[float] = []
        self.writes = 0
        self._task: asyncio.Task[None] | None = None
        self._unsubs: list[Any] = []

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            start = loop.time()
            await asyncio.sleep(0.1)
            self.lags.append(loop.time() - start - 0.1)

    @callback
    def _written(self, _event: Event[Any]) -> None:
        self.writes += 1

    @staticmethod
    @callback
    def _every(_data: Any) -> bool:
        return True

    def start(self) -> None:
        # Every entity state write fires one of these (changed, or reported unchanged).
        self._unsubs = [
            self.hass.bus.async_listen(kind, self._written, event_filter=self._every)
            for kind in (EVENT_STATE_CHANGED, EVENT_STATE_REPORTED)
        ]
        self.wall = time.monotonic()
        self.ha_cpu = time.process_time()
        self.farm_cpu = _cpu_s(self.farm_pid)
        self._task = asyncio.create_task(self._watch())

    async def stop(self) -> dict[str, Any]:
        wall = time.monotonic() - self.wall
        for unsub in self._unsubs:
            unsub()
        result = {
            "state_writes_per_s": round(self.writes / wall),
            "ha_cores": round((time.process_time() - self.ha_cpu) / wall, 2),
            "agents_cores": round((_cpu_s(self.farm_pid) - self.farm_cpu) / wall, 2),
            "loop_lag_ms": _ms(self.lags) if self.lags else None,
        }
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        return result


class Recorder:
    """Wraps the site's cycle and its parts to time each natural cycle."""

    def __init__(self, site: SiteScheduler) -> None:
        self.cycles: list[float] = []
        self.engine: list[float] = []
        self.sends: list[float] = []
        cycle, plan, send = site._async_cycle, site._plan, site._async_send

        async def timed_cycle() -> None:
            start = time.perf_counter()
            await cycle()
            self.cycles.append(time.perf_counter() - start)

        def timed_plan(*args: Any) -> Any:
            start = time.perf_counter()
            try:
                return plan(*args)
            finally:
                self.engine.append(time.perf_counter() - start)

        async def timed_send(*args: Any) -> None:
            start = time.perf_counter()
            await send(*args)
            self.sends.append(time.perf_counter() - start)

        site._async_cycle = timed_cycle  # type: ignore[method-assign]
        site._plan = timed_plan  # type: ignore[method-assign]
        site._async_send = timed_send  # type: ignore[method-assign]


async def set_up(hass: HomeAssistant, agents: list[dict[str, Any]]) -> SiteScheduler:
    # Home Assistant's test harness runs asyncio in debug mode (a traceback kept for every task
    # and callback); Home Assistant itself does not.
    asyncio.get_running_loop().set_debug(False)
    circuit = circuit_entry(hass, "Room", CIRCUIT_W_PER_STRIP * len(agents))
    entries = []
    for i, agent in enumerate(agents):
        entry = MockConfigEntry(
            domain=DOMAIN,
            title=f"Strip {i}",
            unique_id=agent["serial"],
            data={CONF_HOST: agent["host"], CONF_PORT: agent["port"], CONF_TOKEN: agent["token"]},
            options={CONF_CIRCUIT: circuit.entry_id, CONF_BALANCING_INTERVAL: INTERVAL_S},
        )
        entry.add_to_hass(hass)
        entries.append(entry)
    assert await hass.config_entries.async_setup(circuit.entry_id)
    await hass.async_block_till_done()
    assert all(e.state is ConfigEntryState.LOADED for e in entries)
    await wait_for(
        lambda: all(e.runtime_data.coordinator.stream_connected for e in entries), limit_s=120
    )
    return hass.data[SCHEDULER_KEY]


async def cycles_done(site: SiteScheduler, count: int, limit_s: float) -> None:
    target = site.cycles + count
    await wait_for(lambda: site.cycles >= target, limit_s=limit_s)


def _record(result: dict[str, Any]) -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    runs = json.loads(OUT.read_text()) if OUT.exists() else []
    runs = [r for r in runs if (r["strips"], r["pass"]) != (result["strips"], result["pass"])]
    OUT.write_text(json.dumps([*runs, result], indent=1) + "\n")


def _ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median": round(1000 * statistics.median(ordered), 2),
        "p10": round(1000 * ordered[len(ordered) // 10], 2),
        "p90": round(1000 * ordered[(9 * len(ordered)) // 10], 2),
        "p95": round(1000 * ordered[(19 * len(ordered)) // 20], 2),
        "max": round(1000 * ordered[-1], 2),
    }


@pytest.mark.parametrize("strips", SIZES)
async def test_timed(
    hass: HomeAssistant, socket_enabled: None, tmp_path: Path, strips: int
) -> None:
    with agent_farm(strips, tmp_path / "farm") as agents:
        site = await set_up(hass, agents)
        recorder = Recorder(site)
        await cycles_done(site, WARMUP_CYCLES, 60 + strips)
        recorder.cycles.clear()
        recorder.engine.clear()
        recorder.sends.clear()
        load = Load(hass, agents[0]["pid"])
        load.start()
        await cycles_done(site, TIMED_CYCLES, 120 + 2 * strips)
        busy = await load.stop()
        await _unload(hass)
    _record(
        {
            "strips": strips,
            "pass": "timed",
            "cycles": len(recorder.cycles),
            "cycle_ms": _ms(recorder.cycles),
            "engine_ms": _ms(recorder.engine),
            "send_ms": _ms(recorder.sends),
            "farm_hz": FARM_HZ,
            **busy,
        }
    )


@pytest.mark.parametrize("strips", SIZES)
async def test_memory(
    hass: HomeAssistant, socket_enabled: None, tmp_path: Path, strips: int
) -> None:
    with agent_farm(strips, tmp_path / "farm") as agents:
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            site = await set_up(hass, agents)
            await cycles_done(site, WARMUP_CYCLES, 120 + 2 * strips)
            gc.collect()
            retained = tracemalloc.get_traced_memory()[0] - before
            peaks = []
            for _ in range(3):
                gc.collect()
                current = tracemalloc.get_traced_memory()[0]
                tracemalloc.reset_peak()
                await cycles_done(site, 1, 60 + strips)
                peaks.append(tracemalloc.get_traced_memory()[1] - current)
            gc.collect()
            later = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        await _unload(hass)
    _record(
        {
            "strips": strips,
            "pass": "memory",
            "retained_kib": round(retained / 1024, 1),
            "retained_kib_per_strip": round(retained / 1024 / strips, 1),
            "retained_3_cycles_later_kib_per_strip": round(later / 1024 / strips, 1),
            "farm_hz": FARM_HZ,
            "cycle_peak_kib": round(statistics.median(peaks) / 1024, 1),
            "cycle_peak_kib_per_strip": round(statistics.median(peaks) / 1024 / strips, 2),
        }
    )


async def _unload(hass: HomeAssistant) -> None:
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.state is ConfigEntryState.LOADED:
            await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    await asyncio.sleep(0)
