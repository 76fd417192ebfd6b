"""Config flow: add a strip (by address or from zeroconf), reauth and reconfigure it; create a
circuit (from a strip's options) or the billing entry; hand each kind its options flow."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
)
from homeassistant.const import CONF_HOST, CONF_NAME, CONF_PORT, CONF_TOKEN
from homeassistant.core import callback
from homeassistant.helpers.selector import TextSelector
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo

from .billing.flow import BillingOptionsFlow, UserSubentryFlow
from .billing.setup import BILLING_UNIQUE_ID, billing_title
from .billing.users import SUBENTRY_USER
from .client import SmartMultiError
from .client.models import AgentInfo
from .compat import vol
from .const import (
    CONF_KIND,
    CONF_MAX_POWER,
    CONF_PARENT,
    DEFAULT_PORT,
    DOMAIN,
    ENTRY_MINOR_VERSION,
    ENTRY_VERSION,
    KIND_BILLING,
    KIND_CIRCUIT,
    LOGGER,
)
from .entry_kinds import is_billing_entry, is_circuit_entry
from .flows.agent import (
    ADDRESS_SCHEMA,
    TOKEN_SCHEMA,
    agent_client,
    async_proves_address,
    async_validate_agent,
    parse_address,
    typed_token,
)
from .flows.circuits import CircuitOptionsFlow, circuit_name_error
from .flows.strip_options import StripOptionsFlow


class SmartMultiConfigFlow(ConfigFlow, domain=DOMAIN):
    """A strip is identified by its agent's serial."""

    VERSION = ENTRY_VERSION
    MINOR_VERSION = ENTRY_MINOR_VERSION

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
        return StripOptionsFlow()

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

        Or the "Users and billing" entry, created with the first strip (billing/setup.py).
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
            if (address := parse_address(user_input[CONF_HOST], user_input[CONF_PORT])) is None:
                errors, info = {CONF_HOST: "invalid_host"}, None
            else:
                (host, port), token = address, typed_token(user_input)
                info, errors = await async_validate_agent(self.hass, host, port, token)
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
        """An agent advertised itself; a known strip that moved gets its new address.

        The advertisement's serial is anyone's to send: only the agent answering at the address
        may move a strip there (its token goes where its entry points). A strip advertised at
        the address it already has ends here, with no request.
        """
        host, port = discovery_info.host, discovery_info.port or DEFAULT_PORT
        serial = discovery_info.properties.get("serial")
        known = serial and self.hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, serial)
        if known and (known.data.get(CONF_HOST), known.data.get(CONF_PORT)) == (host, port):
            return self.async_abort(reason="already_configured")
        try:
            info = await agent_client(self.hass, host, port, None).info()
        except SmartMultiError:
            return self.async_abort(reason="cannot_connect")
        await self.async_set_unique_id(info.serial)
        if (
            entry := self.hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, info.serial)
        ) is not None and not await async_proves_address(
            self.hass, host, port, entry.data[CONF_TOKEN]
        ):
            LOGGER.warning(
                "An agent at %s:%s says it is the SmartMulti strip %s but cannot prove it "
                "holds that strip's token: the strip's address is not changed (if the strip "
                "really moved, use Reconfigure)",
                host,
                port,
                entry.title,
            )
            return self.async_abort(reason="unproven_address")
        self._abort_if_unique_id_configured(
            updates={CONF_HOST: host, CONF_PORT: port}, reload_on_update=False
        )
        self._host, self._port, self._info = host, port, info
        self.context["title_placeholders"] = {"name": info.name}
        return await self.async_step_zeroconf_confirm()

    async def async_step_zeroconf_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The discovered strip needs its token before it can be added.

        A discovery may wait in the list for days: the strip answering at its address then must
        still be the one discovered, whose serial the entry is given.
        """
        errors: dict[str, str] = {}
        if user_input is not None:
            token = typed_token(user_input)
            info, errors = await async_validate_agent(self.hass, self._host, self._port, token)
            if info is not None and info.serial != self._info.serial:
                return self.async_abort(reason="wrong_device")
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
            token = typed_token(user_input)
            info, errors = await async_validate_agent(self.hass, host, port, token)
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
            if (address := parse_address(user_input[CONF_HOST], user_input[CONF_PORT])) is None:
                errors, info = {CONF_HOST: "invalid_host"}, None
            else:
                (host, port), token = address, typed_token(user_input)
                info, errors = await async_validate_agent(self.hass, host, port, token)
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
            if error := circuit_name_error(self.hass, name, renaming=entry.entry_id):
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
