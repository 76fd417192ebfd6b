"""The agent's HTTP API as the reporter uses it, on the standard library alone.

Failures come in two kinds the caller treats differently: ``AgentUnavailable`` (the network, a
timeout, a server error: try again later) and ``AgentRefused`` (the agent answered no, with its
error code: retrying the same request will not help, except when it says when to).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.client
import json
import math
import re
import socket
import threading
import time
from typing import Any
import urllib.parse

from smartmulti_reporter import __version__

API = "/api/v1"
TIMEOUT_S = 15.0  # above the agent's 5 s long-poll of pairing answers
MAX_ANSWER_BYTES = 256 * 1024


class AgentError(Exception):
    pass


class AgentUnavailable(AgentError):  # noqa: N818 (a state, not a bug: the agent may come back)
    """The agent could not be reached or failed; worth retrying later."""


class AgentRefused(AgentError):  # noqa: N818
    """The agent answered with an error."""

    def __init__(
        self, status: int, code: str, message: str, retry_after_s: float | None = None
    ) -> None:
        super().__init__(f"{message} ({status} {code})")
        self.status = status
        self.code = code
        self.message = message
        self.retry_after_s = retry_after_s


def normalise_url(url: str) -> str:
    """``192.168.1.20:8450`` or ``http://strip.local:8450/`` → ``http://host:port``."""
    url = url.strip()
    if "://" not in url:
        url = "http://" + url
    parts = urllib.parse.urlsplit(url)
    if parts.username is not None or parts.password is not None:
        # The agent takes none, and the address is logged: a password there would be too.
        raise ValueError("the address holds a user name or password; the strip needs neither")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    try:
        parts.port  # noqa: B018 (parsing it is the check)
    except ValueError:
        raise ValueError(f"not a port number (1-65535): {url!r}") from None
    return f"{parts.scheme}://{parts.netloc}"


class AgentClient:
    def __init__(self, url: str, token: str, *, timeout_s: float = TIMEOUT_S) -> None:
        self.url = normalise_url(url)
        self._token = token
        self._timeout_s = timeout_s

    def report_battery(
        self,
        outlet: int,
        percent: float,
        plugged: bool,
        user: str | None,
        *,
        credential: str | None = None,
    ) -> dict[str, Any]:
        """Post the battery with the laptop's ``credential`` for that outlet (from its pairing),
        or with the client's own token when that is the credential (an outlet given by hand)."""
        body: dict[str, Any] = {"percent": percent, "plugged": plugged}
        if user:
            body["user"] = user
        return self.request("POST", f"{API}/outlets/{outlet}/battery", body, token=credential)

    def start_pairing(
        self, plugged: bool, user: str | None, user_proof: str | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"plugged": plugged}
        if user:
            body["user"] = user
        if user_proof:
            body["user_proof"] = user_proof
        return self.request("POST", f"{API}/pairings", body)

    def proof_challenge(self) -> str | None:
        """A one-time challenge for the next pairing's proof; None from an agent too old to
        issue one (its pairings then carry no proof: one without a challenge could be
        replayed by anyone who saw it, and Home Assistant bills nobody on it)."""
        try:
            answer = self.request("POST", f"{API}/proof-challenge")
        except AgentRefused as refusal:
            if refusal.status == 404:
                return None
            raise
        challenge = answer.get("challenge")
        if not isinstance(challenge, str) or not _CHALLENGE.fullmatch(challenge):
            raise AgentUnavailable("the agent's challenge is not one")
        return challenge

    def answer(self, pairing_id: str, window: int, plugged: bool) -> dict[str, Any]:
        path = f"{API}/pairings/{urllib.parse.quote(pairing_id, safe='')}/answers"
        return self.request("POST", path, {"window": window, "plugged": plugged})

    def pairing(self, pairing_id: str) -> dict[str, Any]:
        return self.request("GET", f"{API}/pairings/{urllib.parse.quote(pairing_id, safe='')}")

    def cancel_pairing(self, pairing_id: str, *, timeout_s: float = 2.0) -> dict[str, Any]:
        path = f"{API}/pairings/{urllib.parse.quote(pairing_id, safe='')}"
        return self.request("DELETE", path, timeout_s=timeout_s)

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        timeout_s: float | None = None,
        token: str | None = None,
    ) -> dict[str, Any]:
        """One call; the decoded JSON object, or ``AgentRefused`` / ``AgentUnavailable``.

        The whole exchange has one deadline, and the answer a size limit: whatever answers at
        the agent's address may trickle bytes or send without end. A redirect is never followed
        (the agent makes none): following one would hand the token to the address it names.
        """
        data = None if body is None else json.dumps(body).encode()
        headers = {
            "Authorization": f"Bearer {token or self._token}",
            "Accept": "application/json",
            "Content-Type": "application/json",
            "User-Agent": f"smartmulti-reporter/{__version__}",
        }
        deadline_s = timeout_s or self._timeout_s
        parts = urllib.parse.urlsplit(self.url)
        # The strip is on the local network: no proxy, which would only break it.
        kind = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        connection = kind(parts.hostname or "", parts.port, timeout=deadline_s)
        expired = threading.Event()
        started = time.monotonic()
        timer: threading.Timer | None = None
        try:
            connection.connect()  # within the socket's timeout, which is the deadline
            timer = threading.Timer(
                deadline_s - (time.monotonic() - started), _abort, (connection, expired)
            )
            timer.daemon = True
            timer.start()
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            raw = response.read(MAX_ANSWER_BYTES + 1)
            status, reason = response.status, response.reason
        except (OSError, http.client.HTTPException) as err:  # timeouts are OSErrors
            if expired.is_set():
                raise AgentUnavailable(
                    f"{self.url} did not answer within {deadline_s:g} s"
                ) from None
            raise AgentUnavailable(f"cannot reach {self.url}: {err}") from None
        finally:
            if timer is not None:
                timer.cancel()
            connection.close()
        if expired.is_set():
            raise AgentUnavailable(f"{self.url} did not answer within {deadline_s:g} s")
        if len(raw) > MAX_ANSWER_BYTES:
            raise AgentUnavailable("the agent's answer is too large to be one")
        if 300 <= status < 400:
            raise AgentUnavailable(f"{self.url} answered with a redirect ({status}): not the agent")
        if status >= 500:
            raise AgentUnavailable(f"the agent failed ({status})")
        if status >= 400:
            raise _refusal(status, reason, raw)
        return _json_object(raw)


