"""Entities of users and billing: each user's device (energy, cost, limit and its progress,
current outlet), the unassigned energy, and each outlet's user select.

Each user is a device of their own (a subentry's device), so a user's page shows their figures
together, their energy sensor can be picked as an individual device on the Energy dashboard,
and a blueprint can target the user. Unique ids are ``<billing entry id>_user_<user id>_<key>``
(``..._user_unassigned_energy`` for the unassigned energy).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
)
from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfEnergy
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType
from homeassistant.util import dt as dt_util

from ..const import DOMAIN
from ..coordinator import SmartMultiCoordinator
from ..entity import SmartMultiOutletEntity, WritesOnChange
from ..entry_kinds import BillingConfigEntry
from ..metering import kwh
from ..selectors import finite_value
from .ledger import Ledger, async_get_ledger
from .limits import Totals
from .sessions import EndReason, StartReason
from .setup import async_add_user_entities, billing_device_info, user_device_info
from .users import CONF_LIMIT, NO_USER, UserConfig

MAX_LIMIT_KWH = 10_000.0


@dataclass(frozen=True, kw_only=True)
class UserSensorEntityDescription(SensorEntityDescription):
    """A sensor of a user's device."""

    value_fn: Callable[[Ledger, UserConfig, datetime], StateType]


def _totals(ledger: Ledger, user: UserConfig) -> Totals:
    return ledger.totals.get(user.id) or Totals()


def _progress(ledger: Ledger, user: UserConfig, now: datetime) -> float | None:
    if user.limit_wh is None:
        return None
    return round(ledger.period_wh(user.id, now) / user.limit_wh * 100.0, 1)


def _current_outlet(ledger: Ledger, user: UserConfig) -> str | None:
    places = sorted(session.place for session in ledger.open_sessions(user.id))
    return ", ".join(places)[:255] or None


USER_SENSORS: tuple[UserSensorEntityDescription, ...] = (
    # Everything the user's sessions drew: the Energy dashboard's individual device.
    UserSensorEntityDescription(
        key="energy",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=3,
        value_fn=lambda ledger, user, _: kwh(_totals(ledger, user).energy_wh),
    ),
    # The currency is Home Assistant's (set per entity).
    UserSensorEntityDescription(
        key="cost",
        translation_key="cost",
        device_class=SensorDeviceClass.MONETARY,
        state_class=SensorStateClass.TOTAL,
        suggested_display_precision=2,
        value_fn=lambda ledger, user, _: round(_totals(ledger, user).cost, 4),
    ),
    # Its unique id must not end in "_energy": the demo puts users' "..._energy" sensors on
    # the Energy dashboard, and this one counts the same energy again.
    UserSensorEntityDescription(
        key="energy_this_period",
        translation_key="energy_this_period",
        device_class=SensorDeviceClass.ENERGY,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        state_class=SensorStateClass.TOTAL,  # with last_reset: the period's start
        suggested_display_precision=3,
        value_fn=lambda ledger, user, now: kwh(ledger.period_wh(user.id, now)),
    ),
    UserSensorEntityDescription(
        key="limit_progress",
        translation_key="limit_progress",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        value_fn=_progress,
    ),
    UserSensorEntityDescription(
        key="current_outlet",
        translation_key="current_outlet",
        value_fn=lambda ledger, user, _: _current_outlet(ledger, user),
    ),
)

UNASSIGNED = SensorEntityDescription(
    key="unassigned_energy",
    translation_key="unassigned_energy",
    device_class=SensorDeviceClass.ENERGY,
    native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
    state_class=SensorStateClass.TOTAL_INCREASING,
    suggested_display_precision=3,
)

LIMIT = NumberEntityDescription(
    key="limit",
    translation_key="limit",
    device_class=NumberDeviceClass.ENERGY,
    native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
    entity_category=EntityCategory.CONFIG,
    native_min_value=0.0,
    native_max_value=MAX_LIMIT_KWH,
    native_step=0.01,
    mode=NumberMode.BOX,
)

OUTLET_USER = SelectEntityDescription(key="user", translation_key="user")


