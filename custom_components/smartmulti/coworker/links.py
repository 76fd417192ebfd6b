"""Personal links: one unguessable secret per user, the only key to their page.

A coworker has no Home Assistant account (any non-admin user could still switch every outlet),
so the link itself is the credential, like a shared-document link: 32 random bytes (256 bits)
from ``secrets``. The secrets are kept in Home Assistant's storage
(``.storage/smartmulti.coworker_links``) rather than as hashes, because the manager's device
page shows the link and its QR code again at any time. Renewing draws a new secret, so the old
link stops working at once; a user removed from the billing entry loses theirs at the next
request, whatever the storage still holds (``resolve`` only answers for current users).

Lookups compare the presented secret with every stored one in constant time and never stop at
a match, so the time taken says nothing about how close a guess was. Wrong secrets are counted
per client (``client_key``) and overall, and refused for a while once too many
(``FailureLimiter``); a right secret is always served, so nobody's guesses can lock a coworker
out of their own page.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Collection
import functools
import hashlib
import hmac
import ipaddress
import re
import secrets
import time
from typing import Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util.hass_dict import HassKey

from ..const import DOMAIN
from ..stored_data import StoredData

LINKS_KEY: HassKey[CoworkerLinks] = HassKey(f"{DOMAIN}_coworker_links")
STORAGE_KEY: Final = f"{DOMAIN}.coworker_links"
STORAGE_VERSION: Final = 1
SECRET_BYTES: Final = 32
FORM_KEY_BYTES: Final = 32
_SECRET: Final = re.compile(r"[A-Za-z0-9_-]{43}")  # SECRET_BYTES, in URL-safe base64
# Every path of the page starts with this; the secret follows it.
URL_PREFIX: Final = f"/api/{DOMAIN}/coworker/"
# A form token is good for this long: a page left open over a weekend asks for a reload.
FORM_TOKEN_TTL_S: Final = 12 * 3600
# A genuine token is about 75 characters (a 10-digit time and a SHA-256 hex MAC); anything much
# longer is crafted and refused before any number is parsed from it.
MAX_FORM_TOKEN_CHARS: Final = 128
MAX_ISSUED_DIGITS: Final = 12
# Failures allowed per client address in the window before it is refused until the window
# slides past them; and across all clients, so a botnet spread over addresses is slowed too.
FAILURES_PER_CLIENT: Final = 10
FAILURES_OVERALL: Final = 200
FAILURE_WINDOW_S: Final = 300.0
# Changes one user may save from their page per window: more than anyone types by hand.
CHANGES_PER_USER: Final = 10
CHANGE_WINDOW_S: Final = 60.0


#: What a laptop's reporter signs with its user's secret, before the agent's challenge, to prove
#: whose laptop it is; the reporter (``smartmulti_reporter.client.user_proof``) signs the same.
REPORTER_PROOF_MESSAGE: Final = b"smartmulti reporter"
#: The agent's one-time challenge a proof names (``pi_agent/api/proof_challenges.py``).
_CHALLENGE = re.compile(r"[0-9a-f]{32}")


def link_path(secret: str) -> str:
    return f"{URL_PREFIX}{secret}"


def reporter_proof(secret: str, challenge: str) -> str:
    """What a reporter given this personal link sends when it pairs, over the agent's one-time
    ``challenge``: it proves the user without giving the link away (the agent's state, readable
    with the admin token, holds it), and once the agent has taken the challenge, a copy seen on
    the LAN proves nothing more. Renewing the link voids it, as it voids the page."""
    message = REPORTER_PROOF_MESSAGE + b"\n" + challenge.encode()
    mac = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"{challenge}.{mac}"


def _stored_secret(value: object) -> str:
    """A secret as ``secrets.token_urlsafe(SECRET_BYTES)`` made it: anything shorter or other
    (a store edited by hand) could be guessed, so it opens nothing."""
    if not isinstance(value, str) or not _SECRET.fullmatch(value):
        raise ValueError("not a personal link's secret")
    return value


def _stored_form_key(value: object) -> bytes:
    """The key as ``secrets.token_bytes(FORM_KEY_BYTES)`` made it: a shorter one signs forms
    anyone could forge."""
    key = bytes.fromhex(str(value))
    if len(key) != FORM_KEY_BYTES:
        raise ValueError("not a whole form key")
    return key


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest()


@functools.lru_cache(maxsize=4096)
def _proof_digest(secret: str, challenge: str) -> bytes:
    """The digest of the proof a secret makes over a challenge, computed once per pair: the
    paired user sensors ask whose a claim is at every push of every strip, and a pairing's
    proof does not change (a renewed link is a new secret)."""
    return _digest(reporter_proof(secret, challenge))


class CoworkerLinks:
    """The users' secrets, and the key that binds form tokens to them."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.hass = hass
        self._store: Store[dict[str, Any]] = Store(hass, STORAGE_VERSION, STORAGE_KEY)
        self._secrets: dict[str, str] = {}  # by user id
        self._form_key = b""
        self._loaded = False
        self._lock = asyncio.Lock()

    async def async_load(self) -> None:
        async with self._lock:
            if self._loaded:
                return
            stored = StoredData(STORAGE_KEY, await self._store.async_load())
            self._secrets = stored.mapping("secrets", _stored_secret)
            key = stored.one("form_key", _stored_form_key)
            self._form_key = key or secrets.token_bytes(FORM_KEY_BYTES)
            await stored.async_keep_damage_aside(self.hass)
            self._loaded = True
            if not key or stored.damaged:
                self._save()

    @callback
    def _save(self) -> None:
        self._store.async_delay_save(
            lambda: {"secrets": dict(self._secrets), "form_key": self._form_key.hex()}, 0
        )

    @callback
    def secret(self, user_id: str) -> str:
        """The user's secret, drawn the first time a link is asked for."""
        if (secret := self._secrets.get(user_id)) is None:
            secret = self._secrets[user_id] = secrets.token_urlsafe(SECRET_BYTES)
            self._save()
        return secret

    @callback
    def renew(self, user_id: str) -> str:
        """A new secret: the old link is dead from now on."""
        self._secrets[user_id] = secrets.token_urlsafe(SECRET_BYTES)
        self._save()
        return self._secrets[user_id]

    @callback
    def forget_others(self, user_ids: Collection[str]) -> None:
        """Drop the secrets of users that no longer exist (a user added again gets a new one)."""
        if gone := set(self._secrets) - set(user_ids):
            for user_id in gone:
                del self._secrets[user_id]
            self._save()

    def resolve(self, presented: str, user_ids: Collection[str]) -> str | None:
        """The current user whose secret ``presented`` is, in time independent of the guess.

        Digests make every comparison the same length; the loop visits every user.
        """
        wanted = _digest(presented)
        found: str | None = None
        for user_id, secret in self._secrets.items():
            if hmac.compare_digest(wanted, _digest(secret)) and user_id in user_ids:
                found = user_id
        return found

    def reporter_user(self, proof: str, user_ids: Collection[str]) -> str | None:
        """The current user whose link made ``proof`` (``reporter_proof``), in time
        independent of the guess, as ``resolve``."""
        challenge, dot, _ = proof.partition(".")
        if not dot or not _CHALLENGE.fullmatch(challenge):
            # Bound to no challenge (a reporter from before them): the same for every pairing,
            # so anyone who saw it once could send it. It bills nobody.
            return None
        wanted = _digest(proof)
        found: str | None = None
        for user_id, secret in self._secrets.items():
            if (
                hmac.compare_digest(wanted, _proof_digest(secret, challenge))
                and user_id in user_ids
            ):
                found = user_id
        return found

    # ------------------------------------------------------------------ form tokens

    def form_token(self, user_id: str, now: float | None = None) -> str:
        """A token for the page's form, bound to the user's current secret and its time."""
        issued = int(time.time() if now is None else now)
        return f"{issued}.{self._mac(user_id, issued)}"

    def check_form_token(self, user_id: str, token: str, now: float | None = None) -> bool:
        """Valid for this user's current secret (a renewed link voids it) and not expired."""
        if len(token) > MAX_FORM_TOKEN_CHARS:
            return False
        issued_text, _, mac = token.partition(".")
        # isdigit() alone accepts "²" and other digits int() refuses; the length keeps the
        # time a number a float can hold.
        if not (issued_text.isascii() and issued_text.isdigit()):
            return False
        if len(issued_text) > MAX_ISSUED_DIGITS:
            return False
        issued = int(issued_text)
        age = (time.time() if now is None else now) - issued
        return 0 <= age <= FORM_TOKEN_TTL_S and hmac.compare_digest(
            mac.encode(), self._mac(user_id, issued).encode()
        )

    def _mac(self, user_id: str, issued: int) -> str:
        message = f"{user_id}\n{self._secrets.get(user_id, '')}\n{issued}".encode()
        return hmac.new(self._form_key, message, hashlib.sha256).hexdigest()


