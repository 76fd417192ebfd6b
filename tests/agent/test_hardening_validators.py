"""Names and numbers a probe sends: text Home Assistant could not store, numbers too long to
read. Each is refused naming the field, and leaves the strip as it was."""

from __future__ import annotations

from collections.abc import AsyncIterator
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import voluptuous as vol

from pi_agent.config import ConfigError, parse_config
from pi_agent.validators import NAME, integer, json_integer, number
from tests.support.agent import RunningAgent, start_agent

UNFIT_NAMES = [
    pytest.param("a\ud800b", "lone surrogate", id="lone-surrogate"),
    pytest.param("\udfff", "lone surrogate", id="lone-low-surrogate"),
    pytest.param("a\u202eb", "U+202E", id="right-to-left-override"),
    pytest.param("Desk\u200b1", "U+200B", id="zero-width-space"),
    pytest.param("\ufeffDesk", "U+FEFF", id="byte-order-mark"),
    pytest.param("Desk\u2066 1", "U+2066", id="left-to-right-isolate"),
    pytest.param("Desk\x7f", "control character", id="delete"),
    pytest.param("Desk\x85", "control character", id="next-line"),
    pytest.param("Desk\n1", "control character", id="newline"),
    pytest.param("Desk\u20281", "line", id="line-separator"),
]


@pytest.fixture
async def agent(tmp_path: Path, socket_enabled: None) -> AsyncIterator[RunningAgent]:
    running = await start_agent(tmp_path / "agent")
    yield running
    await running.stop()


async def send(
    agent: RunningAgent, method: str, path: str, raw: bytes, token: str | None = None
) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as http,
        http.request(
            method,
            agent.url + path,
            headers={
                "Authorization": f"Bearer {token or agent.token}",
                "Content-Type": "application/json",
            },
            data=raw,
            timeout=aiohttp.ClientTimeout(total=10),
        ) as response,
    ):
        return response.status, await response.json()


def body(**fields: Any) -> bytes:
    """JSON as a client writes it: a lone surrogate travels as its ``\\ud800`` escape."""
    return json.dumps(fields).encode()


async def names(agent: RunningAgent) -> list[str]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            agent.url + "/api/v1/state", headers={"Authorization": f"Bearer {agent.token}"}
        ) as response,
    ):
        state = await response.json()
    return [o["name"] for o in state["outlets"]]


# ---------------------------------------------------------------------- text


@pytest.mark.parametrize(("name", "problem"), UNFIT_NAMES)
def test_the_name_validator_refuses_what_home_assistant_cannot_store_or_show(
    name: str, problem: str
) -> None:
    with pytest.raises(vol.Invalid) as raised:
        NAME(name)
    assert problem in raised.value.msg


@pytest.mark.parametrize(
    "name",
    [
        "Desk 1",
        "Bureau d'Amélie",
        "Стол 3",
        "桌子",
        "میز\u200cکار",
        "👩\u200d💻 Desk",
        "Ünïcödé 🚀",
    ],
)
def test_names_in_any_script_and_emoji_are_accepted(name: str) -> None:
    assert NAME(name) == name


def test_a_too_long_name_says_how_long_it_may_be() -> None:
    with pytest.raises(vol.Invalid) as raised:
        NAME("x" * 65)
    assert raised.value.msg == "must be at most 64 characters (got 65)"


@pytest.mark.parametrize(("name", "problem"), UNFIT_NAMES[:4])
async def test_an_outlet_name_home_assistant_cannot_store_is_refused(
    agent: RunningAgent, name: str, problem: str
) -> None:
    before = await names(agent)
    status, answer = await send(agent, "PATCH", "/api/v1/outlets/2", body(name=name))
    assert status == 422, answer
    assert answer["error"]["field"] == "name"
    assert answer["error"]["message"].startswith("name: must not hold")
    assert problem in answer["error"]["message"]
    assert await names(agent) == before


@pytest.mark.parametrize(("name", "problem"), UNFIT_NAMES[:3])
async def test_a_pairing_user_name_home_assistant_cannot_store_is_refused(
    agent: RunningAgent, name: str, problem: str
) -> None:
    status, answer = await send(
        agent,
        "POST",
        "/api/v1/pairings",
        body(plugged=True, user=name),
        token=agent.reporter_token,
    )
    assert status == 422, answer
    assert answer["error"]["field"] == "user"
    assert problem in answer["error"]["message"]
    assert not agent.agent.controller.pairing.active
    assert agent.agent.controller.pairing.latest() is None


async def test_a_credential_user_name_home_assistant_cannot_store_is_refused(
    agent: RunningAgent,
) -> None:
    status, answer = await send(
        agent, "POST", "/api/v1/outlets/3/credential", body(user="Am\u202eina")
    )
    assert status == 422, answer
    assert answer["error"]["field"] == "user"
    assert not agent.agent.controller.pairing.credentials.has(3)


@pytest.mark.parametrize(("name", "problem"), UNFIT_NAMES)
def test_names_in_the_configuration_file_follow_the_same_rule(name: str, problem: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config({"outlets": [{"max_power_w": 100}, {"max_power_w": 100, "name": name}]})
    assert str(raised.value).startswith("outlets[2].name: must not hold")
    assert problem in str(raised.value)
    with pytest.raises(ConfigError) as raised:
        parse_config({"strip": {"name": name}, "outlets": [{"max_power_w": 100}]})
    assert str(raised.value).startswith("strip.name: must not hold")


# ---------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    "value",
    [-99999999999999999999, -(2**60), 99999999999999999999, -(10**400), 10**400],
)
def test_a_number_far_out_of_range_names_the_range_on_its_side(value: int) -> None:
    with pytest.raises(vol.Invalid) as raised:
        number(0, 100_000)(value)
    assert raised.value.msg.startswith("must be at least 0 and at most 100000 (got ")
    sign = "a negative" if value < 0 else "a"
    assert raised.value.msg.endswith(f"(got {sign} number of more than 15 digits)")


def test_a_number_in_range_given_as_a_big_integer_is_accepted() -> None:
    assert number(0, 2**60)(2**59) == float(2**59)


def test_an_integer_far_out_of_range_names_the_range() -> None:
    with pytest.raises(vol.Invalid) as raised:
        integer(0, 5)(-(10**400))
    assert raised.value.msg == (
        "must be between 0 and 5 (got a negative number of more than 15 digits)"
    )


@pytest.mark.parametrize("sign", ["", "-"])
def test_an_integer_literal_too_long_to_read_is_refused_by_its_field(sign: str) -> None:
    """``json.loads(parse_int=json_integer)``: the field's validator answers, not Python."""
    raw = '{"percent": ' + sign + "7" * 5000 + ', "plugged": true}'
    decoded = json.loads(raw, parse_int=json_integer)
    schema = vol.Schema({"percent": number(0, 100), "plugged": bool})
    with pytest.raises(vol.MultipleInvalid) as raised:
        schema(decoded)
    error = raised.value.errors[0]
    assert error.path == ["percent"]
    assert error.msg.startswith("must be at least 0 and at most 100 (got ")
    assert "sys.set_int_max_str_digits" not in error.msg
    assert json.loads("[12, -3]", parse_int=json_integer) == [12, -3]


def test_the_configuration_names_the_range_of_a_far_too_negative_number() -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config(
            {"strip": {"hard_limit_w": -99999999999999999999}, "outlets": [{"max_power_w": 1}]}
        )
    assert str(raised.value).startswith(
        "strip.hard_limit_w: must be more than 0 and at most 7400 (got a negative number"
    )
