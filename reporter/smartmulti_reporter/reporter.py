"""The reporter's loop: read the battery, find the outlet if needed, post, survive the network.

It reads the battery every ``poll_s`` (cheap) so a change of plugged state is posted at once,
and otherwise posts every ``interval_s``. Without a known outlet it pairs first, and pairs again
when the strip says the laptop moved. When the agent cannot be reached it waits with capped
exponential backoff and jitter, and never gives up: a strip that reboots is the normal case.
Only a refused token stops it, since waiting will not fix that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
import logging
import math
import threading
import time

from smartmulti_reporter.backoff import Backoff
from smartmulti_reporter.battery import BatteryReading, BatterySource
from smartmulti_reporter.client import AgentClient, AgentRefused, AgentUnavailable
from smartmulti_reporter.pairing import PairingResult, Stopped, pair

_LOGGER = logging.getLogger("smartmulti_reporter")

#: After a pairing that did not find the outlet; sooner if the laptop starts charging.
PAIR_RETRY_S = 300.0
#: The agent keeps outlets out of pairings for a minute after one took part.
PAIR_COOLDOWN_S = 60.0
#: The shortest wait before the next pairing, whatever the strip asks (the longest: PAIR_RETRY_S).
PAIR_MIN_WAIT_S = 1.0


class ReporterError(Exception):
    """Something only a person can fix (a wrong token, an outlet that does not exist)."""


class BatteryUnreadable(Exception):  # noqa: N818 (a state of the laptop, not a bug)
    """The battery gave no reading while a pairing waited for its plugged flag."""


@dataclass(frozen=True, slots=True)
class Settings:
    user: str | None
    outlet: int | None = None  # None: find it by pairing
    # The personal link's secret, which proves the user at each pairing (``client.user_proof``);
    # never printed.
    link_secret: str | None = field(default=None, repr=False)
    interval_s: float = 30.0
    poll_s: float = 1.0


class Reporter:
    def __init__(
        self,
        client: AgentClient,
        source: BatterySource,
        settings: Settings,
        *,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.monotonic,
        stop: threading.Event | None = None,
    ) -> None:
        self._client = client
        self._source = source
        self._settings = settings
        self._backoff = backoff or Backoff()
        self._clock = clock
        self.stop_event = stop or threading.Event()
        self.outlet = settings.outlet
        # Given by the pairing that found the outlet; with ``settings.outlet`` the client's
        # token is itself the credential the manager issued for that outlet.
        self.credential: str | None = None
        self.last_pairing: PairingResult | None = None
        self.posts = 0
        self.failures = 0
        self._posted_plugged: bool | None = None
        self._next_post_at = -math.inf
        self._pair_after = -math.inf
        self._last_pair_attempt = -math.inf
        self._seen_plugged: bool | None = None
        self._unreachable = False

    def run(self) -> None:
        """Until ``stop_event`` is set; ``ReporterError`` for what only a person can fix."""
        try:
            while not self.stop_event.is_set():
                self.stop_event.wait(self.run_once())
        except Stopped:
            pass

    def run_once(self) -> float:
        """One pass; returns how long to wait before the next."""
        reading = self._read()
        if reading is None:
            return self._settings.interval_s
        try:
            if self.outlet is None:
                self._maybe_pair(reading)
            else:
                self._maybe_post(reading)
        except AgentUnavailable as err:
            self.failures += 1
            delay = self._backoff.next_delay()
            level = logging.DEBUG if self._unreachable else logging.WARNING
            _LOGGER.log(level, "%s; retrying in %.1f s", err, delay)
            self._unreachable = True
            return delay
        if self._unreachable:
            _LOGGER.warning("The agent at %s answers again", self._client.url)
        self._unreachable = False
        self._backoff.reset()
        return self._settings.poll_s

    # ------------------------------------------------------------------ posting

    def _maybe_post(self, reading: BatteryReading) -> None:
        assert self.outlet is not None
        now = self._clock()
        if now < self._next_post_at and reading.plugged == self._posted_plugged:
            return
        try:
            answer = self._client.report_battery(
                self.outlet,
                reading.percent,
                reading.plugged,
                self._settings.user,
                credential=self.credential,
            )
        except AgentRefused as refusal:
            # Not posted again at the next read for the same state: once per interval.
            self._posted_plugged = reading.plugged
            self._refused_post(refusal)
            return
        self.posts += 1
        self._posted_plugged = reading.plugged
        self._next_post_at = now + self._settings.interval_s
        if answer.get("pair_again"):
            if self._settings.outlet is not None:
                _LOGGER.warning(
                    "The strip thinks this laptop is not on outlet %d any more; it was given "
                    "with --outlet, so it stays",
                    self.outlet,
                )
            else:
                _LOGGER.info("The strip asks to pair again (the laptop moved?)")
                self.outlet = None
                self.credential = None
                self._pair_after = now

    def _refused_post(self, refusal: AgentRefused) -> None:
        if refusal.status in (401, 403) and self._settings.outlet is None:
            # The pairing's credential is no longer valid (the strip forgot it): find the
            # outlet again, which brings a new one.
            _LOGGER.warning("The strip refused this laptop's credential; pairing again")
            self.outlet = None
            self.credential = None
            self._pair_after = self._clock()
            return
        if refusal.status in (401, 403):
            raise ReporterError(f"the agent refused the token: {refusal.message}")
        if refusal.status == 404 and self._settings.outlet is not None:
            raise ReporterError(f"outlet {self.outlet} does not exist on this strip")
        if refusal.status == 404:
            _LOGGER.warning("Outlet %s is gone from the strip; pairing again", self.outlet)
            self.outlet = None
            return
        _LOGGER.error("The agent refused the battery report: %s", refusal)
        self._next_post_at = self._clock() + self._settings.interval_s

    # ------------------------------------------------------------------ pairing

    def _maybe_pair(self, reading: BatteryReading) -> None:
        now = self._clock()
        if reading.plugged and self._seen_plugged is False:
            # Its outlet just came on: the cheapest moment to pair (only switch-offs needed).
            self._pair_after = min(self._pair_after, self._last_pair_attempt + PAIR_COOLDOWN_S)
        self._seen_plugged = reading.plugged
        if now < self._pair_after:
            return
        self._last_pair_attempt = now
        _LOGGER.info("Looking for this laptop's outlet (a few relays flip for a few seconds)")
        try:
            result = pair(
                self._client,
                self._read_plugged,
                self._settings.user,
                pause=self.stop_event.wait,
                link_secret=self._settings.link_secret,
            )
        except BatteryUnreadable:
            # A driver's blip is no reason to stop: the pairing was cancelled (pair() does),
            # and the strip keeps these outlets out of pairings for a minute.
            self._pair_after = now + PAIR_COOLDOWN_S
            _LOGGER.warning(
                "The battery could not be read during pairing; it was cancelled, trying again "
                "in %.0f s",
                PAIR_COOLDOWN_S,
            )
            return
        except AgentRefused as refusal:
            if refusal.status in (401, 403):
                raise ReporterError(f"the agent refused the token: {refusal.message}") from None
            wait = refusal.retry_after_s if refusal.retry_after_s is not None else PAIR_COOLDOWN_S
            # Whatever answers may name any wait: none makes it give up pairing or hammer.
            wait = min(max(wait, PAIR_MIN_WAIT_S), PAIR_RETRY_S)
            self._pair_after = now + wait + self._backoff.rng.uniform(0.0, 2.0)
            _LOGGER.info("Cannot pair now: %s; trying again in %.0f s", refusal.message, wait)
            return
        self.last_pairing = result
        if result.status == "paired" and result.outlet is not None:
            _LOGGER.info(
                "Paired with outlet %d (confidence %.3f, %d windows)",
                result.outlet,
                result.confidence or 0.0,
                result.windows,
            )
            self.outlet = result.outlet
            self.credential = result.credential
            self._next_post_at = now  # the battery goes out at once
            self._posted_plugged = None
        else:
            self._pair_after = now + PAIR_RETRY_S
            _LOGGER.warning("Pairing %s: %s", result.status, result.message)

    def _read_plugged(self) -> bool:
        reading = self._read()
        if reading is None:
            raise BatteryUnreadable  # nothing sensible to answer: the pairing is cancelled
        return reading.plugged

    def _read(self) -> BatteryReading | None:
        """The battery now, or None (said in the log) when it gives nothing a battery can:
        a driver that fails, a level that is not 0-100 %, a plugged flag that is not one.
        Such a reading is never posted: the strip would rank the laptop on a made-up level."""
        try:
            reading = self._source()
        except Exception as err:  # whatever the OS's battery driver raises
            _LOGGER.warning("The battery cannot be read right now: %s", err)
            return None
        if reading is None:
            _LOGGER.warning("The battery cannot be read right now")
            return None
        percent, plugged = reading.percent, reading.plugged
        if (
            not isinstance(percent, int | float)
            or isinstance(percent, bool)
            or not 0.0 <= percent <= 100.0  # NaN too
            or not isinstance(plugged, bool)
        ):
            _LOGGER.warning(
                "The battery says %r %% (plugged: %r): not a battery reading, not reported",
                percent,
                plugged,
            )
            return None
        return reading
