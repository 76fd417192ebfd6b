"""Config flow: add a strip (by address or from zeroconf) or a circuit, reauth, reconfigure,
and the options of each."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.config_entries import (
    SOURCE_IMPORT,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
)
from homeassistant.const import CONF_HOST, CONF_NAME, CONF_PORT, CONF_TOKEN, Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    BooleanSelector,
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo

from .billing import BILLING_UNIQUE_ID, billing_title
from .billing_flow import BillingOptionsFlow, UserSubentryFlow
from .client.api import (
    SmartMultiAuthError,
    SmartMultiClient,
    SmartMultiError,
    SmartMultiForbiddenError,
    SmartMultiResponseError,
)
from .client.models import AgentInfo, Outlet
from .compat import vol
from .const import (
    CONF_BALANCING_INTERVAL,
    CONF_BATTERY_MAX_AGE,
    CONF_BATTERY_SENSOR,
    CONF_BATTERY_SENSORS,
    CONF_CIRCUIT,
    CONF_EXCEPTION,
    CONF_KIND,
    CONF_MAX_POWER,
    CONF_OUTLET,
    CONF_PARENT,
    CONF_SCAN_INTERVAL,
    DEFAULT_BALANCING_INTERVAL,
    DEFAULT_BATTERY_MAX_AGE,
    DEFAULT_PORT,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
    KIND_BILLING,
    KIND_CIRCUIT,
    LOGGER,
    MAX_BALANCING_INTERVAL,
    MAX_CIRCUIT_POWER_W,
    MAX_SCAN_INTERVAL,
    MIN_BALANCING_INTERVAL,
    MIN_BATTERY_MAX_AGE,
    MIN_SCAN_INTERVAL,
    NO_CIRCUIT,
    OUTLET_NAME_MAX_LENGTH,
)
from .entry_kinds import is_billing_entry, is_circuit_entry
from .flows.circuits import circuit_options
from .planning.inputs import MAX_BATTERY_MAX_AGE_S
from .users import SUBENTRY_USER

PORT = vol.All(vol.Coerce(int), vol.Range(min=1, max=65535))
TOKEN = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
TOKEN_SCHEMA = vol.Schema({vol.Required(CONF_TOKEN): TOKEN})
ADDRESS_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_HOST): TextSelector(),
        vol.Required(CONF_PORT, default=DEFAULT_PORT): PORT,
        vol.Required(CONF_TOKEN): TOKEN,
    }
)


CIRCUIT_NAME_MAX_LENGTH = 64
NEW_CIRCUIT = "new"  # the select option that creates a circuit from a strip's options
MAX_POWER = NumberSelector(
    NumberSelectorConfig(
        min=1,
        max=MAX_CIRCUIT_POWER_W,
        step=1,
        unit_of_measurement="W",
        mode=NumberSelectorMode.BOX,
    )
)


def _circuit_selector(
    hass: HomeAssistant, *, exclude: str | None = None, new: bool = False
) -> SelectSelector:
    """The circuits to choose from, "none" (not on a circuit, or top level) and "new"."""
    options = [SelectOptionDict(value=NO_CIRCUIT, label=NO_CIRCUIT)]
    options += [
        SelectOptionDict(value=entry_id, label=title)
        for entry_id, title in circuit_options(hass, exclude=exclude)
    ]
    if new:
        options.append(SelectOptionDict(value=NEW_CIRCUIT, label=NEW_CIRCUIT))
    return SelectSelector(
        SelectSelectorConfig(
            options=options, mode=SelectSelectorMode.DROPDOWN, translation_key=CONF_CIRCUIT
        )
    )


def _circuit_option(value: str | None) -> str | None:
    return None if value in (None, NO_CIRCUIT, NEW_CIRCUIT) else value


def _circuit_name_error(hass: HomeAssistant, name: str, renaming: str | None = None) -> str | None:
    """Circuit names are what managers tell circuits apart by: non-empty and unique."""
    if not 1 <= len(name) <= CIRCUIT_NAME_MAX_LENGTH:
        return "invalid_name"
    if any(
        title.casefold() == name.casefold() and entry_id != renaming
        for entry_id, title in circuit_options(hass)
    ):
        return "circuit_exists"
    return None


def _client(hass: HomeAssistant, host: str, port: int, token: str | None) -> SmartMultiClient:
    return SmartMultiClient(host, port, token, session=async_get_clientsession(hass))


async def _async_validate(
    hass: HomeAssistant, host: str, port: int, token: str
) -> tuple[AgentInfo | None, dict[str, str]]:
    """Ask the agent who it is, then check the token on an endpoint that needs it."""
    client = _client(hass, host, port, token)
    try:
        info = await client.info()
        await client.state()
    except SmartMultiForbiddenError:
        return None, {"base": "reporter_token"}
    except SmartMultiAuthError:
        return None, {"base": "invalid_auth"}
    except SmartMultiError as err:
        LOGGER.debug("Cannot connect to a SmartMulti agent at %s:%s: %s", host, port, err)
        return None, {"base": "cannot_connect"}
    except Exception:
        LOGGER.exception("Unexpected error validating the SmartMulti agent at %s:%s", host, port)
        return None, {"base": "unknown"}
    return info, {}


class SmartMultiConfigFlow(ConfigFlow, domain=DOMAIN):
    """A strip is identified by its agent's serial."""

    VERSION = 1
    MINOR_VERSION = 1

    _host: str
    _port: int
    _info: AgentInfo

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry[Any]) -> OptionsFlow:
        if is_billing_entry(config_entry):
            return BillingOptionsFlow()
        if is_circuit_entry(config_entry):
            return CircuitOptionsFlow()
        return SmartMultiOptionsFlow()

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry[Any]
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Users are subentries of the billing entry."""
        if is_billing_entry(config_entry):
            return {SUBENTRY_USER: UserSubentryFlow}
        return {}

    async def async_step_import(self, import_data: dict[str, Any]) -> ConfigFlowResult:
        """A circuit, created from a strip's options ("New circuit"): it is its own entry.

        Or the "Users and billing" entry, created with the first strip (billing.py).
        """
        if import_data.get(CONF_KIND) == KIND_BILLING:
            await self.async_set_unique_id(BILLING_UNIQUE_ID)
            self._abort_if_unique_id_configured()
            return self.async_create_entry(
                title=billing_title(self.hass), data={CONF_KIND: KIND_BILLING}
            )
        options: dict[str, Any] = {CONF_MAX_POWER: float(import_data[CONF_MAX_POWER])}
        if parent := import_data.get(CONF_PARENT):
            options[CONF_PARENT] = parent
        name = import_data[CONF_NAME]
        return self.async_create_entry(
            title=name, data={CONF_KIND: KIND_CIRCUIT, CONF_NAME: name}, options=options
        )

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The manager types the agent's address and token."""
        errors: dict[str, str] = {}
        if user_input is not None:
            host, port, token = (
                user_input[CONF_HOST].strip(),
                user_input[CONF_PORT],
                user_input[CONF_TOKEN],
            )
            info, errors = await _async_validate(self.hass, host, port, token)
            if info is not None:
                await self.async_set_unique_id(info.serial, raise_on_progress=False)
                self._abort_if_unique_id_configured(
                    updates={CONF_HOST: host, CONF_PORT: port}, reload_on_update=False
                )
                return self._async_create(info, host, port, token)
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(ADDRESS_SCHEMA, user_input),
            errors=errors,
        )

    async def async_step_zeroconf(self, discovery_info: ZeroconfServiceInfo) -> ConfigFlowResult:
        """An agent advertised itself; a known strip that moved gets its new address."""
        host, port = discovery_info.host, discovery_info.port or DEFAULT_PORT
        if serial := discovery_info.properties.get("serial"):
            await self.async_set_unique_id(serial)
            self._abort_if_unique_id_configured(
                updates={CONF_HOST: host, CONF_PORT: port}, reload_on_update=False
            )
        try:
            info = await _client(self.hass, host, port, None).info()
        except SmartMultiError:
            return self.async_abort(reason="cannot_connect")
        await self.async_set_unique_id(info.serial)
        self._abort_if_unique_id_configured(
            updates={CONF_HOST: host, CONF_PORT: port}, reload_on_update=False
        )
        self._host, self._port, self._info = host, port, info
        self.context["title_placeholders"] = {"name": info.name}
        return await self.async_step_zeroconf_confirm()

    async def async_step_zeroconf_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The discovered strip needs its token before it can be added."""
        errors: dict[str, str] = {}
        if user_input is not None:
            token = user_input[CONF_TOKEN]
            info, errors = await _async_validate(self.hass, self._host, self._port, token)
            if info is not None:
                return self._async_create(info, self._host, self._port, token)
        return self.async_show_form(
            step_id="zeroconf_confirm",
            data_schema=TOKEN_SCHEMA,
            errors=errors,
            description_placeholders=self._placeholders(self._info, self._host, self._port),
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The agent refused the token (it was regenerated, or the strip was reinstalled)."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        entry = self._get_reauth_entry()
        host, port = entry.data[CONF_HOST], entry.data[CONF_PORT]
        errors: dict[str, str] = {}
        if user_input is not None:
            token = user_input[CONF_TOKEN]
            info, errors = await _async_validate(self.hass, host, port, token)
            if info is not None:
                await self.async_set_unique_id(info.serial)
                self._abort_if_unique_id_mismatch(reason="wrong_device")
                return self._async_update_and_reload(
                    entry, "reauth_successful", data={**entry.data, CONF_TOKEN: token}
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=TOKEN_SCHEMA,
            errors=errors,
            description_placeholders={"name": entry.title, "host": host, "port": str(port)},
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """A new address (and token) for the same strip; a new name for a circuit."""
        entry = self._get_reconfigure_entry()
        if is_billing_entry(entry):
            return self.async_abort(reason="billing_reconfigure")
        if is_circuit_entry(entry):
            return await self.async_step_reconfigure_circuit()
        errors: dict[str, str] = {}
        if user_input is not None:
            host, port, token = (
                user_input[CONF_HOST].strip(),
                user_input[CONF_PORT],
                user_input[CONF_TOKEN],
            )
            info, errors = await _async_validate(self.hass, host, port, token)
            if info is not None:
                await self.async_set_unique_id(info.serial)
                self._abort_if_unique_id_mismatch(reason="wrong_device")
                return self._async_update_and_reload(
                    entry,
                    "reconfigure_successful",
                    data={**entry.data, CONF_HOST: host, CONF_PORT: port, CONF_TOKEN: token},
                )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                ADDRESS_SCHEMA, user_input or entry.data
            ),
            errors=errors,
            description_placeholders={"name": entry.title},
        )

    async def async_step_reconfigure_circuit(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            name = str(user_input[CONF_NAME]).strip()
            if error := _circuit_name_error(self.hass, name, renaming=entry.entry_id):
                errors[CONF_NAME] = error
            else:
                return self._async_update_and_reload(
                    entry, "circuit_renamed", title=name, data={**entry.data, CONF_NAME: name}
                )
        return self.async_show_form(
            step_id="reconfigure_circuit",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema({vol.Required(CONF_NAME): TextSelector()}),
                user_input or {CONF_NAME: entry.title},
            ),
            errors=errors,
        )

    @callback
    def _async_update_and_reload(
        self, entry: ConfigEntry[Any], reason: str, **changes: Any
    ) -> ConfigFlowResult:
        """Change the entry and have it set up again with what changed.

        A loaded entry's update listener reloads it when its data changed (the flow must not
        reload it too); an unchanged or unloaded one (a failed token) is reloaded here.
        """
        changed = self.hass.config_entries.async_update_entry(entry, **changes)
        if not changed or entry.state is not ConfigEntryState.LOADED:
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
        return self.async_abort(reason=reason)

    @callback
    def _async_create(self, info: AgentInfo, host: str, port: int, token: str) -> ConfigFlowResult:
        return self.async_create_entry(
            title=info.name, data={CONF_HOST: host, CONF_PORT: port, CONF_TOKEN: token}
        )

    @staticmethod
    def _placeholders(info: AgentInfo, host: str, port: int) -> dict[str, str]:
        return {"name": info.name, "serial": info.serial, "host": host, "port": str(port)}


class SmartMultiOptionsFlow(OptionsFlow):
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
            return self._async_save_balancing(_circuit_option(user_input.get(CONF_CIRCUIT)))
        circuits = {entry_id for entry_id, _ in circuit_options(self.hass)}
        current = options.get(CONF_CIRCUIT)
        schema = vol.Schema(
            {
                vol.Required(
                    CONF_CIRCUIT, default=current if current in circuits else NO_CIRCUIT
                ): _circuit_selector(self.hass, new=True),
                vol.Required(
                    CONF_BALANCING_INTERVAL,
                    default=options.get(CONF_BALANCING_INTERVAL, DEFAULT_BALANCING_INTERVAL),
                ): NumberSelector(
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
            if error := _circuit_name_error(self.hass, name):
                errors[CONF_NAME] = error
            else:
                result = await self.hass.config_entries.flow.async_init(
                    DOMAIN,
                    context={"source": SOURCE_IMPORT},
                    data={
                        CONF_NAME: name,
                        CONF_MAX_POWER: user_input[CONF_MAX_POWER],
                        CONF_PARENT: _circuit_option(user_input.get(CONF_PARENT)),
                    },
                )
                return self._async_save_balancing(result["result"].entry_id)
        schema = vol.Schema(
            {
                vol.Required(CONF_NAME): TextSelector(),
                vol.Required(CONF_MAX_POWER): MAX_POWER,
                vol.Required(CONF_PARENT, default=NO_CIRCUIT): _circuit_selector(self.hass),
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
                    vol.Required(CONF_BATTERY_MAX_AGE, default=current): NumberSelector(
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
                    vol.Required(CONF_SCAN_INTERVAL, default=current): NumberSelector(
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
        return _client(self.hass, data[CONF_HOST], data[CONF_PORT], data[CONF_TOKEN])


class CircuitOptionsFlow(OptionsFlow):
    """A circuit's rating and the circuit it sits under (never one of its own sub-circuits)."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        return await self.async_step_circuit()

    async def async_step_circuit(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        entry = self.config_entry
        if user_input is not None:
            options: dict[str, Any] = {CONF_MAX_POWER: float(user_input[CONF_MAX_POWER])}
            if parent := _circuit_option(user_input.get(CONF_PARENT)):
                options[CONF_PARENT] = parent
            return self.async_create_entry(data=options)
        allowed = {entry_id for entry_id, _ in circuit_options(self.hass, exclude=entry.entry_id)}
        parent = entry.options.get(CONF_PARENT)
        schema = vol.Schema(
            {
                vol.Required(CONF_MAX_POWER, default=entry.options.get(CONF_MAX_POWER)): MAX_POWER,
                vol.Required(
                    CONF_PARENT, default=parent if parent in allowed else NO_CIRCUIT
                ): _circuit_selector(self.hass, exclude=entry.entry_id),
            }
        )
        return self.async_show_form(
            step_id="circuit", data_schema=schema, description_placeholders={"name": entry.title}
        )
