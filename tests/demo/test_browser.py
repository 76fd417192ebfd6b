"""The demo as a manager sees it: headless Chromium logs in and opens the SmartMulti pages."""

from __future__ import annotations

import asyncio
from pathlib import Path
import threading
import time

import aiohttp
import pytest

from scripts.demo import Demo
from tests.support.chromium import needs_chromium

from .browser_support import SELECTS, log_in, open_page, save, wait_for_text

pytestmark = needs_chromium


def reload_until(driver: object, *needles: str, attempts: int = 2, within_s: float = 45) -> str:
    """Wait for ``needles``, reloading the page as a person would when it stays half drawn.

    On a busy machine the frontend has drawn the sidebar before its translations arrived and
    kept the raw panel ids (``energy``, ``logbook``) past a minute; a reload draws it again.
    """
    for _ in range(attempts - 1):
        try:
            return wait_for_text(driver, *needles, within_s=within_s)
        except AssertionError:
            driver.refresh()  # type: ignore[attr-defined]
    return wait_for_text(driver, *needles, within_s=within_s)


# Every image of the page (in shadow roots too): its address and its drawn width (0: broken).
IMAGES = """
const found = [];
const walk = (node) => {
  if (node.tagName === "IMG") found.push([node.src, node.complete ? node.naturalWidth : -1]);
  if (node.shadowRoot) walk(node.shadowRoot);
  for (const child of node.children) walk(child);
};
walk(document.body);
return found;
"""


def wait_for_images(driver: object, within_s: float = 20) -> list[tuple[str, int]]:
    """The page's images once each has loaded or failed."""
    deadline = time.monotonic() + within_s
    images: list[tuple[str, int]] = []
    while time.monotonic() < deadline:
        images = [tuple(image) for image in driver.execute_script(IMAGES)]  # type: ignore[attr-defined]
        if images and all(width >= 0 for _, width in images):
            break
        time.sleep(0.5)
    return images


def test_manager_logs_in_and_sees_the_strip_dashboard_and_an_outlet_page(
    demo: tuple[Demo, dict[str, object]], browser: object, tmp_path: Path
) -> None:
    running, summary = demo
    log_in(browser, running)
    text = open_page(
        browser, f"{running.ha_url}/{summary['dashboard']}", "Strip", "Desk 1", "Desk 15", "Lamp"
    )
    assert any(state in text for state in ("Charging", "Waiting", "Full", "Off"))
    selects = browser.execute_script(SELECTS)  # type: ignore[attr-defined]
    assert ["Control", "auto", "Automatic"] in selects
    strategy = next(select for select in selects if "strategy" in str(select[0]).lower())
    assert strategy[1:] == ["smart", "Smart"]  # drawn with its value, on every load
    shot = save(browser, tmp_path, "dashboard.png")
    assert shot.stat().st_size > 20_000

    users = str(summary["dashboard"]).replace("/strip", "/users")
    open_page(browser, f"{running.ha_url}/{users}", "Amina Kaci", "Unassigned")
    assert save(browser, tmp_path, "users.png").stat().st_size > 20_000

    device = f"config/devices/device/{summary['first_outlet_device']}"
    open_page(browser, f"{running.ha_url}/{device}", "Desk 1", "Power", "Energy")
    assert save(browser, tmp_path, "device.png").stat().st_size > 20_000

    # Every device's integration icon is drawn, offline too: SmartMulti's from its brand
    # folder, Home Assistant's own (Backup) from the demo's placeholder.
    open_page(browser, f"{running.ha_url}/config/devices/dashboard", "Desk 1", "Backup")
    images = wait_for_images(browser)
    assert any("/api/brands/integration/smartmulti/" in src for src, _ in images)
    assert [src for src, width in images if not width] == [], "broken images"
    assert save(browser, tmp_path, "devices.png").stat().st_size > 20_000


def test_closing_hours_are_set_up_from_the_blueprint_and_editable_in_the_ui(
    demo: tuple[Demo, dict[str, object]], browser: object, tmp_path: Path
) -> None:
    """The manager finds the blueprints installed, the opening-hours calendar, and one
    automation made from each blueprint in the automation list, open in the editor."""
    running, _ = demo
    log_in(browser, running)
    open_page(
        browser,
        f"{running.ha_url}/config/automation/dashboard",
        "Close the strips outside opening hours",
        "Larger budget at off-peak hours",
        "Tell users about their consumption limit",
    )
    open_page(
        browser,
        f"{running.ha_url}/config/blueprint/dashboard",
        "SmartMulti closing hours",
        "SmartMulti off-peak budget",
        "SmartMulti limit notifications",
    )
    text = open_page(
        browser,
        f"{running.ha_url}/config/automation/edit/smartmulti_closing_hours",
        "Opening hours calendar",
        "Warning lead time",
    )
    # The editor drew the blueprint's form with the saved inputs, with nothing to fix.
    assert "Opening hours" in text
    assert "notify.persistent_notification" in str(
        browser.execute_script(  # type: ignore[attr-defined]
            """
            const values = [];
            const walk = (node) => {
              if (node.value !== undefined && typeof node.value === "string") values.push(node.value);
              if (node.shadowRoot) walk(node.shadowRoot);
              for (const child of node.children) walk(child);
            };
            walk(document.body);
            return values;
            """
        )
    )
    assert save(browser, tmp_path, "automation.png").stat().st_size > 20_000
    open_page(browser, f"{running.ha_url}/calendar", "Opening hours")


