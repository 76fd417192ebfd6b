"""The state file survives crashes: atomic replace, checksum, previous good copy."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from pi_agent.storage import StateStore


def test_saved_state_loads_back(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state.json")
    store.save({"outlets": {"1": {"energy_wh": 1.5}}})
    assert store.load() == {"outlets": {"1": {"energy_wh": 1.5}}}


def test_first_start_has_no_state(tmp_path: Path) -> None:
    assert StateStore(tmp_path / "state.json").load() is None


def test_state_file_is_private(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state.json")
    store.save({"a": 1})
    assert store.path.stat().st_mode & 0o777 == 0o600


def test_truncated_file_falls_back_to_previous_good_copy(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = StateStore(tmp_path / "state.json")
    store.save({"energy": 1})
    store.save({"energy": 2})
    store.path.write_bytes(store.path.read_bytes()[:20])
    with caplog.at_level(logging.WARNING):
        assert store.load() == {"energy": 1}
    assert "corrupt" in caplog.text
    assert "previous good state" in caplog.text


def test_garbled_file_is_detected_by_its_checksum(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state.json")
    store.save({"energy": 1})
    store.save({"energy": 2})
    store.path.write_text(store.path.read_text().replace('"energy": 2', '"energy": 9'))
    assert store.load() == {"energy": 1}


def test_both_copies_corrupt_means_no_state(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state.json")
    store.path.write_text("{")
    store.previous.write_text("garbage")
    assert store.load() is None


def test_crash_between_renames_keeps_the_previous_copy(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state.json")
    store.save({"energy": 1})
    store.save({"energy": 2})
    store.path.unlink()  # as if the process died after moving the current copy aside
    assert store.load() == {"energy": 1}
