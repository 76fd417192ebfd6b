"""Bearer tokens: an admin token for Home Assistant and a narrower one for laptop reporters."""

from __future__ import annotations

from dataclasses import dataclass, field
import hmac
import logging
import os
from pathlib import Path
import secrets
from typing import Literal

_LOGGER = logging.getLogger(__name__)

Scope = Literal["admin", "reporter"]


def load_or_create_token(path: Path) -> str:
    """Read the token, creating it (mode 0600, owner only) on first start."""
    try:
        token = path.read_text().strip()
    except FileNotFoundError:
        token = ""
    if len(token) >= 16:
        if path.stat().st_mode & 0o077:
            _LOGGER.warning("%s is readable by other users; restricting it to the owner", path)
            path.chmod(0o600)
        return token
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
