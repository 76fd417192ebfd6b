"""The user's own settings from their page: checked here, saved like the manager's.

A change is written to the user's subentry, exactly as "Configure" or the limit entity would
write it, so the billing entry's update listener applies it the same way (the ledger's new
limit, its events, the cut-off). Each change is written to Home Assistant's logbook under the
user's limit entity, so the manager sees who changed what and from where.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
import re
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import ATTR_DOMAIN, ATTR_ENTITY_ID, ATTR_NAME, EVENT_LOGBOOK_ENTRY
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from ..billing.entities import MAX_LIMIT_KWH
from ..billing.users import (
    CONF_LIMIT,
    CONF_LIMIT_PERIOD,
    CONF_NOTIFY_WARNING,
    LimitPeriod,
    UserConfig,
)
from ..const import DOMAIN
from .figures import limit_ceiling
from .i18n import Words

# ASCII digits with at most one decimal separator and at most two decimals, nothing else.
NUMBER: Final = re.compile(r"-?(?:[0-9]+(?:[.,][0-9]{0,2})?|[.,][0-9]{1,2})", re.ASCII)


@dataclass(frozen=True, slots=True)
class Change:
    limit_kwh: float | None  # None: unchanged (locked)
    period: LimitPeriod | None
    notify_warning: bool


class FormError(ValueError):
    """A value the page refuses, with the sentence that says why in the visitor's language."""


def parse(user: UserConfig, fields: Mapping[str, str], words: Words) -> Change:
    notify = fields.get(CONF_NOTIFY_WARNING) == "on"
    if user.limit_locked:
        if "limit" in fields or "period" in fields:
            # A disabled field is never sent: a locked limit arriving means a crafted request
            # or a page opened before the lock.
            raise FormError(words("err_locked"))
        return Change(None, None, notify)
    try:
        period = LimitPeriod(fields.get("period", ""))
    except ValueError:
        raise FormError(words("err_period")) from None
    limit = _number(fields.get("limit", ""), words)
    if limit < 0:
        raise FormError(words("err_negative"))
    ceiling = limit_ceiling(user, period)
    top = MAX_LIMIT_KWH if ceiling is None else ceiling
    shown = {"max": words.number(top), "period": words.period(period)}
    # The value saved is the one checked: 0 stored means "no limit", which is above any maximum.
    if ceiling is not None and limit == 0:
        raise FormError(words("err_required", **shown))
    if limit > top:
        raise FormError(words("err_too_high", **shown))
    return Change(limit, period, notify)


def _number(typed: str, words: Words) -> float:
    """The limit typed, rounded to the 2 decimals it is saved with.

    Only "12", "12.5" or "12,5" (either separator, as English and French write it): a comma
    could be a decimal or a thousands separator ("1,200"), so no grouping is read rather than
    guessing; ``float`` would also take "1_000", "1e2" or other scripts' digits.
    """
    text = typed.strip()
    if not NUMBER.fullmatch(text):
        has_digit = any(char in "0123456789" for char in text)
        raise FormError(words("err_format" if has_digit else "err_number"))
    return round(float(text.replace(",", ".")), 2)


def apply(
    hass: HomeAssistant, entry: ConfigEntry[Any], user: UserConfig, change: Change, words: Words
) -> bool:
    """Save the change in the user's subentry; log it. False when nothing changed."""
    subentry = entry.subentries[user.id]
    data = dict(subentry.data)
    if change.limit_kwh is not None and change.period is not None:
        data[CONF_LIMIT] = change.limit_kwh
        data[CONF_LIMIT_PERIOD] = change.period.value
    data[CONF_NOTIFY_WARNING] = change.notify_warning
    if data == dict(subentry.data):
        return False
    hass.config_entries.async_update_subentry(entry, subentry, data=data)
    new = UserConfig.from_subentry(user.id, subentry.title, data)
    if new.limit_kwh != user.limit_kwh or new.limit_period != user.limit_period:
        _log(hass, entry, user, _limit_sentence(new, words))
    if new.notify_warning != user.notify_warning:
        _log(hass, entry, user, words("log_notify_on" if new.notify_warning else "log_notify_off"))
    return True


def _limit_sentence(user: UserConfig, words: Words) -> str:
    if user.limit_kwh is None:
        return words("log_no_limit")
    return words(
        "log_limit",
        limit=words.number(user.limit_kwh),
        period=words.period(user.limit_period.value),
    )


def _log(hass: HomeAssistant, entry: ConfigEntry[Any], user: UserConfig, message: str) -> None:
    """A logbook line under the user's limit entity (the user's name when it has none)."""
    entity_id = er.async_get(hass).async_get_entity_id(
        "number", DOMAIN, f"{entry.entry_id}_user_{user.id}_limit"
    )
    data = {ATTR_NAME: user.name, "message": message, ATTR_DOMAIN: DOMAIN}
    if entity_id is not None:
        data[ATTR_ENTITY_ID] = entity_id
    hass.bus.async_fire(EVENT_LOGBOOK_ENTRY, data)
