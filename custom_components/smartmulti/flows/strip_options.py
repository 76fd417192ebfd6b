"""A strip entry's options: its outlets (names and exceptions, kept by the agent), its
circuit and balancing interval, its battery data and its polling."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.config_entries import SOURCE_IMPORT, ConfigFlowResult, OptionsFlow
from homeassistant.const import CONF_HOST, CONF_NAME, CONF_PORT, CONF_TOKEN, Platform
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    BooleanSelector,
    EntitySelector,
    EntitySelectorConfig,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)

from ..client import SmartMultiAuthError, SmartMultiClient, SmartMultiError, SmartMultiResponseError
from ..client.models import Outlet
from ..compat import vol
from ..const import (
    CONF_BALANCING_INTERVAL,
    CONF_BATTERY_MAX_AGE,
    CONF_BATTERY_SENSOR,
    CONF_BATTERY_SENSORS,
    CONF_CIRCUIT,
    CONF_EXCEPTION,
    CONF_MAX_POWER,
    CONF_OUTLET,
    CONF_PARENT,
    CONF_SCAN_INTERVAL,
    DEFAULT_BALANCING_INTERVAL,
    DEFAULT_BATTERY_MAX_AGE,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
    LOGGER,
    MAX_BALANCING_INTERVAL,
    MAX_SCAN_INTERVAL,
    MIN_BALANCING_INTERVAL,
    MIN_BATTERY_MAX_AGE,
    MIN_SCAN_INTERVAL,
    NO_CIRCUIT,
    OUTLET_NAME_MAX_LENGTH,
)
from ..planning.inputs import MAX_BATTERY_MAX_AGE_S
from ..selectors import NumberBox
from .agent import agent_client
from .circuits import (
    MAX_POWER,
    NEW_CIRCUIT,
    circuit_name_error,
    circuit_option,
    circuit_options,
    circuit_selector,
    held_circuit,
)


class StripOptionsFlow(OptionsFlow):
    """Outlets' names and exception flags live on the agent; their battery sensors, the
    strip's circuit, the balancing interval and polling live in the options."""

    _outlets: Mapping[int, Outlet]
    _outlet_id: int
    _interval: int

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        return self.async_show_menu(
            step_id="init", menu_options=["outlet", "balancing", "battery", "polling"]
        )

    async def async_step_balancing(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The circuit the strip is on (an existing one, or a new one), and how often it is
        balanced."""
        options = self.config_entry.options
        if user_input is not None:
            self._interval = int(user_input[CONF_BALANCING_INTERVAL])
            if user_input.get(CONF_CIRCUIT) == NEW_CIRCUIT:
                return await self.async_step_new_circuit()
            return self._async_save_balancing(circuit_option(user_input.get(CONF_CIRCUIT)))
        circuits = {entry_id for entry_id, _ in circuit_options(self.hass)}
        current = options.get(CONF_CIRCUIT)
        held = None if current in circuits else held_circuit(self.hass, current)
        schema = vol.Schema(
            {
                vol.Required(
                    CONF_CIRCUIT, default=current if current in circuits or held else NO_CIRCUIT
                ): circuit_selector(self.hass, new=True, held=held),
                vol.Required(
                    CONF_BALANCING_INTERVAL,
                    default=options.get(CONF_BALANCING_INTERVAL, DEFAULT_BALANCING_INTERVAL),
                ): NumberBox(
                    NumberSelectorConfig(
                        min=MIN_BALANCING_INTERVAL,
                        max=MAX_BALANCING_INTERVAL,
                        step=1,
                        unit_of_measurement="s",
                        mode=NumberSelectorMode.BOX,
                    )
                ),
            }
        )
        return self.async_show_form(step_id="balancing", data_schema=schema)

    async def async_step_new_circuit(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """A new circuit for this strip: its own entry, which other strips can then join."""
        errors: dict[str, str] = {}
        if user_input is not None:
            name = str(user_input[CONF_NAME]).strip()
            if error := circuit_name_error(self.hass, name):
                errors[CONF_NAME] = error
            else:
                result = await self.hass.config_entries.flow.async_init(
                    DOMAIN,
                    context={"source": SOURCE_IMPORT},
                    data={
                        CONF_NAME: name,
                        CONF_MAX_POWER: user_input[CONF_MAX_POWER],
                        CONF_PARENT: circuit_option(user_input.get(CONF_PARENT)),
                    },
                )
                return self._async_save_balancing(result["result"].entry_id)
        schema = vol.Schema(
            {
                vol.Required(CONF_NAME): TextSelector(),
                vol.Required(CONF_MAX_POWER): MAX_POWER,
                vol.Required(CONF_PARENT, default=NO_CIRCUIT): circuit_selector(self.hass),
            }
        )
        return self.async_show_form(
            step_id="new_circuit",
            data_schema=self.add_suggested_values_to_schema(schema, user_input),
            errors=errors,
        )

    @callback
    def _async_save_balancing(self, circuit: str | None) -> ConfigFlowResult:
        options = {
            key: value
            for key, value in self.config_entry.options.items()
            if key not in (CONF_CIRCUIT, CONF_BALANCING_INTERVAL)
        }
        if circuit:
            options[CONF_CIRCUIT] = circuit
        options[CONF_BALANCING_INTERVAL] = self._interval
        return self.async_create_entry(data=options)

    async def async_step_outlet(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Pick the outlet to set up (the list is read from the agent)."""
        if user_input is not None:
            self._outlet_id = int(user_input[CONF_OUTLET])
            return await self.async_step_outlet_settings()
        try:
            self._outlets = (await self._client().state()).outlets
        except SmartMultiError as err:
            LOGGER.debug("Cannot read the outlets of %s: %s", self.config_entry.title, err)
            return self.async_abort(reason="cannot_connect")
        options = [
            SelectOptionDict(value=str(outlet.id), label=f"{outlet.id} · {outlet.name}")
            for outlet in self._outlets.values()
        ]
        return self.async_show_form(
            step_id="outlet",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_OUTLET): SelectSelector(
                        SelectSelectorConfig(options=options, mode=SelectSelectorMode.DROPDOWN)
                    )
                }
            ),
        )

    async def async_step_outlet_settings(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Name and exception flag of one outlet, written to the agent; its battery sensor."""
        outlet = self._outlets[self._outlet_id]
        sensors: dict[str, str] = dict(self.config_entry.options.get(CONF_BATTERY_SENSORS, {}))
        errors: dict[str, str] = {}
        if user_input is not None:
            name = str(user_input.get(CONF_NAME, "")).strip()
            if not 1 <= len(name) <= OUTLET_NAME_MAX_LENGTH:
                errors[CONF_NAME] = "invalid_name"
            else:
                try:
                    await self._client().update_outlet(
                        self._outlet_id, name=name, exception=user_input[CONF_EXCEPTION]
                    )
                except SmartMultiAuthError:
                    errors["base"] = "invalid_auth"
                except SmartMultiResponseError as err:
                    LOGGER.debug("The agent refused the outlet settings: %s", err)
                    if err.field == CONF_NAME:
                        errors[CONF_NAME] = "invalid_name"
                    else:
                        errors["base"] = "rejected"
                except SmartMultiError:
                    errors["base"] = "cannot_connect"
                else:
                    if sensor := user_input.get(CONF_BATTERY_SENSOR):
                        sensors[str(self._outlet_id)] = sensor
                    else:
                        sensors.pop(str(self._outlet_id), None)
                    options = {
                        key: value
                        for key, value in self.config_entry.options.items()
                        if key != CONF_BATTERY_SENSORS
                    }
                    if sensors:
                        options[CONF_BATTERY_SENSORS] = sensors
                    return self.async_create_entry(data=options)
        schema = vol.Schema(
            {
                vol.Required(CONF_NAME): TextSelector(),
                vol.Required(CONF_EXCEPTION): BooleanSelector(),
                vol.Optional(CONF_BATTERY_SENSOR): EntitySelector(
                    EntitySelectorConfig(
                        domain=Platform.SENSOR, device_class=SensorDeviceClass.BATTERY
                    )
                ),
            }
        )
        suggested = {
            CONF_NAME: outlet.name,
            CONF_EXCEPTION: outlet.exception,
            CONF_BATTERY_SENSOR: sensors.get(str(self._outlet_id)),
        }
        return self.async_show_form(
            step_id="outlet_settings",
            data_schema=self.add_suggested_values_to_schema(schema, user_input or suggested),
            errors=errors,
            description_placeholders={"outlet": str(outlet.id)},
        )

    async def async_step_battery(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """How old battery data may be and still be used by the balancer (minutes)."""
        if user_input is not None:
            return self.async_create_entry(
                data={
                    **self.config_entry.options,
                    CONF_BATTERY_MAX_AGE: int(user_input[CONF_BATTERY_MAX_AGE]),
                }
            )
        current = self.config_entry.options.get(CONF_BATTERY_MAX_AGE, DEFAULT_BATTERY_MAX_AGE)
        return self.async_show_form(
            step_id="battery",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_BATTERY_MAX_AGE, default=current): NumberBox(
                        NumberSelectorConfig(
                            min=MIN_BATTERY_MAX_AGE,
                            max=int(MAX_BATTERY_MAX_AGE_S // 60),
                            step=1,
                            unit_of_measurement="min",
                            mode=NumberSelectorMode.BOX,
                        )
                    )
                }
            ),
        )

    async def async_step_polling(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """How often to poll while the event stream is down."""
        if user_input is not None:
            return self.async_create_entry(
                data={
                    **self.config_entry.options,
                    CONF_SCAN_INTERVAL: int(user_input[CONF_SCAN_INTERVAL]),
                }
            )
        current = self.config_entry.options.get(CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL)
        return self.async_show_form(
            step_id="polling",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_SCAN_INTERVAL, default=current): NumberBox(
                        NumberSelectorConfig(
                            min=MIN_SCAN_INTERVAL,
                            max=MAX_SCAN_INTERVAL,
                            step=1,
                            unit_of_measurement="s",
                            mode=NumberSelectorMode.BOX,
                        )
                    )
                }
            ),
        )

    def _client(self) -> SmartMultiClient:
        data = self.config_entry.data
        return agent_client(self.hass, data[CONF_HOST], data[CONF_PORT], data[CONF_TOKEN])