@callback
def async_get_links(hass: HomeAssistant) -> CoworkerLinks:
    if (links := hass.data.get(LINKS_KEY)) is None:
        links = hass.data[LINKS_KEY] = CoworkerLinks(hass)
    return links


def client_key(remote: str | None) -> str:
    """Who a failure is counted against: an IPv4 address, or an IPv6 client's /64.

    An IPv6 host usually holds a whole /64 and can pick a new address in it for every request,
    so counting single IPv6 addresses would count nothing.
    """
    try:
        address = ipaddress.ip_address((remote or "").split("%", 1)[0])
    except ValueError:
        return remote or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if (mapped := address.ipv4_mapped) is not None:
            return str(mapped)
        return str(ipaddress.IPv6Network((int(address) >> 64 << 64, 64)))
    return str(address)


class FailureLimiter:
    """Wrong secrets per client (``client_key``) and overall in a sliding window.

    Only failures count and only failures are refused: a coworker presenting their own secret is
    served whatever others guessed, from their address or from anywhere.
    """

    def __init__(self) -> None:
        self._by_client: dict[str, deque[float]] = {}
        self._overall: deque[float] = deque()

    def _trim(self, window: deque[float], now: float) -> None:
        while window and window[0] <= now - FAILURE_WINDOW_S:
            window.popleft()

    def blocked(self, client: str, now: float | None = None) -> bool:
        at = time.monotonic() if now is None else now
        self._trim(self._overall, at)
        window = self._by_client.get(client)
        if window is not None:
            self._trim(window, at)
            if not window:
                del self._by_client[client]
                window = None
        return len(self._overall) >= FAILURES_OVERALL or (
            window is not None and len(window) >= FAILURES_PER_CLIENT
        )

    def failed(self, client: str, now: float | None = None) -> None:
        at = time.monotonic() if now is None else now
        self._by_client.setdefault(client, deque()).append(at)
        self._overall.append(at)
        if len(self._by_client) > FAILURES_OVERALL:  # addresses seen long ago
            for other, window in list(self._by_client.items()):
                self._trim(window, at)
                if not window:
                    del self._by_client[other]


class ChangeLimiter:
    """Changes saved from each user's page in a sliding window.

    Every change writes Home Assistant's configuration and a logbook line: a script holding a
    valid link must not be able to wear the disk or bury the logbook. Only saved changes count,
    per user, so one coworker's script never stops another's change.
    """

    def __init__(self) -> None:
        self._by_user: dict[str, deque[float]] = {}

    def blocked(self, user_id: str, now: float | None = None) -> bool:
        at = time.monotonic() if now is None else now
        window = self._by_user.get(user_id)
        while window and window[0] <= at - CHANGE_WINDOW_S:
            window.popleft()
        return window is not None and len(window) >= CHANGES_PER_USER

    def saved(self, user_id: str, now: float | None = None) -> None:
        self._by_user.setdefault(user_id, deque()).append(time.monotonic() if now is None else now)
