"""The running agent: the sampling loop, persistence, the HTTP server and a clean exit.

Failure policy: if the control loop itself fails, the agent switches the relays to the safe
state and exits non-zero so systemd restarts it; a half-working guard is worse than none.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Sequence
import contextlib
from dataclasses import dataclass
import logging
from pathlib import Path
import signal
import time
from typing import Any
import uuid

from aiohttp import web
import voluptuous as vol

from pi_agent import __version__
from pi_agent.api import views
from pi_agent.api.connections import ConnectionGuard, GuardedRunner
from pi_agent.api.events import EventHub
from pi_agent.api.server import create_app
from pi_agent.api.validation import MAX_BUDGET_W
from pi_agent.auth import FailureThrottle, Tokens
from pi_agent.config import AgentConfig
from pi_agent.control.settings import saved_counters_problem
from pi_agent.control.strip import StripController
from pi_agent.hardware.bundle import Hardware
from pi_agent.logs import rate_limit_logs
from pi_agent.storage import StateStore
from pi_agent.validators import number

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the strip is. ``time_scale``: a simulated world's seconds per real second (1 for a
    real strip), so that Home Assistant plans its laptops on their own time."""

    serial: str
    name: str
    simulated: bool
    model: str = "SmartMulti strip"
    time_scale: float = 1.0


