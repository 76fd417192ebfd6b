"""The laptop's side of automatic pairing: answer the strip's questions until it has a result.

The agent does all the timing: each of its answers comes back once the relays have settled, and
says whether to read the plugged flag now (``observe``). The laptop reads it then, never before,
so the flag's lag and the network's delay cannot make it answer for the wrong window.
"""

from __future__ import annotations

from collections.abc import Callable
import contextlib
from dataclasses import dataclass
from typing import Any

from smartmulti_reporter.client import AgentClient, AgentError, AgentUnavailable, user_proof

POLL_S = 0.2  # only when an answer came back before the next window settled


class Stopped(Exception):  # noqa: N818 (not an error: someone asked the reporter to stop)
    """The reporter was asked to stop."""


@dataclass(frozen=True, slots=True)
class PairingResult:
    status: str  # paired, ambiguous, failed, cancelled
    outlet: int | None
    confidence: float | None
    windows: int
    reason: str | None
    message: str
    # This laptop's own credential for its outlet: its battery reports need it (the shared
    # reporter token only starts pairings).
    credential: str | None = None

    @classmethod
    def from_view(cls, view: dict[str, Any]) -> PairingResult:
        return cls(
            status=str(view["status"]),
            outlet=view.get("outlet"),
            confidence=view.get("confidence"),
            windows=int(view.get("windows", 0)),
            reason=view.get("reason"),
            message=str(view.get("message", "")),
            credential=view.get("credential") or None,
        )


def pair(
    client: AgentClient,
    plugged: Callable[[], bool],
    user: str | None,
    *,
    pause: Callable[[float], bool],
    link_secret: str | None = None,
) -> PairingResult:
    """Run one pairing to its end.

    ``plugged`` reads the flag now; ``pause(s)`` waits and returns True if the reporter must
    stop. Raises ``AgentRefused`` when the pairing cannot start (the code says why),
    ``AgentUnavailable`` when the agent is lost, ``Stopped`` when asked to stop. Whatever
    interrupts it, the pairing is cancelled so the strip puts its relays back at once.
    """
    proof = None
    if link_secret is not None and (challenge := client.proof_challenge()) is not None:
        proof = user_proof(link_secret, challenge)
    view = checked(client.start_pairing(plugged(), user, proof))
    pairing_id = view["id"]
    try:
        view = _answer_until_done(client, pairing_id, view, plugged, pause)
    except BaseException:  # Ctrl-C included: never leave the strip holding relays for us
        with contextlib.suppress(AgentError):  # else the agent ends it by itself in seconds
            client.cancel_pairing(pairing_id)
        raise
    return PairingResult.from_view(view)


def _answer_until_done(
    client: AgentClient,
    pairing_id: str,
    view: dict[str, Any],
    plugged: Callable[[], bool],
    pause: Callable[[float], bool],
) -> dict[str, Any]:
    while view["status"] == "running":
        if view["observe"]:
            view = checked(client.answer(pairing_id, view["window"], plugged()))
        elif pause(POLL_S):
            raise Stopped
        else:
            view = checked(client.pairing(pairing_id))
    return view


def checked(view: dict[str, Any]) -> dict[str, Any]:
    """The agent's view of a pairing, or ``AgentUnavailable``.

    Whatever answers at the configured address may not be the agent (another service on its
    port, a captive portal): an answer that is not a pairing is retried later like an agent out
    of reach, never a crash of the reporter or a wrong outlet taken for its own.
    """
    problem = _problem(view)
    if problem is not None:
        raise AgentUnavailable(f"the agent's answer is not a pairing: {problem}")
    return view


def _problem(view: dict[str, Any]) -> str | None:
    def whole(value: object) -> bool:
        return type(value) is int

    if not isinstance(view.get("id"), str) or not view["id"]:
        return "no id"
    if not isinstance(view.get("status"), str):
        return "no status"
    if view["status"] == "running":
        if not isinstance(view.get("observe"), bool):
            return "no observe flag"
        if view["observe"] and not whole(view.get("window")):
            return f"window {view.get('window')!r}"
    for key, ok in (
        ("outlet", whole),
        ("windows", whole),
        ("confidence", lambda v: isinstance(v, int | float) and not isinstance(v, bool)),
        ("credential", lambda v: isinstance(v, str)),
        ("reason", lambda v: isinstance(v, str)),
        ("message", lambda v: isinstance(v, str)),
    ):
        value = view.get(key)
        if value is not None and not ok(value):
            return f"{key} {value!r}"
    return None
