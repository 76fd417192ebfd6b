"""The demo's consumption as the manager and a coworker see it, in headless Chromium.

The manager: the Consumption view's charts and a user's device page with the personal link's
QR code. The coworker: their personal page from the link the demo prints, with the simulated
weeks behind it. ``UPDATE_SCREENSHOTS=1`` copies the screenshots into ``docs/img``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
import re
import time
from typing import Any

import aiohttp

from pi_agent.sim.fleet import OWNERS
from scripts.demo import Demo
from tests.support.chromium import needs_chromium

from .browser_support import log_in, open_page, save, wait_for_text

pytestmark = needs_chromium


async def _user_device(running: Demo, name: str) -> str:
    async with aiohttp.ClientSession() as session:
        ws = await running.websocket(session)
        try:
            devices = await ws.call("config/device_registry/list")
        finally:
            await ws.close()
    return next(d["id"] for d in devices if d["model"] == "User" and d["name"] == name)


def test_the_manager_sees_consumption_charts_and_a_coworker_their_page(
    demo: tuple[Demo, dict[str, Any]],
    browser: Any,
    tmp_path: Path,
) -> None:
    running, summary = demo
    assert summary["history_users"] == len(OWNERS)

    # The coworker first: no login, only the link.
    browser.set_window_size(390, 844)
    browser.get(summary["personal_link"])
    wait_for_text(browser, "My charging", "Per day, last 30 days")
    html = browser.page_source
    days = re.findall(r"<tr><td>[^<]+</td><td>([0-9.,]+)</td></tr>", html)[:30]
    assert sum(float(value.replace(",", "")) for value in days) > 1.0  # the simulated past
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(390, int(height) + 140)
    assert save(browser, tmp_path, "coworker_demo.png").stat().st_size > 20_000

    browser.set_window_size(1400, 1800)
    log_in(browser, running)
    consumption = str(summary["dashboard"]).replace("/strip", "/consumption")
    open_page(
        browser,
        f"{running.ha_url}/{consumption}",
        "Energy per user, per day",
        "Energy per user, per week",
        "Strip power against its budget",
        "Waiting laptops",
    )
    time.sleep(3)  # the charts draw after their statistics arrive
    assert save(browser, tmp_path, "consumption.png").stat().st_size > 20_000

    device = asyncio.run(_user_device(running, OWNERS[0]))
    open_page(
        browser,
        f"{running.ha_url}/config/devices/device/{device}",
        "Personal link",
        "Renew personal link",
        "Send personal link",
    )
    assert save(browser, tmp_path, "user_device.png").stat().st_size > 20_000