def async_add_billing_sensors(
    entry: BillingConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    ledger = entry.runtime_data
    async_add_entities([UnassignedEnergySensor(entry, ledger)])
    async_add_user_entities(
        entry,
        lambda user: async_add_entities(
            [UserSensor(entry, ledger, user, description) for description in USER_SENSORS],
            config_subentry_id=user.id,
        ),
    )


def async_add_billing_numbers(
    entry: BillingConfigEntry, async_add_entities: AddConfigEntryEntitiesCallback
) -> None:
    ledger = entry.runtime_data
    async_add_user_entities(
        entry,
        lambda user: async_add_entities(
            [UserLimitNumber(entry, ledger, user)], config_subentry_id=user.id
        ),
    )


class BillingEntity(WritesOnChange):
    """An entity of the billing entry; the ledger pushes its changes."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, entry: BillingConfigEntry, ledger: Ledger) -> None:
        self.entry = entry
        self.ledger = ledger

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(self.ledger.async_add_listener(self.async_write_if_changed))


class FollowsLedger(WritesOnChange):
    """An entity of a strip whose state also depends on the ledger (its users, who a
    reporter's claim names): written again when the ledger changes, not only the strip."""

    hass: HomeAssistant

    @property
    def ledger(self) -> Ledger:
        """The strip is attached to it while its entities exist."""
        return async_get_ledger(self.hass)

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(self.ledger.async_add_listener(self.async_write_if_changed))


class UserEntity(BillingEntity):
    """An entity of a user's device."""

    def __init__(
        self, entry: BillingConfigEntry, ledger: Ledger, user: UserConfig, key: str
    ) -> None:
        super().__init__(entry, ledger)
        self.user_id = user.id
        self._attr_unique_id = f"{entry.entry_id}_user_{user.id}_{key}"
        self._attr_device_info = user_device_info(ledger.hass, entry, user)

    @property
    def user(self) -> UserConfig:
        return self.ledger.users[self.user_id]

    @property
    def available(self) -> bool:
        return self.user_id in self.ledger.users


class UserSensor(UserEntity, SensorEntity):
    entity_description: UserSensorEntityDescription

    def __init__(
        self,
        entry: BillingConfigEntry,
        ledger: Ledger,
        user: UserConfig,
        description: UserSensorEntityDescription,
    ) -> None:
        super().__init__(entry, ledger, user, description.key)
        self.entity_description = description
        if description.device_class is SensorDeviceClass.MONETARY:
            self._attr_native_unit_of_measurement = ledger.hass.config.currency

    @property
    def native_value(self) -> StateType:
        return self.entity_description.value_fn(self.ledger, self.user, dt_util.utcnow())

    @property
    def last_reset(self) -> datetime | None:
        """The energy of the limit period starts again with each period."""
        if self.entity_description.key != "energy_this_period":
            return None
        return _totals(self.ledger, self.user).period_start_now(self.user, dt_util.utcnow())


class UnassignedEnergySensor(BillingEntity, SensorEntity):
    """Energy drawn on outlets with no session: never lost, billed to nobody."""

    entity_description = UNASSIGNED

    def __init__(self, entry: BillingConfigEntry, ledger: Ledger) -> None:
        super().__init__(entry, ledger)
        self._attr_unique_id = f"{entry.entry_id}_user_unassigned_energy"
        self._attr_device_info = billing_device_info(entry)

    @property
    def native_value(self) -> float:
        return kwh(self.ledger.unassigned.energy_wh)


class UserLimitNumber(UserEntity, NumberEntity):
    """The user's consumption limit per period (0: none); saved in the user's settings."""

    entity_description = LIMIT

    def __init__(self, entry: BillingConfigEntry, ledger: Ledger, user: UserConfig) -> None:
        super().__init__(entry, ledger, user, LIMIT.key)

    @property
    def native_value(self) -> float:
        return self.user.limit_kwh or 0.0

    async def async_set_native_value(self, value: float) -> None:
        value = finite_value(value)
        subentry = self.entry.subentries[self.user_id]
        self.hass.config_entries.async_update_subentry(
            self.entry, subentry, data={**subentry.data, CONF_LIMIT: value}
        )


class SmartMultiOutletUserSelect(FollowsLedger, SmartMultiOutletEntity, SelectEntity):
    """Who uses the outlet: choosing a user starts their session, "none" ends it."""

    entity_description = OUTLET_USER

    def __init__(
        self, hass: HomeAssistant, coordinator: SmartMultiCoordinator, outlet_id: int
    ) -> None:
        super().__init__(coordinator, outlet_id, OUTLET_USER.key)
        self.hass = hass

    @property
    def _serial(self) -> str:
        return self.coordinator.data.info.serial

    @property
    def current_option(self) -> str:
        session = self.ledger.session_at(self._serial, self.outlet_id)
        if session is None:
            return NO_USER
        user = self.ledger.users.get(session.user_id)
        return session.user if user is None else user.name

    @property
    def options(self) -> list[str]:
        names = sorted((user.name for user in self.ledger.users.values()), key=str.casefold)
        if (current := self.current_option) not in names and current != NO_USER:
            names.append(current)
        return [NO_USER, *names]

    async def async_select_option(self, option: str) -> None:
        ledger = self.ledger
        if option == NO_USER:
            if (session := ledger.session_at(self._serial, self.outlet_id)) is not None:
                ledger.async_end_sessions([session], EndReason.UNASSIGNED)
            return
        if (user := ledger.user_named(option)) is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="unknown_user",
                translation_placeholders={"user": option},
            )
        ledger.async_start_session(
            user.id, self.coordinator.config_entry.entry_id, self.outlet_id, StartReason.ASSIGNED
        )


def outlet_user_selects(
    hass: HomeAssistant, coordinator: SmartMultiCoordinator
) -> list[SmartMultiOutletUserSelect]:
    return [
        SmartMultiOutletUserSelect(hass, coordinator, outlet_id)
        for outlet_id in coordinator.data.state.outlets
    ]
