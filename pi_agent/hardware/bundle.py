"""The hardware one agent runs: a relay per outlet, a meter per metered outlet."""

from __future__ import annotations

from collections.abc import Callable
import contextlib
from dataclasses import dataclass, field

from pi_agent.hardware.base import Meter, MeterError, Reading, Relay


@dataclass(slots=True)
class Hardware:
    relays: list[Relay]
    meters: dict[int, Meter]
    # Real I2C reads block for a few ms each: the agent runs them in a worker thread.
    blocking_reads: bool = False
    # Simulation only: advance the simulated world by a real-time interval before sampling.
    advance: Callable[[float], None] | None = None
    on_close: list[Callable[[], None]] = field(default_factory=list)

    def read_all(self) -> dict[int, Reading | MeterError]:
        """One reading (or its error) per metered outlet; never raises for a single meter."""
        results: dict[int, Reading | MeterError] = {}
        for outlet_id, meter in self.meters.items():
            try:
                results[outlet_id] = meter.read()
            except MeterError as err:
                results[outlet_id] = err
            except OSError as err:  # a driver that let a bus error through
                results[outlet_id] = MeterError(f"bus error: {err}")
        return results

    def close(self) -> None:
        closers = [m.close for m in self.meters.values()] + [r.close for r in self.relays]
        for close in (*closers, *self.on_close):
            with contextlib.suppress(Exception):
                close()
