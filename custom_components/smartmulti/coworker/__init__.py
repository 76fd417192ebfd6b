"""The coworker's personal page: their charging, consumption and limit, behind a secret link.

Coworkers have no Home Assistant account, so the integration serves them one page of their own
through Home Assistant's HTTP server (``view.py``), opened by a personal link (``links.py``).
The manager finds the link on the user's device page (``entities.py``) or through
``smartmulti.get_user_link``; see ``docs/users.md``.
"""

from __future__ import annotations

from typing import Final

from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.helpers import config_validation as cv

from ..billing.lookups import ATTR_USER, find_user, loaded_ledger
from ..compat import vol
from ..const import DOMAIN
from .entities import user_link
from .links import async_get_links
from .redact import async_redact_key_in_http_warnings
from .view import KEY_PARAM, PAGE_URL, CoworkerView

SERVICE_GET_USER_LINK: Final = "get_user_link"
GET_USER_LINK_SCHEMA: Final = vol.Schema({vol.Required(ATTR_USER): cv.string})


@callback
def async_setup_coworker(hass: HomeAssistant) -> None:
    """The page and the service action, once for the domain (views cannot be removed)."""
    hass.http.register_view(CoworkerView())
    # Home Assistant's security filter logs a refused request's URL, the link's key included:
    # masked in those warnings for as long as the page is served (redact.py).
    async_redact_key_in_http_warnings(hass, PAGE_URL, KEY_PARAM)
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_USER_LINK,
        _async_get_user_link,
        schema=GET_USER_LINK_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )


async def _async_get_user_link(call: ServiceCall) -> ServiceResponse:
    """The user's link, as a path under ``/api/smartmulti/`` (with the secret as its query)."""
    ledger = loaded_ledger(call.hass)
    user = find_user(call.hass, ledger, call.data[ATTR_USER])
    links = async_get_links(call.hass)
    await links.async_load()
    return {"url": user_link(links, user.id)}
