"""The integration's stores (billing, personal links, the site, budgets) when they do not read
as this version writes them.

A store edited by hand, restored from another installation's backup or written with other types
must neither stop the strips from setting up (their energy is counted whatever the ledger holds)
nor vanish unseen at the next save, which writes only what was read. So what reads is used, part
by part; the store as it was found is copied aside first (``<key>.damaged_<time>`` beside it in
``.storage``), the error is logged and a repair issue names both, until the manager confirms it.

A store Home Assistant cannot parse at all (cut off mid-write) is set aside by Home Assistant
itself (``<key>.corrupt.<time>``, with an error in the log) and reads as missing.
"""

from __future__ import annotations

from collections.abc import Callable
import re
from typing import Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import DOMAIN, LOGGER

ISSUE_DAMAGED_STORE: Final = "damaged_store"
# What parsing stored data of the wrong shape or type raises.
READ_ERRORS: Final = (KeyError, TypeError, ValueError, AttributeError)
_MONTH = re.compile(r"\d{4}_(0[1-9]|1[0-2])")


def damaged_store_issue_id(key: str) -> str:
    return f"{ISSUE_DAMAGED_STORE}_{key}"


def stored_month(value: Any) -> str:
    """A month of the sessions' history as the ledger lists it ("2026_04")."""
    if not isinstance(value, str) or not _MONTH.fullmatch(value):
        raise ValueError(f"not a month: {value!r}")
    return value


class StoredData:
    """One store's data read part by part: what does not read is counted, not raised."""

    def __init__(self, key: str, raw: Any) -> None:
        self.key = key
        self.raw = raw
        self.damaged = 0
        self._data: dict[str, Any] = raw if isinstance(raw, dict) else {}
        if raw is not None and not isinstance(raw, dict):
            self.damaged += 1

    def mapping[T](self, name: str, parse: Callable[[Any], T]) -> dict[str, T]:
        """The entries of the mapping ``name`` that read."""
        found: dict[str, T] = {}
        for key, value in self._part(name, dict, {}).items():
            if (parsed := self._read(parse, value)) is not None:
                found[key] = parsed
        return found

    def sequence[T](self, name: str, parse: Callable[[Any], T]) -> list[T]:
        """The items of the list ``name`` that read."""
        return [
            parsed
            for value in self._part(name, list, [])
            if (parsed := self._read(parse, value)) is not None
        ]

    def one[T](self, name: str, parse: Callable[[Any], T]) -> T | None:
        """The part ``name`` if it is there and reads."""
        value = self._data.get(name)
        return None if value is None else self._read(parse, value)

    def _part(self, name: str, kind: type, empty: Any) -> Any:
        value = self._data.get(name, empty)
        if isinstance(value, kind):
            return value
        self.damaged += 1
        return empty

    def _read[T](self, parse: Callable[[Any], T], value: Any) -> T | None:
        try:
            return parse(value)
        except READ_ERRORS as err:
            LOGGER.debug("Unreadable part of the store %s: %r", self.key, err)
            self.damaged += 1
            return None

    async def async_keep_damage_aside(self, hass: HomeAssistant) -> None:
        """If anything did not read: copy the store aside, log it and raise a repair issue.

        Called before anything can save the store again.
        """
        if not self.damaged:
            return
        aside = f"{self.key}.damaged_{dt_util.utcnow():%Y%m%dT%H%M%S}"
        await Store[dict[str, Any]](hass, 1, aside).async_save({"key": self.key, "data": self.raw})
        LOGGER.error(
            "The stored data %s has %s part(s) that cannot be read; they are left out "
            "and the store as it was is kept in .storage/%s",
            self.key,
            self.damaged,
            aside,
        )
        ir.async_create_issue(
            hass,
            DOMAIN,
            damaged_store_issue_id(self.key),
            is_fixable=True,
            is_persistent=True,
            severity=ir.IssueSeverity.ERROR,
            translation_key=ISSUE_DAMAGED_STORE,
            translation_placeholders={
                "store": self.key,
                "aside": aside,
                "parts": str(self.damaged),
            },
        )
