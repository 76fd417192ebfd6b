"""Log lines rate-limited per message: a flood must not fill the SD card.

Under attack or fault the same line can be logged thousands of times a second (one traceback
per refused connection, one error per failed save). The first few of each kind within a window
get through; the rest are counted and reported once, with the count, when the window ends.
"""

from __future__ import annotations

from collections.abc import Callable
import logging
import time

WINDOW_S = 60.0
BURST = 5
# Loggers that log what a stranger on the network can cause, and the agent's own.
FLOODABLE = ("asyncio", "aiohttp.server", "aiohttp.web", "aiohttp.access", "pi_agent")


class RateLimit(logging.Filter):
    """Lets ``burst`` records of one message template through per ``window_s``."""

    def __init__(
        self,
        burst: int = BURST,
        window_s: float = WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.burst = burst
        self.window_s = window_s
        self._clock = clock
        self._seen: dict[tuple[str, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, str(record.msg)[:200])
        now = self._clock()
        started, count = self._seen.get(key, (now, 0))
        if now - started >= self.window_s:
            if count > self.burst:
                record.msg = f"{record.msg} (and {count - self.burst} more like it in the last %ds)"
                record.args = (*_args(record), round(now - started))
            started, count = now, 0
        count += 1
        self._seen[key] = (started, count)
        if len(self._seen) > 1000:  # templates are few; this only bounds a pathological case
            self._seen.clear()
        return count <= self.burst


def _args(record: logging.LogRecord) -> tuple[object, ...]:
    if isinstance(record.args, tuple):
        return record.args
    return () if record.args is None else (record.args,)


def rate_limit_logs(names: tuple[str, ...] = FLOODABLE) -> None:
    """Attach one rate limit to each logger that a flood can reach (idempotent).

    A logger's filter sees only what is logged on that logger itself, not on its children, so
    every module logger of the agent gets its own.
    """
    modules = [n for n in logging.Logger.manager.loggerDict if n.startswith("pi_agent.")]
    for name in (*names, *modules):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RateLimit) for f in logger.filters):
            logger.addFilter(RateLimit())
