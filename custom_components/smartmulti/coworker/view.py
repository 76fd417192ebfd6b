"""The coworker's page on Home Assistant's own HTTP server: ``/api/smartmulti/coworker?key=``.

No Home Assistant login: the personal link's secret is the credential (``links.py``). It
travels in the query string, not the path, because Home Assistant's HTTP layer logs request
paths at debug level and the secret must never reach a log.

- GET shows the page; POST changes the user's limit, its period and the warning notification.
- Without a valid secret: 404 with no body worth reading, the same for every wrong guess; once
  too many wrong guesses came from one client (an IPv4 address or an IPv6 /64) or from
  everywhere, wrong guesses answer 429 for a while. A valid secret is always served: a building
  behind one NAT address, or a botnet guessing, must not lock coworkers out of their page.
- A user's page saves at most ``CHANGES_PER_USER`` changes a minute (``ChangeLimiter``); more
  answer 429: each change writes the configuration and a logbook line.
- The form's body is read up to ``MAX_FORM_BYTES`` whether or not it announces its length (a
  chunked body does not), so no request makes the server hold more. The secret is looked up
  again once the body is in, as a client may take hours to send it: the change is checked
  against the user's settings as they are then, not as they were when the request began.
- The form is protected against cross-site requests three ways: a token bound to the user's
  secret and its issue time (a page from another site cannot know it), the Fetch metadata
  (``Sec-Fetch-Site`` must be ``same-origin`` when the browser sends it) and ``Origin`` (when
  sent, the page's own host). SameSite cookies would not help: there are none.
- Every answer says ``Cache-Control: no-store``, so a shared computer's cache keeps nothing.
  Home Assistant sends ``Referrer-Policy: no-referrer`` with every answer; the page narrows it
  to ``same-origin`` for itself (a ``<meta>``): with ``no-referrer`` browsers send
  ``Origin: null`` with the form, and the origin check could no longer tell the page's own
  form from a sandboxed attacker's. The link still never leaves for another site.
"""

from __future__ import annotations

import asyncio
from http import HTTPStatus
from typing import Final
from urllib.parse import parse_qsl, urlencode, urlsplit

from aiohttp import web
from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers.http import KEY_HASS, HomeAssistantView

from ..billing.ledger import Ledger
from ..billing.users import UserConfig
from ..const import DOMAIN
from ..entry_kinds import is_billing_entry
from .figures import async_figures
from .form import FormError, apply, parse
from .i18n import LANGUAGES, Words, async_words, pick_language
from .links import (
    CHANGE_WINDOW_S,
    FAILURE_WINDOW_S,
    URL_PREFIX,
    ChangeLimiter,
    FailureLimiter,
    async_get_links,
    client_key,
)
from .page import CSP, FormState, render

PAGE_URL: Final = URL_PREFIX.rstrip("/")
KEY_PARAM: Final = "key"
HEADERS: Final = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": CSP,
}
MAX_FORM_BYTES: Final = 4096
FORM_TYPE: Final = "application/x-www-form-urlencoded"


def billing(hass: HomeAssistant) -> tuple[ConfigEntry[Ledger], Ledger] | None:
    """The loaded billing entry and its ledger: without them no user exists."""
    for entry in hass.config_entries.async_entries(DOMAIN):
        if is_billing_entry(entry) and entry.state is ConfigEntryState.LOADED:
            return entry, entry.runtime_data
    return None


