"""Keeps the personal link's key out of what Home Assistant's HTTP loggers write.

Home Assistant's HTTP security filter (``homeassistant.components.http.security_filter``)
refuses a request whose URL looks harmful (``<script>``, ``../``, a tab or a newline in the
query, ...) and logs a warning with the raw URL, query string included. For the coworker's
page that query holds the link's secret: anyone the manager shares a log with could open that
coworker's page. ``KeyRedactor`` is a ``logging.Filter`` on that logger: a record about the page
keeps its warning (the manager still sees the refused request) with the key's value replaced
by ``MASK``. Other records pass untouched. aiohttp's access log (``aiohttp.access``) writes
every request's URL at info level: Home Assistant keeps it at warning, but a manager chasing a
problem may turn it up, so its records (and the request line and headers it also attaches to
them) are masked the same way.

The key may come first or last, its name or value percent-encoded, the page's path too: in a
record that names the page, every ``key=`` parameter (its name decoded, in any case) is masked
up to the next ``&``, whatever the value holds (a tab, a newline, a ``?``): a value cut short
would leave the rest of the key in the log. Masking a little too much of a refused request is
harmless; a filter that raises breaks logging, so this one never does.
"""

from __future__ import annotations

from contextlib import suppress
import logging
import re
from typing import Final
from urllib.parse import unquote_plus

from homeassistant.const import EVENT_HOMEASSISTANT_CLOSE
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.util.hass_dict import HassKey

from ..const import DOMAIN

SECURITY_FILTER_LOGGER: Final = "homeassistant.components.http.security_filter"
ACCESS_LOGGER: Final = "aiohttp.access"
MASK: Final = "**REDACTED**"
REDACTOR_KEY: HassKey[KeyRedactor] = HassKey(f"{DOMAIN}_coworker_key_redactor")
# A parameter's name and its ``=`` in the text between two ``&``: at its start or after a ``?``
# or ``;`` (Home Assistant reads neither as a separator, but a key behind one is still a key).
_NAME: Final = re.compile(r"(?:^|[?;])(?P<name>[^=?;]*)=")
_MAX_UNQUOTE: Final = 8


def _unquote(text: str) -> str:
    """Percent-decoded as often as it takes (a bounded number of times)."""
    for _ in range(_MAX_UNQUOTE):
        decoded = unquote_plus(text)
        if decoded == text:
            break
        text = decoded
    return text


class KeyRedactor(logging.Filter):
    """Masks the value of ``param`` in every record that names the page at ``path``."""

    def __init__(self, path: str, param: str) -> None:
        super().__init__()
        self._path = path.lower()
        self._param = param.lower()

    def redact(self, message: str) -> str:
        """The message with every value of the key parameter after the page's path masked."""
        if self._path not in _unquote(message).lower():
            return message
        return "&".join(self._mask(part) for part in message.split("&"))

    def _mask(self, part: str) -> str:
        """The text between two ``&``, masked from the key's ``=`` on when it holds the key."""
        for match in _NAME.finditer(part):
            if _unquote(match["name"]).strip().lower() == self._param:
                return f"{part[: match.end()]}{MASK}"
        return part

    def filter(self, record: logging.LogRecord) -> bool:
        # A filter that raises breaks logging: whatever goes wrong, the record goes on as it is.
        with suppress(Exception):
            message = record.getMessage()
            redacted = self.redact(message)
            if redacted != message:
                record.msg = redacted
                record.args = ()
            # The access log also hands formatters the request line and headers (a Referer may
            # hold the page's URL) as the record's own fields.
            for name, value in list(vars(record).items()):
                if isinstance(value, str):
                    setattr(record, name, self.redact(value))
                elif isinstance(value, dict):
                    setattr(record, name, {k: self._redact_any(v) for k, v in value.items()})
        return True

    def _redact_any(self, value: object) -> object:
        return self.redact(value) if isinstance(value, str) else value


@callback
def async_redact_key_in_http_warnings(hass: HomeAssistant, path: str, param: str) -> None:
    """Attach the redactor, once for this Home Assistant.

    The page's view is registered for Home Assistant's lifetime (views cannot be removed, so
    unloading the last config entry leaves the page in place); the redactor stays as long and
    is detached only when Home Assistant closes, so processes running several in turn (tests)
    do not pile them up on the shared logger.
    """
    if REDACTOR_KEY in hass.data:
        return
    redactor = hass.data[REDACTOR_KEY] = KeyRedactor(path, param)
    loggers = [logging.getLogger(name) for name in (SECURITY_FILTER_LOGGER, ACCESS_LOGGER)]
    for logger in loggers:
        logger.addFilter(redactor)

    @callback
    def _detach(_event: Event) -> None:
        for logger in loggers:
            logger.removeFilter(redactor)
        hass.data.pop(REDACTOR_KEY, None)

    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_CLOSE, _detach)
