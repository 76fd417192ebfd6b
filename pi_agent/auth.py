"""Bearer tokens: an admin token for Home Assistant and a narrower one for laptop reporters."""

from __future__ import annotations

from dataclasses import dataclass, field
import hmac
import logging
import os
from pathlib import Path
import secrets
from typing import Literal

from pi_agent.files import keep_aside

_LOGGER = logging.getLogger(__name__)

Scope = Literal["admin", "reporter"]


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
        """Constant-time comparison against both tokens, so timing tells nothing."""
        is_admin = hmac.compare_digest(presented.encode(), self.admin.encode())
        is_reporter = hmac.compare_digest(presented.encode(), self.reporter.encode())
        if is_admin:
            return "admin"
        return "reporter" if is_reporter else None


@dataclass(slots=True)
class FailureThrottle:
    """Slows down a client that keeps presenting bad tokens, without locking anyone out.

    Each failure from an address doubles the delay of its next failed answer (capped); a
    correct token is never delayed, so a guessing neighbour cannot block Home Assistant.
    """

    free_failures: int = 5
    base_delay_s: float = 0.05
    max_delay_s: float = 2.0
    forget_after_s: float = 300.0
    _failures: dict[str, tuple[int, float]] = field(default_factory=dict)

    def failed(self, client: str, now: float) -> float:
        """Record a failure; return how long to wait before answering it."""
        count, last = self._failures.get(client, (0, now))
        if now - last > self.forget_after_s:
            count = 0
        count += 1
        self._failures[client] = (count, now)
        if len(self._failures) > 10_000:  # bound memory against address spraying
            oldest = min(self._failures, key=lambda key: self._failures[key][1])
            del self._failures[oldest]
        if count <= self.free_failures:
            return 0.0
        return min(self.max_delay_s, self.base_delay_s * 2.0 ** (count - self.free_failures))
