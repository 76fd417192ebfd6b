"""``POST /api/v1/address-proof``: open to anyone, it proves the admin token's holder answers at
the address the request reached, and tells nothing that could stand for the token."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from pi_agent.api.address_proof import address_proof

from .api_support import (  # noqa: F401 (fixtures)
    Api,
    assert_error,
    fixture_agent,
    fixture_api,
    fixture_http,
)

NONCE = "00112233445566778899aabbccddeeff"


async def test_the_proof_names_the_address_reached_and_needs_no_token(api: Api) -> None:
    status, body = await api.call(
        "POST", "/api/v1/address-proof", token=None, body={"nonce": NONCE}
    )
    assert status == 200, body
    url = urlsplit(api.agent.url)
    assert (body["host"], body["port"]) == (url.hostname, url.port)
    assert body["proof"] == address_proof(api.agent.token, NONCE, "127.0.0.1", api.agent.port)
    assert api.agent.token not in str(body)
    _, again = await api.call("POST", "/api/v1/address-proof", token=None, body={"nonce": "f" * 32})
    assert again["proof"] != body["proof"]


@pytest.mark.parametrize(
    "body", [{}, {"nonce": "short"}, {"nonce": "Z" * 32}, {"nonce": 7}, {"nonce": "a" * 129}]
)
async def test_a_nonce_that_is_not_one_is_refused(api: Api, body: dict[str, object]) -> None:
    status, answer = await api.call("POST", "/api/v1/address-proof", token=None, body=body)
    assert_error(status, answer, 422, "invalid_value")
    assert answer["error"]["field"] == "nonce"


async def test_the_proof_opens_nothing(api: Api) -> None:
    _, body = await api.call("POST", "/api/v1/address-proof", token=None, body={"nonce": NONCE})
    status, answer = await api.call("GET", "/api/v1/state", token=body["proof"])
    assert_error(status, answer, 401, "unauthorized")
