"""The billing CSV, downloadable from the browser by an administrator.

``smartmulti.export_billing`` writes the CSV under the configuration folder, where a manager
with only a browser cannot reach it. Its response also holds a link to this view, signed for
the person who ran the action (Home Assistant's signed paths: a GET with no header, valid for
an hour). The view serves only exports, only to administrators: a coworker's account, or a
link signed for one, gets 403 and nothing of anyone's consumption.
"""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus
from pathlib import Path
import re
from typing import Final

from aiohttp import web
from homeassistant.components.http.auth import async_sign_path
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.http import HomeAssistantView

from ..const import DOMAIN

EXPORT_DIR: Final = DOMAIN  # under the configuration directory
DOWNLOAD_PATH: Final = f"/api/{DOMAIN}/billing"
LINK_VALIDITY: Final = timedelta(hours=1)
DATA_REGISTERED: Final = f"{DOMAIN}_billing_download"
# Exactly the names export_billing writes: nothing else of the folder can be asked for.
EXPORT_NAME: Final = re.compile(r"billing_\d{8}_\d{8}\.csv")


def export_path(hass: HomeAssistant, name: str) -> Path:
    return Path(hass.config.path(EXPORT_DIR, name))


@callback
def async_download_link(hass: HomeAssistant, name: str) -> str:
    """A signed link to an export for whoever runs the action."""
    return async_sign_path(hass, f"{DOWNLOAD_PATH}/{name}", LINK_VALIDITY)


@callback
def async_register_download(hass: HomeAssistant) -> None:
    """Serve exports (once: the billing entry may be set up again). The HTTP server is one of
    the integration's dependencies, so it is there."""
    if not hass.data.get(DATA_REGISTERED):
        hass.http.register_view(BillingDownloadView())
        hass.data[DATA_REGISTERED] = True


class BillingDownloadView(HomeAssistantView):
    """GET /api/smartmulti/billing/<name>: one export, to an administrator."""

    url = DOWNLOAD_PATH + "/{name}"
    name = f"api:{DOMAIN}:billing"
    requires_auth = True

    async def get(self, request: web.Request, name: str) -> web.StreamResponse:
        user = request.get("hass_user")
        if user is None or not user.is_admin:
            return self.json_message(
                "Only an administrator may download billing exports", HTTPStatus.FORBIDDEN
            )
        if not EXPORT_NAME.fullmatch(name):
            return self.json_message("No such export", HTTPStatus.NOT_FOUND)
        hass: HomeAssistant = request.app["hass"]
        path = export_path(hass, name)
        if not await hass.async_add_executor_job(path.is_file):
            return self.json_message("No such export", HTTPStatus.NOT_FOUND)
        return web.FileResponse(
            path,
            headers={
                "Content-Type": "text/csv; charset=utf-8",
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "no-store",
            },
        )
