"""Flows of the "Users and billing" entry: a user (a subentry: add, then "Configure"), and the
site's prices and session rules (the entry's options)."""

from __future__ import annotations

import re
from typing import Any, Literal

from homeassistant.config_entries import (
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
    SubentryFlowResult,
)
from homeassistant.const import CONF_NAME, Platform
from homeassistant.helpers.selector import (
    BooleanSelector,
    EntitySelector,
    EntitySelectorConfig,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TimeSelector,
)

from ..compat import vol
from ..names import has_unfit_character
from ..selectors import NumberBox
from .users import (
    CONF_CUT_OFF,
    CONF_DEPARTURE,
    CONF_LEAVE_AFTER,
    CONF_LIMIT,
    CONF_LIMIT_LOCKED,
    CONF_LIMIT_MAX,
    CONF_LIMIT_PERIOD,
    CONF_NOTIFY,
    CONF_NOTIFY_WARNING,
    CONF_OFFPEAK_PRICE,
    CONF_OFFPEAK_STATE,
    CONF_PERSON,
    CONF_PRICE,
    CONF_PRICE_ENTITY,
    CONF_PRICE_PERCENT,
    CONF_REPORTER,
    CONF_TARIFF_ENTITY,
    CONF_TIER,
    CONF_WARNING_PERCENT,
    DEFAULT_LEAVE_AFTER,
    DEFAULT_OFFPEAK_STATE,
    DEFAULT_PRICE,
    DEFAULT_PRICE_PERCENT,
    DEFAULT_TIER,
    DEFAULT_WARNING_PERCENT,
    MAX_TIER,
    NO_USER,
    USER_NAME_MAX_LENGTH,
    LimitPeriod,
)


def _box(
    minimum: float, maximum: float, step: float | Literal["any"], unit: str | None = None
) -> NumberBox:
    config = NumberSelectorConfig(min=minimum, max=maximum, step=step, mode=NumberSelectorMode.BOX)
    if unit is not None:
        config["unit_of_measurement"] = unit
    return NumberBox(config)


USER_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_NAME): TextSelector(),
        vol.Optional(CONF_REPORTER): TextSelector(),
        vol.Optional(CONF_PERSON): EntitySelector(EntitySelectorConfig(domain="person")),
        vol.Optional(CONF_NOTIFY): TextSelector(),
        vol.Required(CONF_LIMIT, default=0): _box(0, 10_000, 0.01, "kWh"),
        vol.Required(CONF_LIMIT_PERIOD, default=LimitPeriod.MONTH.value): SelectSelector(
            SelectSelectorConfig(
                options=[period.value for period in LimitPeriod],
                mode=SelectSelectorMode.DROPDOWN,
                translation_key=CONF_LIMIT_PERIOD,
            )
        ),
        vol.Required(CONF_CUT_OFF, default=False): BooleanSelector(),
        # 0.01 at least: a stored 0 would mean no maximum at all.
        vol.Optional(CONF_LIMIT_MAX): _box(0.01, 10_000, 0.01, "kWh"),
        vol.Required(CONF_LIMIT_LOCKED, default=False): BooleanSelector(),
        vol.Required(CONF_NOTIFY_WARNING, default=True): BooleanSelector(),
        vol.Required(CONF_PRICE_PERCENT, default=DEFAULT_PRICE_PERCENT): _box(0, 1000, 1, "%"),
        vol.Required(CONF_TIER, default=DEFAULT_TIER): _box(-MAX_TIER, MAX_TIER, 1),
        vol.Optional(CONF_DEPARTURE): TimeSelector(),
    }
)


NOTIFY_ACTION = re.compile(r"(notify\.)?[a-z0-9_]+")


def _notify_ok(user_input: dict[str, Any]) -> bool:
    """A notify action is named as Home Assistant names it (``notify.mobile_app_alice``, or
    without its domain): anything else fails only later, when the link is sent."""
    notify = str(user_input.get(CONF_NOTIFY) or "").strip()
    return not notify or NOTIFY_ACTION.fullmatch(notify) is not None


