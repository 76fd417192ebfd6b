"""Bearer tokens: an admin token for Home Assistant and a narrower one for laptop reporters."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
import hmac
import logging
import math
import os
from pathlib import Path
import secrets
from typing import Literal

from pi_agent.files import keep_aside

_LOGGER = logging.getLogger(__name__)

Scope = Literal["admin", "reporter", "laptop"]


MIN_TOKEN_LENGTH = 16


class TokenError(ValueError):
    """The tokens cannot be used as they are; the message says what to do."""


def token_problem(raw: bytes) -> str | None:
    """What makes a token file's content unusable, or None if it is a good token."""
    try:
        token = raw.decode("ascii").strip()
    except UnicodeDecodeError:
        return "it is not ASCII text"
    if not token:
        return "it is empty"
    if any(not 0x21 <= ord(ch) <= 0x7E for ch in token):
        return "it holds spaces or control characters"
    if len(token) < MIN_TOKEN_LENGTH:
        return f"it is shorter than {MIN_TOKEN_LENGTH} characters"
    return None


def load_or_create_token(path: Path) -> str:
    """Read the token, creating it (mode 0600, owner only) on first start.

    A damaged token file (not text, empty, too short to resist guessing) is never used and
    never silently replaced: it is kept aside under a new name, a new token is created, and the
    error says so and how to read the new one, since whoever held the old one must be told.
    """
    try:
        raw: bytes | None = path.read_bytes()
    except FileNotFoundError:
        raw = None
    if raw is not None:
        problem = token_problem(raw)
        if problem is None:
            if path.stat().st_mode & 0o077:
                _LOGGER.warning("%s is readable by other users; restricting it to the owner", path)
                path.chmod(0o600)
            return raw.decode("ascii").strip()
        aside = keep_aside(path)
        _LOGGER.error(
            "Token file %s is damaged (%s): kept as %s and replaced by a new token; clients "
            "that used the old one must be given the new one (smartmulti-agent --print-token "
            "for the admin token)",
            path,
            problem,
            aside.name,
        )
    token = secrets.token_urlsafe(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, (token + "\n").encode())
    finally:
        os.close(fd)
    path.chmod(0o600)
    _LOGGER.info("Created a new token in %s", path)
    return token


@dataclass(slots=True)
class Tokens:
    admin: str
    reporter: str

    def __post_init__(self) -> None:
        if hmac.compare_digest(self.admin.encode(), self.reporter.encode()):
            # Every laptop holds the reporter token: equal tokens would make each one admin.
            raise TokenError(
                "the reporter token is the admin token: every laptop would be admin; give the "
                "reporters their own token (delete the reporter token file to create one)"
            )

    def scope_of(self, presented: str) -> Scope | None:
        """Constant-time comparison against both tokens, so timing tells nothing.

        A header's bytes that are not UTF-8 reach here as lone surrogates (aiohttp decodes with
        ``surrogateescape``): ``surrogatepass`` turns any string into bytes, which then simply
        match no token.
        """
        candidate = presented.encode("utf-8", "surrogatepass")
        is_admin = hmac.compare_digest(candidate, self.admin.encode())
        is_reporter = hmac.compare_digest(candidate, self.reporter.encode())
        if is_admin:
            return "admin"
        return "reporter" if is_reporter else None


class FailureThrottle:
    """Slows down bad-token guessing, without ever delaying a valid credential.

    Only failures are throttled, so Home Assistant, a pairing reporter or a laptop's battery
    report is answered at once however many bad tokens other addresses send. Two limits, both
    O(1) per request whatever the number of addresses:

    - per address, each failure past ``free_failures`` doubles the delay of its next failed
      answer (capped at ``max_delay_s``);
    - for the whole strip, at most ``strip_rate_per_s`` failed checks (a burst of
      ``strip_burst``) are answered. An address past its free failures (``gate_before_checking``)
      waits for its place in that budget *before* its token is compared, and one that would wait
      longer than ``max_wait_s`` is refused with 429 unseen, so a flood tells the guesser
      nothing. Any other address is compared at once; only if it fails does it take a place
      (waiting for it, or 429), so spreading guesses over many addresses gains each address no
      more than its free failures.

    An address that presented the admin token is remembered (``known``): its failures (a stale
    token in a second Home Assistant entry) never wait for the strip-wide budget. The reporter
    token and laptop credentials earn no such pass: every coworker holds one.
    """

    def __init__(
        self,
        *,
        free_failures: int = 5,
        base_delay_s: float = 0.05,
        max_delay_s: float = 2.0,
        forget_after_s: float = 300.0,
        strip_rate_per_s: float = 10.0,
        strip_burst: int = 20,
        max_wait_s: float = 5.0,
        max_addresses: int = 10_000,
        max_known: int = 64,
    ) -> None:
        self.free_failures = free_failures
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s
        self.forget_after_s = forget_after_s
        self.strip_rate_per_s = strip_rate_per_s
        self.strip_burst = strip_burst
        self.max_wait_s = max_wait_s
        self.max_addresses = max_addresses
        self.max_known = max_known
        # Least recently failed first: the oldest entry is dropped in O(1) when full.
        self._failures: OrderedDict[str, tuple[int, float]] = OrderedDict()
        self._known: OrderedDict[str, None] = OrderedDict()
        # The strip-wide token bucket, as the time its next slot frees (a virtual clock).
        self._next_slot = -math.inf
        self.refused = 0

    # ------------------------------------------------------------------ before the compare

    def gate_before_checking(self, client: str, now: float) -> bool:
        """Whether this address must wait for the strip-wide budget before its token is
        compared: it has spent its free failures recently (and never showed the admin token)."""
        if client in self._known:
            return False
        count, last = self._failures.get(client, (0, now))
        return count >= self.free_failures and now - last <= self.forget_after_s

    def wait_before_checking(self, client: str, now: float) -> float | None:
        """Take a place in the strip-wide budget of failed checks: how long to wait for it,
        or None when the wait would pass ``max_wait_s`` (refuse with 429)."""
        if client in self._known:
            return 0.0
        interval = 1.0 / self.strip_rate_per_s
        earliest = now - self.strip_burst * interval  # an idle strip has a full burst
        slot = max(self._next_slot, earliest)
        wait = max(0.0, slot - now)
        if wait > self.max_wait_s:
            self.refused += 1
            return None
        self._next_slot = slot + interval
        return wait

    # ------------------------------------------------------------------ after the compare

    def succeeded(self, client: str) -> None:
        """The admin token: this address's failures are forgiven and never queue again."""
        self._known[client] = None
        self._known.move_to_end(client)
        while len(self._known) > self.max_known:
            self._known.popitem(last=False)
        self._failures.pop(client, None)

    def failed(self, client: str, now: float) -> float:
        """Record a failure; return how long to wait before answering it."""
        count, last = self._failures.pop(client, (0, now))
        if now - last > self.forget_after_s:
            count = 0
        count += 1
        self._failures[client] = (count, now)  # to the end: the most recent
        while len(self._failures) > self.max_addresses:  # bound memory against address spraying
            self._failures.popitem(last=False)
        if count <= self.free_failures:
            return 0.0
        return min(self.max_delay_s, self.base_delay_s * 2.0 ** (count - self.free_failures))
