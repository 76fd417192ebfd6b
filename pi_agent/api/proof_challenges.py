"""``POST /api/v1/proof-challenge``: a one-time challenge a reporter signs to prove its user.

A reporter proves whose laptop it is with an HMAC keyed with its user's personal link, which
Home Assistant checks before it bills that user. Signed over a fixed message, that HMAC would
never change: anyone who saw it once (it crosses the LAN in plain HTTP, to whatever answers at
the address the reporter was given) could start a pairing with it and have their own laptop
billed to that user. So the reporter signs a challenge this agent issued, sends
``<challenge>.<hmac>`` as the pairing's ``user_proof``, and the agent takes the challenge back
at the first pairing that carries it: a proof seen on the wire is spent. Home Assistant checks
the HMAC over the challenge the proof names, and bills no proof without one.

The reporter token asks for challenges, as it starts pairings. They live for two minutes (a
pairing starts at once after), and at most ``MAX_OUTSTANDING`` wait: a token holder asking for
more only pushes out the oldest, which a reporter that lost its own gets again.
"""

from __future__ import annotations

import secrets
from typing import Final

from aiohttp import web

from pi_agent.api.access import requires
from pi_agent.api.context import CONTEXT
from pi_agent.api.errors import ApiError

CHALLENGE_TTL_S: Final = 120.0
MAX_OUTSTANDING: Final = 256


class ProofChallenges:
    """The challenges issued and not yet taken, each until it expires (agent's monotonic
    clock)."""

    def __init__(self) -> None:
        self._expires: dict[str, float] = {}

    def issue(self, now: float) -> str:
        for challenge, expires in list(self._expires.items()):
            if expires < now:
                del self._expires[challenge]
        while len(self._expires) >= MAX_OUTSTANDING:
            del self._expires[next(iter(self._expires))]
        challenge = secrets.token_hex(16)
        self._expires[challenge] = now + CHALLENGE_TTL_S
        return challenge

    def take(self, challenge: str, now: float) -> bool:
        """Whether ``challenge`` was issued and is still due; it is spent either way."""
        expires = self._expires.pop(challenge, None)
        return expires is not None and now <= expires


PROOF_CHALLENGES: web.AppKey[ProofChallenges] = web.AppKey("proof_challenges")


def take_proof_challenge(request: web.Request, proof: str | None) -> None:
    """Spend the challenge ``proof`` names; refused (409) when it is unknown, spent or late."""
    if proof is None or "." not in proof:
        return
    challenge = proof.split(".", 1)[0]
    if not request.app[PROOF_CHALLENGES].take(challenge, request.app[CONTEXT].now()):
        raise ApiError(
            409,
            "stale_challenge",
            "the proof's challenge was not issued here, is spent or expired: ask for another",
        )


@requires("reporter")
async def post_proof_challenge(request: web.Request) -> web.Response:
    """A challenge for the next pairing's ``user_proof``."""
    challenge = request.app[PROOF_CHALLENGES].issue(request.app[CONTEXT].now())
    return web.json_response({"challenge": challenge, "expires_in_s": CHALLENGE_TTL_S})
