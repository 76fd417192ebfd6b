"""Damaged or dangerous files: a clear error, the damaged file kept aside, no privilege change."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from pi_agent.auth import MIN_TOKEN_LENGTH, TokenError, Tokens, load_or_create_token
from pi_agent.cli import main
from pi_agent.storage import StateStore

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