class CoworkerView(HomeAssistantView):
    url = PAGE_URL
    name = f"api:{DOMAIN}:coworker"
    requires_auth = False

    def __init__(self) -> None:
        self.limiter = FailureLimiter()
        self.changes = ChangeLimiter()

    async def get(self, request: web.Request) -> web.StreamResponse:
        hass = request.app[KEY_HASS]
        found = await self._user(request)
        if isinstance(found, web.Response):
            return found
        _, ledger, user, key = found
        words = await async_words(hass, _language(request, hass))
        token = async_get_links(hass).form_token(user.id)
        form = FormState(token=token, saved=request.query.get("saved") == "1")
        return await self._page(
            hass, ledger=ledger, user=user, key=key, words=words, form=form, status=HTTPStatus.OK
        )

    async def post(self, request: web.Request) -> web.StreamResponse:
        hass = request.app[KEY_HASS]
        found = await self._user(request)
        if isinstance(found, web.Response):
            return found
        key = found[3]
        if not _same_origin(request):
            return _plain(HTTPStatus.FORBIDDEN)
        fields = await _form_fields(request)
        if isinstance(fields, web.Response):
            return fields
        language = fields.get("lang") if fields.get("lang") in LANGUAGES else None
        words = await async_words(hass, language or _language(request, hass))
        manager_words = await async_words(hass, pick_language(None, hass.config.language))
        # The client sends the body as slowly as it likes: the manager may have locked the
        # limit, lowered its maximum, renewed the link or removed the user meanwhile. The
        # change is checked against the user as they are now, and nothing waits between that
        # check and the save.
        if (current := _lookup(hass, key)) is None:
            return _plain(HTTPStatus.NOT_FOUND)
        entry, ledger, user = current
        links = async_get_links(hass)
        form = FormState(
            token=links.form_token(user.id),
            limit=fields.get("limit"),
            period=fields.get("period"),
            notify_warning=fields.get("notify_warning") == "on",
        )
        error: tuple[str, HTTPStatus] | None = None
        change = None
        if not links.check_form_token(user.id, fields.get("token", "")):
            error = (words("err_expired"), HTTPStatus.FORBIDDEN)
        else:
            try:
                change = parse(user, fields, words)
            except FormError as err:
                error = (str(err), HTTPStatus.BAD_REQUEST)
        if error is not None or change is None:
            # The form comes back with what was typed and why it was refused; nothing changed.
            form.error, status = error or ("", HTTPStatus.BAD_REQUEST)
            return await self._page(
                hass, ledger=ledger, user=user, key=key, words=words, form=form, status=status
            )
        if self.changes.blocked(user.id):
            return _plain(HTTPStatus.TOO_MANY_REQUESTS, retry_after_s=CHANGE_WINDOW_S)
        if apply(hass, entry, user, change, manager_words):
            self.changes.saved(user.id)
        query = urlencode({KEY_PARAM: key, "lang": words.language, "saved": "1"})
        return web.Response(
            status=HTTPStatus.SEE_OTHER, headers={**HEADERS, "Location": f"{PAGE_URL}?{query}"}
        )

    async def _user(
        self, request: web.Request
    ) -> tuple[ConfigEntry[Ledger], Ledger, UserConfig, str] | web.Response:
        """The user the secret opens, or the refusal (counted as a failure).

        The secret is resolved before the limiter is asked, so 429 only ever answers a wrong
        secret: others' guesses cannot shut a coworker out of their own page.
        """
        hass = request.app[KEY_HASS]
        key = request.query.get(KEY_PARAM, "")
        await async_get_links(hass).async_load()
        if (found := _lookup(hass, key)) is not None:
            return *found, key
        client = client_key(request.remote)
        if self.limiter.blocked(client):
            return _plain(HTTPStatus.TOO_MANY_REQUESTS, retry_after_s=FAILURE_WINDOW_S)
        self.limiter.failed(client)
        return _plain(HTTPStatus.NOT_FOUND)

    async def _page(
        self,
        hass: HomeAssistant,
        *,
        ledger: Ledger,
        user: UserConfig,
        key: str,
        words: Words,
        form: FormState,
        status: HTTPStatus,
    ) -> web.Response:
        figures = await async_figures(hass, ledger, user)
        html = render(
            figures,
            words,
            form,
            path=f"{PAGE_URL}?{urlencode({KEY_PARAM: key})}",
            warning_percent=ledger.settings.warning_percent,
        )
        response = web.Response(
            text=html, content_type="text/html", charset="utf-8", status=status, headers=HEADERS
        )
        response.enable_compression()
        return response


def _lookup(hass: HomeAssistant, key: str) -> tuple[ConfigEntry[Ledger], Ledger, UserConfig] | None:
    """The current user the secret opens (the links loaded), in time independent of the key."""
    found = billing(hass)
    users: dict[str, UserConfig] = {} if found is None else found[1].users
    user_id = async_get_links(hass).resolve(key, users)
    if found is None or user_id is None:
        return None
    return found[0], found[1], users[user_id]


async def _form_fields(request: web.Request) -> dict[str, str] | web.Response:
    """The posted form's fields (the last of a repeated name), or the refusal.

    The body is read with a limit rather than trusting Content-Length, which a chunked body
    does not send.
    """
    if (request.content_length or 0) > MAX_FORM_BYTES:
        return _plain(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
    try:
        body = await request.content.readexactly(MAX_FORM_BYTES + 1)
    except asyncio.IncompleteReadError as short:
        body = short.partial
    else:
        return _plain(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
    if request.content_type != FORM_TYPE:
        return _plain(HTTPStatus.UNSUPPORTED_MEDIA_TYPE)
    try:  # the page is UTF-8, so its form is too
        return dict(parse_qsl(body.decode(), keep_blank_values=True, errors="strict"))
    except ValueError:  # UnicodeDecodeError included
        return _plain(HTTPStatus.BAD_REQUEST)


def _language(request: web.Request, hass: HomeAssistant) -> str:
    if (asked := request.query.get("lang")) in LANGUAGES:
        return asked
    return pick_language(request.headers.get("Accept-Language"), hass.config.language)


def _same_origin(request: web.Request) -> bool:
    """Fetch metadata and Origin, when the browser sends them, must name this site."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return origin != "null" and urlsplit(origin).netloc.lower() == request.host.lower()


def _plain(status: HTTPStatus, *, retry_after_s: float | None = None) -> web.Response:
    headers = (
        HEADERS if retry_after_s is None else {**HEADERS, "Retry-After": f"{retry_after_s:.0f}"}
    )
    return web.Response(text=f"{status.value} {status.phrase}", status=status, headers=headers)