@pytest.mark.parametrize("language", ["fr"])
def test_a_french_speaking_manager_reads_french_everywhere(
    demo: tuple[Demo, dict[str, object]], browser: object, tmp_path: Path
) -> None:
    """Server language, entity names and the dashboards built from them: all French."""
    running, summary = demo
    log_in(browser, running)
    text = open_page(
        browser,
        f"{running.ha_url}/{summary['dashboard']}",
        "Multiprise",
        "Budget de puissance",
        "Ordinateurs en attente",
        "Ouvert ou fermé",
        "Relais",
        "Raison",
    )
    for english in ("Power budget", "Waiting laptops", "Strip power", "Reason"):
        assert english not in text, english
    # The states too, in the frontend's language.
    text = reload_until(browser, "Piloté par Home Assistant", "Paramètres")
    assert "En charge" in text or "En attente" in text
    for english in ("Planned by Home Assistant", "Charging", "Waiting for power", "Settings"):
        assert english not in text, english
    assert save(browser, tmp_path, "dashboard_fr.png").stat().st_size > 20_000


def test_a_user_added_while_the_demo_runs_appears_on_the_users_view(
    demo: tuple[Demo, dict[str, object]], browser: object, tmp_path: Path
) -> None:
    running, summary = demo
    stop = threading.Event()
    follower = threading.Thread(target=asyncio.run, args=(running.follow_users(stop, 0.5),))
    follower.start()
    try:

        async def add() -> None:
            async with aiohttp.ClientSession() as session:
                ws = await running.websocket(session)
                try:
                    entries = await ws.call("config_entries/get", domain="smartmulti")
                    billing = next(e for e in entries if e["title"] == "Users and billing")
                    await running.add_user(session, billing["entry_id"], "Zoé Martin")
                finally:
                    await ws.close()

        time.sleep(1)  # the follower knows the users there were
        asyncio.run(add())
        log_in(browser, running)
        users = str(summary["dashboard"]).replace("/strip", "/users")
        open_page(browser, f"{running.ha_url}/{users}", "Zoé Martin", "Add a user")
    finally:
        stop.set()
        follower.join(30)


# Clicks the switch of the dashboard row showing ``arguments[0]`` (an entity id).
CLICK_ROW_SWITCH = """
const wanted = arguments[0];
let row = null;
const walk = (node) => {
  if (row) return;
  const config = node._config || node.config;
  if (node.tagName && node.tagName.endsWith("-ENTITY-ROW") && config && config.entity === wanted) {
    row = node; return;
  }
  if (node.shadowRoot) walk(node.shadowRoot);
  for (const child of node.children) walk(child);
};
walk(document.body);
if (!row) return "no row";
let toggle = null;
const find = (node) => {
  if (toggle) return;
  if (node.tagName === "HA-SWITCH" || (node.getAttribute && node.getAttribute("role") === "switch")) {
    toggle = node; return;
  }
  if (node.shadowRoot) find(node.shadowRoot);
  for (const child of node.children) find(child);
};
find(row);
if (!toggle) return "no switch";
toggle.click();
return "clicked";
"""


def test_an_outlet_switched_off_by_hand_is_off_at_once(
    demo: tuple[Demo, dict[str, object]], browser: object, tmp_path: Path
) -> None:
    running, summary = demo

    async def states() -> dict[str, str]:
        async with aiohttp.ClientSession() as session:
            ws = await running.websocket(session)
            try:
                return {s["entity_id"]: s["state"] for s in await ws.call("get_states")}
            finally:
                await ws.close()

    log_in(browser, running)
    open_page(browser, f"{running.ha_url}/{summary['dashboard']}", "Desk 1", "Lamp")
    # An outlet the balancing has on (switched on a while ago: within its minimum on time or
    # not, a person's "off" must act at once).
    deadline = time.monotonic() + 60
    relay = None
    while relay is None and time.monotonic() < deadline:
        on = [
            entity_id
            for entity_id, state in asyncio.run(states()).items()
            if entity_id.startswith("switch.desk_")
            and "_exception" not in entity_id
            and state == "on"
        ]
        relay = on[0] if on else None
        time.sleep(1)
    assert relay is not None, "no outlet is on in the demo"
    clicked_at = time.monotonic()
    assert browser.execute_script(CLICK_ROW_SWITCH, relay) == "clicked"  # type: ignore[attr-defined]
    while asyncio.run(states())[relay] != "off":
        assert time.monotonic() - clicked_at < 10, f"{relay} still on 10 s after the click"
        time.sleep(0.5)
    # It stays off: the balancing's next plans do not bounce it back on.
    time.sleep(12)
    assert asyncio.run(states())[relay] == "off"
    save(browser, tmp_path, "switched_off.png")
