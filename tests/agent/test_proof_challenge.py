"""A reporter's proof of its user is bound to a challenge the agent issued, and spent by the
first pairing that carries it: a proof seen on the LAN cannot bill anyone again."""

from __future__ import annotations

import hashlib
import hmac

from pi_agent.api.proof_challenges import CHALLENGE_TTL_S, MAX_OUTSTANDING, ProofChallenges

from .api_support import (  # noqa: F401 (fixtures)
    Api,
    assert_error,
    fixture_agent,
    fixture_api,
    fixture_http,
)

SECRET = "s" * 43


def _proof(challenge: str) -> str:
    message = b"smartmulti reporter\n" + challenge.encode()
    return f"{challenge}.{hmac.new(SECRET.encode(), message, hashlib.sha256).hexdigest()}"


async def _challenge(api: Api) -> str:
    status, body = await api.call("POST", "/api/v1/proof-challenge", token="reporter")
    assert status == 200, body
    assert body["expires_in_s"] == CHALLENGE_TTL_S
    return str(body["challenge"])


async def test_a_proof_is_taken_once_and_a_replayed_one_is_refused(api: Api) -> None:
    proof = _proof(await _challenge(api))
    status, started = await api.call(
        "POST",
        "/api/v1/pairings",
        token="reporter",
        body={"plugged": True, "user": "Amina", "user_proof": proof},
    )
    assert status == 201, started
    await api.call("DELETE", f"/api/v1/pairings/{started['id']}", token="reporter")

    # Someone who saw it on the wire starts their own pairing with it.
    status, body = await api.call(
        "POST",
        "/api/v1/pairings",
        token="reporter",
        body={"plugged": True, "user": "Amina", "user_proof": proof},
    )
    assert_error(status, body, 409, "stale_challenge")


async def test_a_proof_naming_a_challenge_never_issued_is_refused(api: Api) -> None:
    status, body = await api.call(
        "POST",
        "/api/v1/pairings",
        token="reporter",
        body={"plugged": True, "user_proof": _proof("0" * 32)},
    )
    assert_error(status, body, 409, "stale_challenge")


async def test_only_a_token_holder_is_given_challenges(api: Api) -> None:
    status, body = await api.call("POST", "/api/v1/proof-challenge", token="not-a-token")
    assert status == 401, body


def test_a_challenge_is_good_until_it_expires_and_only_once() -> None:
    challenges = ProofChallenges()
    late = challenges.issue(now=0.0)
    spent = challenges.issue(now=0.0)

    assert challenges.take(spent, now=CHALLENGE_TTL_S)
    assert not challenges.take(spent, now=CHALLENGE_TTL_S)
    assert not challenges.take(late, now=CHALLENGE_TTL_S + 0.1)


def test_a_flood_of_challenges_pushes_out_only_the_oldest() -> None:
    challenges = ProofChallenges()
    first, second = challenges.issue(now=0.0), challenges.issue(now=0.0)
    for _ in range(MAX_OUTSTANDING - 1):
        challenges.issue(now=1.0)

    assert not challenges.take(first, now=1.0)
    assert challenges.take(second, now=1.0)
