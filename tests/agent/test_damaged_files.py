"""Damaged or dangerous files: a clear error, the damaged file kept aside, no privilege change."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from pi_agent.auth import MIN_TOKEN_LENGTH, TokenError, Tokens, load_or_create_token
from pi_agent.cli import main
from pi_agent.runtime import Agent
from pi_agent.storage import StateStore
from tests.support.agent import build_agent

GOOD = "k" * 40


def aside(path: Path, tag: str) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}.{tag}-*"))


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"\xff\xfe\x00garbage-from-a-bad-card-\x80\x81", "not ASCII"),
        (b"", "empty"),
        (b"  \n", "empty"),
        (b"short\n", "shorter"),
        (b"a token with spaces inside it\n", "spaces"),
    ],
)
def test_a_damaged_token_file_is_kept_aside_and_replaced_loudly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, content: bytes, problem: str
) -> None:
    path = tmp_path / "token"
    path.write_bytes(content)
    with caplog.at_level(logging.ERROR):
        token = load_or_create_token(path)
    assert len(token) >= MIN_TOKEN_LENGTH
    assert path.read_text().strip() == token
    assert path.stat().st_mode & 0o777 == 0o600
    [kept] = aside(path, "damaged")
    assert kept.read_bytes() == content
    assert problem in caplog.text
    assert kept.name in caplog.text


def test_a_good_token_is_read_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text(GOOD + "\n")
    assert load_or_create_token(path) == GOOD
    assert not aside(path, "damaged")


def test_a_non_utf8_token_does_not_stop_the_agent(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "token").write_bytes(b"\xc3\x28\xa0\xa1" * 8)
    assert main(["--data-dir", str(data_dir), "--print-token"]) == 0
    assert len(aside(data_dir / "token", "damaged")) == 1


def test_a_reporter_token_equal_to_the_admin_token_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(TokenError):
        Tokens(admin=GOOD, reporter=GOOD)
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "token").write_text(GOOD)
    (data_dir / "reporter_token").write_text(GOOD + "\n")
    assert main(["--data-dir", str(data_dir), "--print-token"]) == 2
    assert "every laptop would be admin" in capsys.readouterr().err


def test_both_corrupt_state_copies_are_kept_aside_not_overwritten(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = StateStore(tmp_path / "state.json")
    store.path.write_bytes(b'{"format": 1, "data": {"outlets": {"1": {"energy_wh": 9')
    store.previous.write_bytes(b"\x00" * 64)
    with caplog.at_level(logging.ERROR):
        assert store.load() is None
    store.save({"outlets": {}})
    assert [p.read_bytes()[:9] for p in aside(store.path, "corrupt")] == [b'{"format"']
    assert [p.read_bytes() for p in aside(store.previous, "corrupt")] == [b"\x00" * 64]
    assert "kept as" in caplog.text


def test_a_corrupt_newest_copy_is_kept_aside_and_the_previous_one_survives_the_next_save(
    tmp_path: Path,
) -> None:
    store = StateStore(tmp_path / "state.json")
    store.save({"n": 1})
    store.save({"n": 2})
    store.path.write_bytes(store.path.read_bytes()[:-10])
    assert store.load() == {"n": 1}
    store.save({"n": 3})
    assert store.load() == {"n": 3}
    assert StateStore._decode(store.previous.read_bytes()) == {"n": 1}
    assert len(aside(store.path, "corrupt")) == 1


def agent_at(data_dir: Path) -> Agent:
    agent, _ = build_agent(data_dir, outlets=4)
    return agent


async def saved_twice(data_dir: Path) -> StateStore:
    """An agent that saved outlet 1 at 5 Wh, then at 7 Wh (the newest copy), and stopped."""
    agent = agent_at(data_dir)
    agent.controller.outlet(1).energy_wh = 5.0
    assert await agent.persist()
    agent.controller.outlet(1).energy_wh = 7.0
    assert await agent.persist()
    agent.shutdown_hardware()
    return StateStore(data_dir / "state.json")


def rewrite_newest(store: StateStore, outlet: str, field: str, value: object) -> None:
    """What a bug or a hand edit leaves: bad content under a checksum that matches it."""
    previous = store.previous.read_bytes()
    saved = store.load()
    assert saved is not None
    saved["outlets"][outlet][field] = value
    store.save(saved)
    store.previous.write_bytes(previous)  # the save moved the 7 Wh copy there: as before


@pytest.mark.parametrize("bad", ["7.0", -1.0, float("nan"), float("inf"), None, True, [7.0]])
async def test_a_counter_that_is_not_one_falls_back_to_the_previous_good_copy(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, bad: object
) -> None:
    store = await saved_twice(tmp_path)
    rewrite_newest(store, "1", "energy_wh", bad)
    with caplog.at_level(logging.WARNING):
        again = agent_at(tmp_path)
    assert again.controller.outlet(1).energy_wh == 5.0  # the previous copy's, not 0
    assert f"outlet 1: energy_wh {bad!r} is not an energy counter" in caplog.text
    assert "Using the previous good state file" in caplog.text
    [kept] = aside(store.path, "corrupt")
    assert kept.name in caplog.text
    assert StateStore._decode(kept.read_bytes()) is not None  # kept as it was, to recover


async def test_both_copies_with_bad_counters_start_a_new_epoch_and_keep_both_aside(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = await saved_twice(tmp_path)
    first = agent_at(tmp_path).epoch
    rewrite_newest(store, "1", "energy_wh", "lots")
    saved = StateStore._decode(store.previous.read_bytes())
    assert saved is not None
    saved["outlets"] = ["not", "a", "table"]
    StateStore(store.previous).save(saved)
    with caplog.at_level(logging.ERROR):
        again = agent_at(tmp_path)
    # Counted from 0 under a new epoch: Home Assistant reads a new meter, not a lower reading.
    assert again.controller.outlet(1).energy_wh == 0.0
    assert again.epoch != first
    assert "its outlets are not a table" in caplog.text
    assert len(aside(store.path, "corrupt")) == len(aside(store.previous, "corrupt")) == 1


async def test_a_saved_maximum_that_is_not_a_power_keeps_the_configured_one(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = await saved_twice(tmp_path)
    configured = agent_at(tmp_path).controller.outlet(2).max_power_w
    rewrite_newest(store, "2", "max_power_w", "lots")
    with caplog.at_level(logging.WARNING, logger="pi_agent.runtime"):
        again = agent_at(tmp_path)
    assert again.controller.outlet(2).max_power_w == configured
    assert again.controller.outlet(1).energy_wh == 7.0  # the rest of the copy is used
    assert "Not restored from the state file: outlet 2: max_power_w ('lots' is not a power)" in (
        caplog.text
    )
    assert not aside(store.path, "corrupt")
