"""Fixtures of the demo's browser tests: the demo running on loopback (in a chosen language) and a
headless Chromium to look at it.

Every browser test of this folder starts from the same demo and the same browser; as fixtures
here pytest hands them to each test module without any module importing another.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.demo import Demo, prepare
from tests.support.chromium import chromium


@pytest.fixture
def language() -> str:
    return "en"


@pytest.fixture
def demo(
    tmp_path: Path, socket_enabled: None, language: str
) -> Iterator[tuple[Demo, dict[str, object]]]:
    running = Demo(tmp_path / "demo", "127.0.0.1", speed=1.0, seed=1, language=language)
    try:
        _, summary = asyncio.run(prepare(running))
        yield running, summary
    finally:
        running.stop()
    # The demo runs the current release, newer than the one the rest of the suite runs: what
    # it reports about this integration (a deprecated call, blocking I/O in its loop) is a bug.
    assert running.reports() == []


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    """Chromium in English: the demo sets the manager's profile language, which the frontend
    follows rather than the browser's."""
    with chromium(tmp_path / "chromium", "--window-size=1400,1800", "--lang=en") as driver:
        yield driver
