"""Users as subentries of the billing entry, its options, and the rules users rest on."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
import json
from pathlib import Path
import re
from typing import Any
from unittest.mock import patch

from homeassistant.components.image import ImageEntity
from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigSubentryDataWithId,
)
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, State
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
import yaml

from custom_components.smartmulti.billing import users
from custom_components.smartmulti.billing.presence import SETTLE_S, laptop_gone
from custom_components.smartmulti.billing.setup import BILLING_PLATFORMS, BILLING_UNIQUE_ID
from custom_components.smartmulti.billing.users import (
    CONF_LEAVE_AFTER,
    CONF_LIMIT,
    CONF_LIMIT_PERIOD,
    CONF_OFFPEAK_PRICE,
    CONF_OFFPEAK_STATE,
    CONF_PRICE,
    CONF_TARIFF_ENTITY,
    CONF_WARNING_PERCENT,
    SUBENTRY_USER,
    BillingSettings,
    LimitPeriod,
    UserConfig,
    period_start,
)
from custom_components.smartmulti.client.models import Outlet
from custom_components.smartmulti.const import CONF_KIND, DOMAIN, KIND_BILLING
from custom_components.smartmulti.identifiers import user_device_identifier
from tests.integration.devices import device_with

from .agent_json import outlet_json
from .billing_support import billing_entry, set_up

NOW = 1_700_000_100.0  # the agent's clock


@pytest.mark.freeze_time("2025-04-15 10:00:00+00:00")
@pytest.mark.parametrize("platform", BILLING_PLATFORMS)
async def test_user_entities_match_the_snapshot(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    billing = MockConfigEntry(
        domain=DOMAIN,
        title="Users and billing",
        entry_id="01JRBILLING0000000000000000",
        unique_id=BILLING_UNIQUE_ID,
        data={CONF_KIND: KIND_BILLING},
        subentries_data=[
            ConfigSubentryDataWithId(
                data={CONF_LIMIT: 2.0, CONF_LIMIT_PERIOD: "day"},
                subentry_id="01JRALICE0000000000000000",
                subentry_type=SUBENTRY_USER,
                title="Alice",
                unique_id=None,
            )
        ],
    )
    with (
        patch("custom_components.smartmulti.billing.setup.BILLING_PLATFORMS", [platform]),
        # The QR code image's access token is random: the same one every run.
        patch.object(
            ImageEntity, "async_update_token", lambda self: self.access_tokens.append("0" * 64)
        ),
    ):
        await set_up(hass, billing)

        await snapshot_platform(hass, entity_registry, snapshot, billing.entry_id)
        assert await hass.config_entries.async_unload(billing.entry_id)


async def test_a_user_is_added_then_changed_through_the_billing_entry(hass: HomeAssistant) -> None:
    billing = billing_entry(hass)
    await set_up(hass, billing)

    result = await hass.config_entries.subentries.async_init(
        (billing.entry_id, SUBENTRY_USER), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {"name": " Alice ", CONF_LIMIT: 2.5, CONF_LIMIT_PERIOD: "week", "cut_off": False},
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    (subentry,) = billing.subentries.values()
    assert subentry.title == "Alice"
    assert subentry.data[CONF_LIMIT] == 2.5
    device = device_with(hass, user_device_identifier(subentry.subentry_id))
    assert device is not None
    assert device.name == "Alice"
    assert hass.states.get("number.alice_consumption_limit").state == "2.5"

    result = await hass.config_entries.subentries.async_init(
        (billing.entry_id, SUBENTRY_USER),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry.subentry_id},
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "Alice Martin", CONF_LIMIT: 3, CONF_LIMIT_PERIOD: "day"}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert billing.subentries[subentry.subentry_id].title == "Alice Martin"
    assert billing.runtime_data.users[subentry.subentry_id].limit_period is LimitPeriod.DAY
    assert dr.async_get(hass).async_get(device.id).name == "Alice Martin"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("alice", "user_exists"),
        ("None", "invalid_name"),
        ("Ali\u202ece", "invalid_name"),  # a direction override: "Aliec" shown as another name
        ("Bob\x00", "invalid_name"),
    ],
)
async def test_a_user_name_must_be_unique_and_not_the_no_user_choice(
    hass: HomeAssistant, name: str, error: str
) -> None:
    billing = billing_entry(hass, {"Alice": {}})
    await set_up(hass, billing)

    result = await hass.config_entries.subentries.async_init(
        (billing.entry_id, SUBENTRY_USER), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], {"name": name})

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"name": error}


@pytest.mark.parametrize(
    ("notify", "errors"),
    [
        ('notify.x"><script>', {"notify": "invalid_notify"}),
        ("Notify.Alice Phone", {"notify": "invalid_notify"}),
        ("notify.mobile_app_alice_phone", None),
        ("mobile_app_alice_phone", None),
    ],
)
async def test_a_notify_action_must_be_named_as_home_assistant_names_it(
    hass: HomeAssistant, notify: str, errors: dict[str, str] | None
) -> None:
    billing = billing_entry(hass, {"Alice": {}})
    await set_up(hass, billing)

    result = await hass.config_entries.subentries.async_init(
        (billing.entry_id, SUBENTRY_USER), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "Bob", "notify": notify}
    )

    if errors is None:
        assert result["type"] is FlowResultType.CREATE_ENTRY
    else:
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == errors


async def test_a_highest_limit_of_zero_is_refused_since_a_stored_zero_means_none(
    hass: HomeAssistant,
) -> None:
    billing = billing_entry(hass, {"Alice": {}})
    await set_up(hass, billing)

    result = await hass.config_entries.subentries.async_init(
        (billing.entry_id, SUBENTRY_USER), context={"source": SOURCE_USER}
    )
    with pytest.raises(InvalidData):
        await hass.config_entries.subentries.async_configure(
            result["flow_id"], {"name": "Bob", "limit_max": 0}
        )


async def test_billing_options_set_the_prices_and_session_rules(hass: HomeAssistant) -> None:
    billing = billing_entry(hass)
    await set_up(hass, billing)

    result = await hass.config_entries.options.async_init(billing.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_PRICE: 0.25,
            CONF_OFFPEAK_PRICE: 0.18,
            CONF_TARIFF_ENTITY: "select.tariff",
            CONF_OFFPEAK_STATE: "HC",
            CONF_WARNING_PERCENT: 90,
            CONF_LEAVE_AFTER: 20,
        },
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    settings = billing.runtime_data.settings
    assert (settings.price, settings.offpeak_price, settings.warning_percent) == (0.25, 0.18, 90)
    assert settings.leave_after.total_seconds() == 20 * 60


def test_the_price_follows_the_price_entity_then_the_tariff_entity() -> None:
    settings = BillingSettings(price=0.25, offpeak_price=0.18, offpeak_state="HC")

    assert settings.price_now(None, State("select.tariff", "HP")) == 0.25
    assert settings.price_now(None, State("select.tariff", "hc")) == 0.18
    assert settings.price_now(State("sensor.price", "0.31"), State("select.tariff", "HC")) == 0.31
    assert settings.price_now(State("sensor.price", "unavailable"), None) == 0.25


@pytest.mark.parametrize(
    ("period", "start"),
    [
        (LimitPeriod.DAY, date(2025, 3, 30)),
        (LimitPeriod.WEEK, date(2025, 3, 24)),  # the Monday before
        (LimitPeriod.MONTH, date(2025, 3, 1)),
    ],
)
async def test_a_limit_period_starts_at_local_midnight(
    hass: HomeAssistant, period: LimitPeriod, start: date
) -> None:
    await hass.config.async_set_time_zone("Europe/Paris")
    # Sunday 30 March 2025, 14:00 in Paris: the clocks went forward at 02:00 that night.
    now = datetime(2025, 3, 30, 12, 0, tzinfo=UTC)

    assert period_start(period, now) == dt_util.start_of_local_day(start)


async def test_the_usual_departure_is_a_deadline_only_until_it_passes(hass: HomeAssistant) -> None:
    await hass.config.async_set_time_zone("Europe/Paris")
    user = UserConfig(id="u", name="Alice", departure=time(18, 0))

    assert user.departure_at(datetime(2025, 4, 15, 9, 0, tzinfo=UTC)) == datetime(
        2025, 4, 15, 16, 0, tzinfo=UTC
    )
    assert user.departure_at(datetime(2025, 4, 15, 17, 0, tzinfo=UTC)) is None


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Summer time begins: 02:30 is skipped, the clocks read past it when they jump to 03:00.
        (datetime(2025, 3, 30, 0, 50, tzinfo=UTC), datetime(2025, 3, 30, 1, 0, tzinfo=UTC)),
        (datetime(2025, 3, 30, 1, 10, tzinfo=UTC), None),  # 03:10: passed
        # Summer time ends: 02:30 comes twice, the departure is the first; in the hour repeated
        # after it, it has passed (never a deadline in the past).
        (datetime(2025, 10, 26, 0, 20, tzinfo=UTC), datetime(2025, 10, 26, 0, 30, tzinfo=UTC)),
        (datetime(2025, 10, 26, 1, 20, tzinfo=UTC), None),
    ],
    ids=["before the skipped hour", "after it", "before the first 02:30", "the hour repeated"],
)
async def test_a_usual_departure_the_clocks_skip_or_repeat_is_the_first_time_they_read_it(
    hass: HomeAssistant, now: datetime, expected: datetime | None
) -> None:
    await hass.config.async_set_time_zone("Europe/Paris")
    user = UserConfig(id="u", name="Alice", departure=time(2, 30))

    departure = user.departure_at(now)
    assert (None if departure is None else dt_util.as_utc(departure)) == expected


def _outlet(**fields: Any) -> Outlet:
    return Outlet.from_dict(outlet_json(1, last_switch_at=NOW - 60, switch_age_s=60.0) | fields)


def _battery(plugged: bool, reported_at: float) -> dict[str, Any]:
    return {"percent": 50, "plugged": plugged, "age_s": 0.0, "reported_at": reported_at}


@pytest.mark.parametrize(
    ("fields", "gone"),
    [
        ({}, False),  # drawing
        ({"power_w": 0.5, "idle": True}, True),  # on, nothing drawn
        (
            {"power_w": 0.5, "idle": True, "last_switch_at": NOW - SETTLE_S / 2},
            False,
        ),  # the charger starts
        ({"relay": False, "power_w": 0.0}, False),  # off: an outlet off shows nothing
        ({"battery": _battery(False, NOW - 5)}, True),  # the laptop says it is unplugged
        (
            {"power_w": 0.5, "idle": True, "battery": _battery(True, NOW - 5)},
            False,
        ),  # full and asleep
        ({"battery": _battery(False, NOW - 61)}, False),  # reported before the relay switched
        (
            {"power_w": 0.5, "idle": True, "battery": _battery(True, NOW - 3600)},
            True,
        ),  # a stale report
    ],
)
def test_a_laptop_is_gone_when_its_outlet_is_on_and_shows_none(
    fields: dict[str, Any], gone: bool
) -> None:
    assert laptop_gone(_outlet(**fields), NOW) is gone


def test_every_error_of_users_and_billing_is_translated() -> None:
    package = Path(users.__file__).parent.parent
    strings = json.loads((package / "strings.json").read_text(encoding="utf-8"))
    keys = {
        key
        for module in (package / "billing").glob("*.py")
        for key in re.findall(
            r'translation_domain=DOMAIN,\s+translation_key="(\w+)"',
            module.read_text(encoding="utf-8"),
        )
    }

    assert {"unknown_user", "unknown_outlet", "end_before_start"} <= keys
    assert keys - set(strings["exceptions"]) == set()


def test_every_action_field_is_translated() -> None:
    package = Path(users.__file__).parent.parent
    strings = json.loads((package / "strings.json").read_text(encoding="utf-8"))["services"]
    actions = yaml.safe_load((package / "services.yaml").read_text(encoding="utf-8"))

    for action in ("start_session", "stop_session", "get_consumption", "export_billing"):
        assert strings[action]["name"]
        assert set(actions[action]["fields"]) == set(strings[action]["fields"]), action


async def test_billing_diagnostics_give_figures_without_names(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    billing = billing_entry(hass, {"Alice Martin": {CONF_LIMIT: 2.0, "notify": "notify.alice"}})
    await set_up(hass, billing)

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, billing)

    (user,) = diagnostics["ledger"]["users"].values()
    assert user["limit_kwh"] == 2.0
    assert "Alice" not in json.dumps(diagnostics)
    assert "notify.alice" not in json.dumps(diagnostics)
