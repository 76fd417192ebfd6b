"""What the browser tests do in the demo's pages as a person would: log in, open a page until it is
fully drawn, wait for text (shadow roots included) and save a screenshot.

The manager's pages and the consumption pages are tested in separate modules against the same
demo in the same headless Chromium; both read and act on pages the same way, so these helpers
live here and neither test module depends on the other. The fixtures that start the demo and
the browser are in this folder's ``conftest.py``.
"""

from __future__ import annotations

import os
from pathlib import Path
import shutil
import time

from scripts.demo import USERNAME, Demo

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "img"

# The frontend is made of web components: text lives in shadow roots, which innerText skips.
DEEP_TEXT = """
const parts = [];
const walk = (node) => {
  if (node.nodeType === Node.TEXT_NODE) { parts.push(node.textContent); return; }
  if (node.shadowRoot) walk(node.shadowRoot);
  for (const child of node.childNodes) walk(child);
};
walk(document.body);
return parts.join(" ").replace(/\\s+/g, " ");
"""


# What each select of the page shows: [label, value, the text it displays].
SELECTS = """
const found = [];
const walk = (node) => {
  if (node.tagName === "HA-SELECT") {
    // The selected option's text: a property of the old select, an item of the dropdown now.
    const item = node.shadowRoot && node.shadowRoot.querySelector("ha-dropdown-item[selected]");
    const shown = node.selectedText ?? (item ? item.textContent.trim() : "");
    found.push([node.label, node.value, shown]);
  }
  if (node.shadowRoot) walk(node.shadowRoot);
  for (const child of node.children) walk(child);
};
walk(document.body);
return found;
"""


def page_text(driver: object) -> str:
    return str(driver.execute_script(DEEP_TEXT))  # type: ignore[attr-defined]


def wait_for_text(driver: object, *needles: str, within_s: float = 60) -> str:
    deadline = time.monotonic() + within_s
    text = ""
    while time.monotonic() < deadline:
        text = page_text(driver)
        if all(n in text for n in needles):
            return text
        time.sleep(0.5)
    missing = [n for n in needles if n not in text]
    raise AssertionError(f"{missing} not on the page; it shows: {text[:600]}")


def open_page(driver: object, url: str, *needles: str, attempts: int = 3) -> str:
    """Open ``url`` until every select shows its value, as a person would reload the page.

    Home Assistant's select row has lost a race while the page loads (2025.4): the first
    select drawn shows its label with no value (``value`` and ``selectedText`` empty) until the
    page is reloaded, and on a busy machine even a reload may not win. What the selects show
    is checked by the test itself.
    """
    text = ""
    for _ in range(attempts):
        driver.get(url)  # type: ignore[attr-defined]
        text = wait_for_text(driver, *needles)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            selects = driver.execute_script(SELECTS)  # type: ignore[attr-defined]
            if all(shown for _, _, shown in selects):  # a select entity always has a state
                time.sleep(1)  # let the other cards finish drawing
                return text
            time.sleep(0.5)
    return text


def log_in(driver: object, demo: Demo) -> None:
    """Type the demo's credentials into Home Assistant's login form, as a person would."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    driver.get(demo.ha_url)  # type: ignore[attr-defined]
    wait_for_text(driver, "Username", "Password")
    time.sleep(1)  # the form focuses its first field once rendered
    ActionChains(driver).send_keys(USERNAME, Keys.TAB, demo.password, Keys.ENTER).perform()
    deadline = time.monotonic() + 60
    while "auth/authorize" in driver.current_url and time.monotonic() < deadline:  # type: ignore[attr-defined]
        time.sleep(0.5)


def save(driver: object, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    driver.save_screenshot(str(path))  # type: ignore[attr-defined]
    if os.environ.get("UPDATE_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, SCREENSHOTS / name)
    return path