class UserSubentryFlow(ConfigSubentryFlow):
    """A coworker: name, limit, price tier, charging priority; "Configure" changes them."""

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        errors: dict[str, str] = {}
        if user_input is not None:
            name = str(user_input[CONF_NAME]).strip()
            if error := self._name_error(name, editing=None):
                errors[CONF_NAME] = error
            elif not _notify_ok(user_input):
                errors[CONF_NOTIFY] = "invalid_notify"
            else:
                return self.async_create_entry(title=name, data=_user_data(user_input))
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(USER_SCHEMA, user_input),
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        subentry = self._get_reconfigure_subentry()
        errors: dict[str, str] = {}
        if user_input is not None:
            name = str(user_input[CONF_NAME]).strip()
            if error := self._name_error(name, editing=subentry.subentry_id):
                errors[CONF_NAME] = error
            elif not _notify_ok(user_input):
                errors[CONF_NOTIFY] = "invalid_notify"
            else:
                return self.async_update_and_abort(
                    self._get_entry(), subentry, title=name, data=_user_data(user_input)
                )
        suggested = user_input or {CONF_NAME: subentry.title, **subentry.data}
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(USER_SCHEMA, suggested),
            errors=errors,
            description_placeholders={"name": subentry.title},
        )

    def _name_error(self, name: str, editing: str | None) -> str | None:
        """Names are what managers, reporters and services find users by: unique, not "none",
        and shown as typed (no control or invisible format character: a direction override
        would make one name look like another on the coworker's page and in the exports)."""
        if (
            not 1 <= len(name) <= USER_NAME_MAX_LENGTH
            or name.casefold() == NO_USER
            or has_unfit_character(name)
        ):
            return "invalid_name"
        if any(
            subentry.title.casefold() == name.casefold() and subentry_id != editing
            for subentry_id, subentry in self._get_entry().subentries.items()
        ):
            return "user_exists"
        return None


def _user_data(user_input: dict[str, Any]) -> dict[str, Any]:
    """What the subentry keeps: every field but the name (its title); empty ones left out."""
    data = {key: value for key, value in user_input.items() if key != CONF_NAME}
    for key in (CONF_REPORTER, CONF_NOTIFY):
        if isinstance(data.get(key), str):
            data[key] = data[key].strip()
    data[CONF_TIER] = int(data.get(CONF_TIER, DEFAULT_TIER))
    return {key: value for key, value in data.items() if value not in (None, "")}


class BillingOptionsFlow(OptionsFlow):
    """Prices (fixed, a price entity, or peak/off-peak by a tariff entity), the limit warning,
    and how long an outlet shows no laptop before its session ends."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        return await self.async_step_billing()

    async def async_step_billing(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        if user_input is not None:
            return self.async_create_entry(data=_billing_options(user_input))
        options = self.config_entry.options
        schema = vol.Schema(
            {
                vol.Required(CONF_PRICE, default=DEFAULT_PRICE): _box(0, 100, "any"),
                vol.Optional(CONF_OFFPEAK_PRICE): _box(0, 100, "any"),
                vol.Optional(CONF_TARIFF_ENTITY): EntitySelector(
                    EntitySelectorConfig(
                        domain=[
                            Platform.SENSOR,
                            Platform.SELECT,
                            Platform.BINARY_SENSOR,
                            "input_select",
                            "input_boolean",
                        ]
                    )
                ),
                vol.Required(CONF_OFFPEAK_STATE, default=DEFAULT_OFFPEAK_STATE): TextSelector(),
                vol.Optional(CONF_PRICE_ENTITY): EntitySelector(
                    EntitySelectorConfig(domain=[Platform.SENSOR, "input_number"])
                ),
                vol.Required(CONF_WARNING_PERCENT, default=DEFAULT_WARNING_PERCENT): _box(
                    1, 99, 1, "%"
                ),
                vol.Required(CONF_LEAVE_AFTER, default=DEFAULT_LEAVE_AFTER): _box(1, 240, 1, "min"),
            }
        )
        return self.async_show_form(
            step_id="billing",
            data_schema=self.add_suggested_values_to_schema(schema, dict(options)),
            description_placeholders={"currency": self.hass.config.currency},
        )


def _billing_options(user_input: dict[str, Any]) -> dict[str, Any]:
    options = {key: value for key, value in user_input.items() if value not in (None, "")}
    options[CONF_WARNING_PERCENT] = int(options[CONF_WARNING_PERCENT])
    options[CONF_LEAVE_AFTER] = int(options[CONF_LEAVE_AFTER])
    return options