class Agent:
    """Ties the controller to its hardware, its state file and its API."""

    def __init__(
        self,
        config: AgentConfig,
        hardware: Hardware,
        *,
        identity: Identity,
        tokens: Tokens,
        data_dir: Path,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.hardware = hardware
        self.identity = identity
        self.tokens = tokens
        self.clock = clock
        self.controller = StripController(config, hardware.relays, wall_clock=wall_clock)
        self.hub = EventHub()
        self.throttle = FailureThrottle()
        self.connections = ConnectionGuard()
        self.store = StateStore(data_dir / "state.json", check=saved_counters_problem)
        self.epoch = self._restore()
        self._persist_soon = asyncio.Event()
        self._persist_lock = asyncio.Lock()
        self._last_sample_at: float | None = None
        self._sampled = asyncio.Event()
        self.samples = 0
        # The longest time between two samples so far: what a flood or a slow disk must not
        # stretch (the guard acts only on samples).
        self.worst_sample_gap_s = 0.0

    # ------------------------------------------------------------------ AgentContext

    def info(self) -> dict[str, Any]:
        return {
            "serial": self.identity.serial,
            "name": self.config.strip.name,
            "version": __version__,
            "api_version": 1,
            "outlets": len(self.controller.outlets),
            "model": self.identity.model,
            "simulated": self.identity.simulated,
            "time_scale": self.identity.time_scale,
            "energy_epoch": self.epoch,
            "faults": sorted(self.controller.faults),
        }

    def now(self) -> float:
        return self.clock()

    def settings_changed(self) -> None:
        self._persist_soon.set()

    async def next_sample(self) -> None:
        """Return after the next control step (a long-poll waits on the controller's clock)."""
        await self._sampled.wait()

    # ------------------------------------------------------------------ state file

    def _restore(self) -> str:
        saved = self.store.load()
        if saved is None:
            _LOGGER.info("No saved state: energy counters start at 0")
            return uuid.uuid4().hex
        outlets = saved.get("outlets", {})
        by_id = {int(k): v for k, v in outlets.items() if str(k).isascii() and str(k).isdigit()}
        dropped = self.controller.restore(by_id)
        self.controller.restore_switch_times(by_id, self.clock())
        for what in dropped:
            _LOGGER.warning("Not restored from the state file: %s", what)
        self.controller.kept_energy_wh = {o.id: o.energy_wh for o in self.controller.outlets}
        self.controller.kept_switches = {o.id: o.switches for o in self.controller.outlets}
        self.controller.pairing.restore(saved.get("pairing"), self.clock())
        self._restore_failsafe_cap(saved.get("failsafe_cap_w"))
        plan = saved.get("plan")
        if plan is not None:
            try:
                self.controller.restore_plan(plan, self.clock())
            except (KeyError, TypeError, ValueError) as err:
                _LOGGER.error(
                    "Cannot restore the saved plan (%s): the strip starts in failsafe", err
                )
            else:
                _LOGGER.info("Restored the saved plan: mode %s", self.controller.mode)
        return str(saved.get("epoch") or uuid.uuid4().hex)

    def _restore_failsafe_cap(self, saved: Any) -> None:
        """The circuit's cap on the failsafe, as the last plan set it: a strip whose Home
        Assistant is down when it restarts still shares its circuit."""
        if saved is None:
            return
        try:
            cap = number(0, MAX_BUDGET_W)(saved)
        except vol.Invalid as err:
            _LOGGER.warning(
                "Not restored from the state file: the failsafe cap %r (%s); the configured "
                "failsafe budget holds until Home Assistant sends a plan",
                saved,
                err,
            )
            return
        self.controller.failsafe_cap_w = cap

    def _state_to_save(self) -> dict[str, Any]:
        return {
            "serial": self.identity.serial,
            "epoch": self.epoch,
            "outlets": {str(k): v for k, v in self.controller.persistent_state().items()},
            "plan": self.controller.plan_state(),
            "failsafe_cap_w": self.controller.failsafe_cap_w,
            "pairing": self.controller.pairing.persistent(),
        }

    async def persist(self) -> bool:
        """Save off the event loop; a disk error is shown as the ``storage`` fault and retried
        at the next interval. True if the state is on disk."""
        data = self._state_to_save()
        controller = self.controller
        async with self._persist_lock:
            try:
                await asyncio.to_thread(self.store.save, data)
            except OSError as err:
                if "storage" not in controller.faults:
                    _LOGGER.error("Cannot save state to %s: %s", self.store.path, err)
                controller.faults["storage"] = (
                    f"cannot save the state to {self.store.path.parent}: "
                    f"{err.strerror or err}; counters shown stay at their last save"
                )
                return False
        if controller.faults.pop("storage", None) is not None:
            _LOGGER.warning("State saved to %s again", self.store.path)
        controller.kept_energy_wh = {
            int(k): float(v["energy_wh"]) for k, v in data["outlets"].items()
        }
        controller.kept_switches = {int(k): int(v["switches"]) for k, v in data["outlets"].items()}
        return True

    async def save_settings(self) -> bool:
        """A manager's change: on disk before it is confirmed. False if the disk refused."""
        return await self.persist()

    # ------------------------------------------------------------------ loops

    async def sample_once(self) -> None:
        now = self.clock()
        if self._last_sample_at is not None:
            gap = now - self._last_sample_at
            self.worst_sample_gap_s = max(self.worst_sample_gap_s, gap)
            if self.hardware.advance is not None:
                self.hardware.advance(max(0.0, gap))
        self._last_sample_at = now
        if self.hardware.blocking_reads:
            readings = await asyncio.to_thread(self.hardware.read_all)
        else:
            readings = self.hardware.read_all()
        now = self.clock()
        self.controller.step(now, readings)
        self.samples += 1
        self._sampled.set()
        self._sampled = asyncio.Event()
        if self.hub.has_subscribers:
            self.hub.publish(views.strip_view(self.controller, now), now)

    async def run_sampling(self) -> None:
        """Samples on absolute deadlines, so a slow sample does not shift all later ones."""
        period = self.config.strip.sample_period_s
        deadline = self.clock()
        while True:
            await self.sample_once()
            deadline += period
            now = self.clock()
            deadline = max(deadline, now)  # fell behind (stalled bus): no burst
            await asyncio.sleep(deadline - now)

    async def run_persistence(self) -> None:
        interval = self.config.strip.persist_interval_s
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._persist_soon.wait(), interval)
            self._persist_soon.clear()
            await self.persist()

    # ------------------------------------------------------------------ lifecycle

    async def start_server(self, host: str, port: int) -> web.AppRunner:
        runner = GuardedRunner(
            create_app(self), self.connections, access_log=None, shutdown_timeout=2.0
        )
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        return runner

    def shutdown_hardware(self) -> None:
        """Safe state first, then release the devices."""
        self.controller.to_safe_state()
        self.hardware.close()

    async def run(
        self,
        host: str,
        port: int,
        *,
        stop: asyncio.Event | None = None,
        ready: Callable[[int], Awaitable[None]] | None = None,
        background: Sequence[Coroutine[Any, Any, None]] = (),
    ) -> None:
        """Run until ``stop`` is set or SIGTERM/SIGINT; always leaves the relays safe.

        ``ready`` is awaited with the bound port once the API serves; ``background`` coroutines
        (simulated reporters, discovery) run beside the loops and are cancelled at exit.
        """
        stop = stop or asyncio.Event()
        rate_limit_logs()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, stop.set)
        runner: web.AppRunner | None = None
        tasks: list[asyncio.Task[None]] = []
        try:
            await self.sample_once()  # exception outlets on, first readings, before serving
            await self.persist()  # the counters' epoch is on disk before anyone reads it
            runner = await self.start_server(host, port)
            bound = _bound_port(runner) or port
            _LOGGER.info(
                "SmartMulti agent %s serving on http://%s:%d", self.identity.serial, host, bound
            )
            tasks = [
                asyncio.create_task(self.run_sampling(), name="sampling"),
                asyncio.create_task(self.run_persistence(), name="persistence"),
                asyncio.create_task(self.connections.run(), name="connections"),
                *(asyncio.create_task(job) for job in background),
            ]
            if ready is not None:
                await ready(bound)
            stopper = asyncio.create_task(stop.wait(), name="stop")
            done, _ = await asyncio.wait({*tasks, stopper}, return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            for task in done:
                if task is not stopper and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self.shutdown_hardware()
            self.hub.close()
            await self.persist()
            if runner is not None:
                await runner.cleanup()
            for signum in (signal.SIGTERM, signal.SIGINT):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.remove_signal_handler(signum)
            _LOGGER.info("Relays in safe state (%s); state saved", self.config.strip.safe_state)


def _bound_port(runner: web.AppRunner) -> int | None:
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return None