def _abort(connection: http.client.HTTPConnection, expired: threading.Event) -> None:
    """End an exchange past its deadline: shutting the socket wakes the read it blocks in."""
    expired.set()
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    # ValueError: a number over the parser's digit limit; RecursionError: nesting too deep.
    except (ValueError, RecursionError):
        raise AgentUnavailable("the agent's answer is not JSON") from None
    if not isinstance(value, dict):
        raise AgentUnavailable("the agent's answer is not a JSON object")
    return value


def _refusal(status: int, reason: str, raw: bytes) -> AgentRefused:
    try:
        error = _json_object(raw).get("error", {})
    except AgentUnavailable:
        error = {}
    if not isinstance(error, dict):
        error = {}
    retry = error.get("retry_after_s")
    return AgentRefused(
        status,
        str(error.get("code", "http_error")),
        str(error.get("message", reason)),
        float(retry) if isinstance(retry, int | float) and math.isfinite(retry) else None,
    )


#: What the proof of a user signs; Home Assistant checks the same
#: (``custom_components/smartmulti/coworker/links.py``, ``REPORTER_PROOF_MESSAGE``).
PROOF_MESSAGE = b"smartmulti reporter"
_CHALLENGE = re.compile(r"[0-9a-f]{32}")


def link_secret(link: str) -> str:
    """The secret of a coworker's personal link: the whole link as the manager sends it
    (``https://ha.example/api/smartmulti/coworker?key=SECRET``), or the secret alone."""
    text = link.strip()
    if "?" in text or "/" in text:
        text = (urllib.parse.parse_qs(urllib.parse.urlsplit(text).query).get("key") or [""])[0]
    if not 20 <= len(text) <= 128 or not all(
        c.isascii() and (c.isalnum() or c in "-_") for c in text
    ):
        raise ValueError("not a personal link: copy the whole link your manager sent")
    return text


def user_proof(secret: str, challenge: str) -> str:
    """What the reporter sends when it pairs to prove whose laptop it is, so that Home
    Assistant bills that user (a name alone bills nobody: anyone holding the shared reporter
    token could send it): the agent's one-time ``challenge`` and an HMAC over it keyed with the
    personal link's ``secret``. The link never leaves the laptop, and the agent spends the
    challenge at the pairing, so a copy seen on the LAN bills nobody."""
    message = PROOF_MESSAGE + b"\n" + challenge.encode()
    return f"{challenge}.{hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()}"
