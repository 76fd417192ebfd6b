"""Config flow: add a strip by address or from zeroconf, reauth, reconfigure, and options."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult, OptionsFlow
from homeassistant.const import CONF_HOST, CONF_NAME, CONF_PORT, CONF_TOKEN
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    BooleanSelector,
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
import voluptuous as vol

from .api import (
    SmartMultiAuthError,
    SmartMultiClient,
    SmartMultiError,
    SmartMultiForbiddenError,
    SmartMultiResponseError,
)
from .const import (
    CONF_EXCEPTION,
    CONF_OUTLET,
    CONF_SCAN_INTERVAL,
    DEFAULT_PORT,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
    LOGGER,
    MAX_SCAN_INTERVAL,
    MIN_SCAN_INTERVAL,
    OUTLET_NAME_MAX_LENGTH,
)
from .coordinator import SmartMultiConfigEntry
from .models import AgentInfo, Outlet

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
    def async_get_options_flow(config_entry: SmartMultiConfigEntry) -> SmartMultiOptionsFlow:
        return SmartMultiOptionsFlow()

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
                self._abort_if_unique_id_configured(updates={CONF_HOST: host, CONF_PORT: port})
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
            self._abort_if_unique_id_configured(updates={CONF_HOST: host, CONF_PORT: port})
        try:
            info = await _client(self.hass, host, port, None).info()
        except SmartMultiError:
            return self.async_abort(reason="cannot_connect")
        await self.async_set_unique_id(info.serial)
        self._abort_if_unique_id_configured(updates={CONF_HOST: host, CONF_PORT: port})
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
                return self.async_update_reload_and_abort(entry, data_updates={CONF_TOKEN: token})
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=TOKEN_SCHEMA,
            errors=errors,
            description_placeholders={"name": entry.title, "host": host, "port": str(port)},
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """A new address (and token) for the same strip."""
        entry = self._get_reconfigure_entry()
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
                return self.async_update_reload_and_abort(
                    entry, data_updates={CONF_HOST: host, CONF_PORT: port, CONF_TOKEN: token}
                )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                ADDRESS_SCHEMA, user_input or entry.data
            ),
            errors=errors,
            description_placeholders={"name": entry.title},
        )

    @callback
    def _async_create(self, info: AgentInfo, host: str, port: int, token: str) -> ConfigFlowResult:
        return self.async_create_entry(
            title=info.name, data={CONF_HOST: host, CONF_PORT: port, CONF_TOKEN: token}
        )

    @staticmethod
    def _placeholders(info: AgentInfo, host: str, port: int) -> dict[str, str]:
        return {"name": info.name, "serial": info.serial, "host": host, "port": str(port)}


class SmartMultiOptionsFlow(OptionsFlow):
    """Outlets' names and exception flags live on the agent; polling lives in the options."""

    _outlets: Mapping[int, Outlet]
    _outlet_id: int

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        return self.async_show_menu(step_id="init", menu_options=["outlet", "polling"])

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
        """Name and exception flag of one outlet, written to the agent."""
        outlet = self._outlets[self._outlet_id]
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
                    return self.async_create_entry(data=dict(self.config_entry.options))
        schema = vol.Schema(
            {
                vol.Required(CONF_NAME): TextSelector(),
                vol.Required(CONF_EXCEPTION): BooleanSelector(),
            }
        )
        return self.async_show_form(
            step_id="outlet_settings",
            data_schema=self.add_suggested_values_to_schema(
                schema,
                user_input or {CONF_NAME: outlet.name, CONF_EXCEPTION: outlet.exception},
            ),
            errors=errors,
            description_placeholders={"outlet": str(outlet.id)},
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
