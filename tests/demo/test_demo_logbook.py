"""What the manager finds in Home Assistant's logbook (Activity) after the demo starts: no wall of
"became unavailable" lines, at the first start or at a restart on the same state."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
import time
from typing import Any

import aiohttp

from scripts.demo import Demo, prepare

# Entities that may honestly become unavailable around a start (none is expected).
AT_MOST = 2


async def became_unavailable(demo: Demo, since: datetime) -> list[dict[str, Any]]:
    """The logbook's "became unavailable" entries since ``since``, as the Activity page lists
    them (Home Assistant's logbook API)."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"{demo.ha_url}/api/logbook/{since.isoformat()}",
            params={"end_time": datetime.now(UTC).isoformat()},
            headers=demo.auth,
        ) as response,
    ):
        response.raise_for_status()
        entries = await response.json()
    return [entry for entry in entries if entry.get("state") == "unavailable"]


def started(root: Path, settle_s: float = 10) -> list[dict[str, Any]]:
    """Start the demo on ``root`` (set it up on the first time), let it run a little, stop it;
    the logbook's "became unavailable" entries of that run."""
    demo = Demo(root, "127.0.0.1", speed=1.0, seed=1)
    since = datetime.now(UTC) - timedelta(seconds=1)
    try:
        asyncio.run(prepare(demo))
        time.sleep(settle_s)  # a few balancing cycles and event-stream updates
        return asyncio.run(became_unavailable(demo, since))
    finally:
        demo.stop()


def summary(entries: list[dict[str, Any]]) -> str:
    counts = Counter(entry["entity_id"] for entry in entries)
    return f"{len(entries)} entries, most: {counts.most_common(5)}"


def test_a_restart_leaves_the_logbook_quiet(tmp_path: Path, socket_enabled: None) -> None:
    """The second start finds the strip, the users and the automations there: setting them up
    again makes no entity unavailable (a strip or billing entry reloaded at start would)."""
    root = tmp_path / "demo"
    started(root, settle_s=2)

    again = started(root)

    assert len(again) <= AT_MOST, summary(again)


def test_adding_the_users_leaves_the_others_available(tmp_path: Path, socket_enabled: None) -> None:
    """The first start adds 32 users one by one through the "Add user" flow, as a manager does
    in the UI: the users already there stay available."""
    first = started(tmp_path / "demo", settle_s=2)

    assert len(first) <= AT_MOST, summary(first)
