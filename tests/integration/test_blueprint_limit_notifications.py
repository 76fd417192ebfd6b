"""The limit notifications blueprint, driven by real users and a real agent: each user is told at
their warning and at their limit, with their own figures, on their own target or the default
one, and a user who turned the warning off is told only at the limit.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant, ServiceCall
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_mock_service,
)

from custom_components.smartmulti.billing.users import CONF_LIMIT, CONF_NOTIFY, CONF_NOTIFY_WARNING
from tests.support.agent import RunningAgent

from .billing_support import (  # noqa: F401 (a fixture)
    billing_entry,
    flush_energy_often,
    outlet_device,
    set_up,
    start_session,
)
from .blueprint_support import start_automation, stays, wait_for


@pytest.mark.usefixtures("flush_energy_often")
async def test_limit_notifications_reach_each_user_with_their_figures(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry, blueprints: None
) -> None:
    alice_phone = async_mock_service(hass, "notify", "alice_phone")
    bob_phone = async_mock_service(hass, "notify", "mobile_app_bob")
    managers = async_mock_service(hass, "notify", "managers")
    billing = billing_entry(
        hass,
        {
            "Alice": {CONF_LIMIT: 0.00004},
            "Bob": {CONF_LIMIT: 0.00004, CONF_NOTIFY: "mobile_app_bob"},
            "Carol": {},
        },
    )
    await set_up(hass, mock_config_entry, billing)
    await start_automation(
        hass,
        "limit_notifications",
        {"user_targets": {"Alice": "notify.alice_phone"}, "default_target": "notify.managers"},
    )

    await start_session(hass, "Alice", outlet_device(hass, agent.serial, 2))
    await start_session(hass, "Bob", outlet_device(hass, agent.serial, 3))
    await wait_for(lambda: len(alice_phone) == 2 and len(bob_phone) == 2, limit_s=10)

    warning: ServiceCall = alice_phone[0]
    reached: ServiceCall = alice_phone[1]
    assert warning.data["message"].startswith("Alice, you have used ")
    assert "of your 4e-05 kWh this month" in warning.data["message"]
    assert reached.data["message"].startswith("Alice, you have reached your limit of 4e-05 kWh")
    assert all(call.data["message"].startswith("Bob, ") for call in bob_phone)
    assert managers == []  # Carol has no limit; everyone else has their own target


@pytest.mark.usefixtures("flush_energy_often")
async def test_a_user_who_turned_the_warning_off_is_told_only_at_the_limit(
    hass: HomeAssistant, agent: RunningAgent, mock_config_entry: MockConfigEntry, blueprints: None
) -> None:
    phone = async_mock_service(hass, "notify", "mobile_app_dana")
    limit = {CONF_LIMIT: 0.00004, CONF_NOTIFY: "mobile_app_dana", CONF_NOTIFY_WARNING: False}
    billing = billing_entry(hass, {"Dana": limit})
    await set_up(hass, mock_config_entry, billing)
    warnings = async_capture_events(hass, "smartmulti_limit_warning")
    await start_automation(hass, "limit_notifications", {})

    await start_session(hass, "Dana", outlet_device(hass, agent.serial, 2))
    await wait_for(lambda: len(phone) == 1, limit_s=10)

    assert [event.data["notify_warning"] for event in warnings] == [False]  # it fired
    assert phone[0].data["message"].startswith("Dana, you have reached your limit")
    assert await stays(lambda: len(phone) == 1)
