"""Crash-safe persistence of the energy counters and the manager's settings.

Energy is billed, so a counter must never go back and never be lost beyond the last save. Each
save writes a temporary file, fsyncs it, keeps the previous good file as ``.prev`` and renames
the new one into place; a checksum inside the file catches a truncated or garbled copy, in which
case the previous good copy is used and the reason logged. A copy whose checksum holds but whose
content the owner's ``check`` refuses (a counter that is not one) is treated the same way: the
checksum proves the bytes are the ones written, not that what was written can be billed.
"""

from __future__ import annotations

from collections.abc import Callable
import contextlib
import hashlib
import json
import logging
import os
from pathlib import Path
import time
from typing import Any

from pi_agent.files import keep_aside

_LOGGER = logging.getLogger(__name__)
FORMAT = 1


def _digest(data: Any) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


Check = Callable[[dict[str, Any]], str | None]


class StateStore:
    """``check`` says why a decoded copy cannot be used (None when it can)."""

    def __init__(self, path: Path, check: Check | None = None) -> None:
        self.path = path
        self.check = check
        self.previous = path.with_name(path.name + ".prev")
        self._tmp = path.with_name(path.name + ".tmp")

    def load(self) -> dict[str, Any] | None:
        """The newest intact state, or None on a first start."""
        for candidate in (self.path, self.previous):
            try:
                raw = candidate.read_bytes()
            except FileNotFoundError:
                continue
            except OSError as err:
                _LOGGER.error("Cannot read %s: %s", candidate, err.strerror)
                continue
            data = self._decode(raw)
            problem = self._problem(data)
            if data is not None and problem is None:
                if candidate is self.previous:
                    _LOGGER.warning("Using the previous good state file %s", candidate)
                return data
            # Kept aside, never overwritten: the next save would otherwise replace the only
            # record of the counters, and someone may still recover them by hand.
            try:
                aside = keep_aside(candidate, "corrupt")
            except OSError as err:
                aside = None
                _LOGGER.error("Cannot keep the corrupt %s aside: %s", candidate, err)
            _LOGGER.error(
                "State file %s is corrupt (%s); ignoring it%s",
                candidate,
                problem,
                f" (kept as {aside.name})" if aside else "",
            )
        return None

    def _problem(self, data: dict[str, Any] | None) -> str | None:
        if data is None:
            return "truncated or garbled"
        return self.check(data) if self.check else None

    @staticmethod
    def _decode(raw: bytes) -> dict[str, Any] | None:
        try:
            envelope = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return None
        if not isinstance(envelope, dict) or envelope.get("format") != FORMAT:
            return None
        data = envelope.get("data")
        if not isinstance(data, dict) or envelope.get("sha256") != _digest(data):
            return None
        return data

    def save(self, data: dict[str, Any]) -> None:
        """Atomically replace the state file; raises OSError if the disk refuses."""
        envelope = {
            "format": FORMAT,
            "saved_at": time.time(),
            "data": data,
            "sha256": _digest(data),
        }
        payload = json.dumps(envelope, sort_keys=True).encode()
        fd = os.open(self._tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, payload)
            os.fsync(fd)
        finally:
            os.close(fd)
        if self.path.exists():
            os.replace(self.path, self.previous)
        os.replace(self._tmp, self.path)
        _fsync_dir(self.path.parent)


def _fsync_dir(directory: Path) -> None:
    """A rename is durable only once its directory is synced."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
