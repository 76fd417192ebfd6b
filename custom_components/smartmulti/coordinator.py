"""The coordinator: one per strip, fed by the agent's event stream, polling only as a fallback."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import contextlib
from dataclasses import replace
from datetime import datetime, timedelta
import random
import time
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_HOST, CONF_PORT, CONF_TOKEN
from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from . import const
from .client.api import (
    SmartMultiAuthError,
    SmartMultiClient,
    SmartMultiConnectionError,
    SmartMultiError,
    SmartMultiResponseError,
)
from .client.models import AgentInfo, JsonObject, Outlet, SmartMultiData, StripState
from .client.status import IdleTracker
from .compat import device_by_identifier
from .const import CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL, DOMAIN, LOGGER
from .identifiers import outlet_device_identifier, strip_device_identifier


class WrongDeviceError(SmartMultiError):
    """Another strip answers at this entry's address (its IP was given to another device)."""

    def __init__(self, expected: str, found: str) -> None:
        super().__init__(f"expected strip {expected}, found {found}")
        self.expected = expected
        self.found = found


class SmartMultiCoordinator(DataUpdateCoordinator[SmartMultiData]):
    """Keeps one strip's state current, by push.

    A background task holds the agent's event stream: a full snapshot on connect, then only
    what changed, pushed to the entities as it arrives. While the stream is up, nothing is
    polled (``update_interval`` is None). When it drops, the coordinator polls every
    ``scan_interval`` seconds and the task reconnects with a doubling backoff
    (``RECONNECT_MIN_S`` … ``RECONNECT_MAX_S``, with jitter); a successful poll wakes it at once.

    An outage is logged once: one warning when the agent stops answering, one info line when
    it is back. Retries in between log at debug level only.
    """

    config_entry: ConfigEntry[Any]

    def __init__(self, hass: HomeAssistant, config_entry: ConfigEntry[Any]) -> None:
        self.poll_interval = timedelta(
            seconds=config_entry.options.get(CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL)
        )
        super().__init__(
            hass,
            LOGGER,
            config_entry=config_entry,
            name=DOMAIN,
            update_interval=self.poll_interval,
        )
        data = config_entry.data
        self.client = SmartMultiClient(
            data[CONF_HOST],
            data[CONF_PORT],
            data[CONF_TOKEN],
            session=async_get_clientsession(hass),
        )
        self.serial = config_entry.unique_id
        self.stream_connected = False
        self.stream_connections = 0
        self._stream_events = 0  # events applied, to tell a command's answer is older
        # The last event that sent each (outlet, field); under None, the last snapshot.
        self._sent_at: dict[tuple[int, str] | None, int] = {}
        self._wake = asyncio.Event()
        self._idle = IdleTracker()
        self._full_check_at: datetime | None = None
        self._unsub_full_check: CALLBACK_TYPE | None = None
        self._full_check_job = HassJob(
            self._async_full_check, "smartmulti full check", cancel_on_shutdown=True
        )

    @property
    def address(self) -> str:
        return f"{self.client.host}:{self.client.port}"

    # ------------------------------------------------------------------ the poll

    async def _async_update_data(self) -> SmartMultiData:
        """The poll: at setup, and while the event stream is down."""
        try:
            info = await self.client.info()
            self._check_identity(info)
            state = await self.client.state()
        except SmartMultiAuthError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key="invalid_auth",
                translation_placeholders={"address": self.address},
            ) from err
        except WrongDeviceError as err:
            self._set_unavailable(err)
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="wrong_device",
                translation_placeholders={
                    "address": self.address,
                    "expected": err.expected,
                    "found": err.found,
                },
            ) from err
        except SmartMultiError as err:
            self._set_unavailable(err)
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="cannot_connect",
                translation_placeholders={"address": self.address, "error": str(err)},
            ) from err
        self._set_available()
        self._wake.set()  # the agent answers again: reconnect the stream now
        return self._build(info, state)

    # ------------------------------------------------------------------ the stream

    @callback
    def async_start_stream(self) -> None:
        """Start the event stream; the task ends with the config entry."""
        self.config_entry.async_create_background_task(
            self.hass, self._async_stream_forever(), f"{DOMAIN} event stream {self.address}"
        )

    async def _async_stream_forever(self) -> None:
        delay = const.RECONNECT_MIN_S
        while True:
            self._wake.clear()
            try:
                await self._async_stream_once()
            except SmartMultiAuthError as err:
                LOGGER.debug("Event stream from %s refused the token: %s", self.address, err)
                self._stream_down()
                # The poll raises ConfigEntryAuthFailed, which starts the reauth flow.
                await self.async_request_refresh()
                return
            except SmartMultiError as err:
                LOGGER.debug("Event stream from %s failed: %s", self.address, err)
                if not isinstance(err, SmartMultiResponseError):
                    self._set_unavailable(err)
            except Exception:
                # A bug must not end the stream for good: log it, then reconnect as usual.
                LOGGER.exception("Unexpected error in the event stream from %s", self.address)
            else:
                LOGGER.debug("Event stream from %s closed by the agent", self.address)
            if self._stream_down():
                delay = const.RECONNECT_MIN_S  # it was healthy: try again soon
            await self._async_sleep_or_wake(delay)
            delay = min(delay * 2, const.RECONNECT_MAX_S)

    async def _async_stream_once(self) -> None:
        info = await self.client.info()
        self._check_identity(info)
        async with contextlib.aclosing(self.client.events()) as events:
            async for event in events:
                if event.kind == "snapshot":
                    state = _parse_state(StripState.from_dict, event.data)
                    self._stream_up()
                elif event.kind == "update" and self.stream_connected and self.data:
                    state = _parse_state(self.data.state.merged, event.data)
                    info = self.data.info
                else:
                    continue
                self._stream_events += 1
                for key in (None,) if (sent := event.outlet_fields) is None else sent:
                    self._sent_at[key] = self._stream_events
                self._set_available()
                self.async_set_updated_data(self._build(info, state))

    @callback
    def _stream_up(self) -> None:
        self.stream_connected = True
        self.stream_connections += 1
        # Push only: async_set_updated_data cancels the scheduled poll and, with no interval,
        # schedules none.
        self.update_interval = None
        LOGGER.debug("Event stream from %s connected", self.address)

    @callback
    def _stream_down(self) -> bool:
        """Fall back on polling; True if the stream had been up."""
        if not self.stream_connected:
            return False
        self.stream_connected = False
        self.update_interval = self.poll_interval
        self._schedule_refresh()
        return True

    async def _async_sleep_or_wake(self, delay: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay * random.uniform(0.8, 1.2)):
                await self._wake.wait()

    # ------------------------------------------------------------------ availability

    @callback
    def _set_unavailable(self, err: Exception) -> None:
        """Entities unavailable, one warning per outage (none while setting up)."""
        if self.data is None or not self.last_update_success:
            return
        LOGGER.warning(
            "SmartMulti strip %s at %s is unavailable: %s", self.serial, self.address, err
        )
        self.last_update_success = False
        self.last_exception = err
        self.async_update_listeners()

    @callback
    def _set_available(self) -> None:
        """Called before new data is handed over; one info line at the end of an outage."""
        if self.last_update_success:
            return
        LOGGER.info("SmartMulti strip %s at %s is available again", self.serial, self.address)
        self.last_update_success = True

    def _check_identity(self, info: AgentInfo) -> None:
        if self.serial is not None and info.serial != self.serial:
            raise WrongDeviceError(self.serial, info.serial)

    # ------------------------------------------------------------------ commands

    async def async_set_relay(self, outlet_id: int, on: bool | None) -> None:
        """A manual relay command; ``None`` returns the outlet to automatic."""
        await self._async_on_outlet(self.client.set_relay(outlet_id, on), outlet_id, ("override",))

    async def async_update_outlet(
        self, outlet_id: int, *, name: str | None = None, exception: bool | None = None
    ) -> None:
        # An exception outlet holds no manual command: the agent drops its override too.
        fields: tuple[str, ...] = ("name",) if name is not None else ()
        fields += ("exception", "override") if exception is not None else ()
        await self._async_on_outlet(
            self.client.update_outlet(outlet_id, name=name, exception=exception), outlet_id, fields
        )

    async def async_forget_pairing(self, outlet_id: int) -> None:
        """Make the outlet's laptop pair again (the agent tells its reporter on its next post)."""
        await self._async_on_outlet(self.client.forget_pairing(outlet_id), outlet_id, ("paired",))

    async def _async_on_outlet(
        self, request: Awaitable[Outlet], outlet_id: int, fields: tuple[str, ...]
    ) -> None:
        """Await a command on one outlet and show what it set (``fields``); agent errors
        become translated Home Assistant errors."""
        seen = self._stream_events
        try:
            outlet = await request
        except SmartMultiAuthError as err:
            self.config_entry.async_start_reauth(self.hass)
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="invalid_auth",
                translation_placeholders={"address": self.address},
            ) from err
        except SmartMultiConnectionError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="cannot_connect",
                translation_placeholders={"address": self.address, "error": str(err)},
            ) from err
        except SmartMultiResponseError as err:
            if err.code == "exception_outlet":
                raise HomeAssistantError(
                    translation_domain=DOMAIN,
                    translation_key="exception_outlet",
                    translation_placeholders={"outlet": self._outlet_label(outlet_id)},
                ) from err
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="command_failed",
                translation_placeholders={"code": err.code, "message": err.message},
            ) from err
        self._merge_outlet(outlet, seen, fields)

    @callback
    def _merge_outlet(self, outlet: Outlet, seen: int, fields: tuple[str, ...]) -> None:
        """Show a command's effect at once; the stream confirms it on the next sample.

        If the stream applied an event while the command was in flight (``seen``), its state
        may be newer (another admin's command): only the ``fields`` no event since has carried
        are shown. Carried, not changed: a value changed and changed back looks untouched.
        """
        update: JsonObject = outlet.raw
        if self.stream_connected and self._stream_events != seen:
            if self._sent_at.get(None, 0) > seen:
                return  # a snapshot since: the whole state is at least as new
            update = {"id": outlet.id} | {
                k: outlet.raw[k]
                for k in fields
                if k in outlet.raw and self._sent_at.get((outlet.id, k), 0) <= seen
            }
            if len(update) == 1:
                return
        state = self.data.state.merged({"outlets": [update]})
        self._set_available()
        self.async_set_updated_data(self._build(self.data.info, state))

    def _outlet_label(self, outlet_id: int) -> str:
        outlet = self.data.state.outlets.get(outlet_id) if self.data else None
        return outlet.name if outlet else str(outlet_id)

    # ------------------------------------------------------------------ derived state

    def _build(self, info: AgentInfo, state: StripState) -> SmartMultiData:
        data = SmartMultiData(info, self._derive_statuses(state), time.monotonic())
        if self.data is not None:
            self._follow_changes(self.data, data)
        return data

    def _derive_statuses(self, state: StripState) -> StripState:
        """Charging becomes full after a while idle; a timer re-derives when that is due."""
        state, next_due = self._idle.apply(state, dt_util.utcnow())
        self._schedule_full_check(next_due)
        return state

    @callback
    def _schedule_full_check(self, when: datetime | None) -> None:
        if when == self._full_check_at:
            return
        if self._unsub_full_check is not None:
            self._unsub_full_check()
            self._unsub_full_check = None
        self._full_check_at = when
        if when is not None:
            self._unsub_full_check = async_track_point_in_utc_time(
                self.hass, self._full_check_job, when
            )

    @callback
    def _async_full_check(self, _now: datetime) -> None:
        self._unsub_full_check = None
        self._full_check_at = None
        if self.data is None or not self.last_update_success:
            return
        self.data = replace(self.data, state=self._derive_statuses(self.data.state))
        self.async_update_listeners()

    async def async_shutdown(self) -> None:
        await super().async_shutdown()
        self._schedule_full_check(None)

    def _follow_changes(self, old: SmartMultiData, new: SmartMultiData) -> None:
        """Keep the device registry in step with the agent."""
        if old.info.energy_epoch != new.info.energy_epoch:
            LOGGER.info(
                "SmartMulti strip %s lost its saved state: its energy counters restart from 0",
                self.serial,
            )
        if set(old.state.outlets) != set(new.state.outlets):
            LOGGER.info(
                "SmartMulti strip %s now has %d outlets; reloading",
                self.serial,
                len(new.state.outlets),
            )
            self.hass.config_entries.async_schedule_reload(self.config_entry.entry_id)
            return
        if self.serial is None:
            return
        registry = dr.async_get(self.hass)
        if old.info.version != new.info.version and (
            device := device_by_identifier(
                registry, strip_device_identifier(self.serial), self.config_entry.entry_id
            )
        ):
            registry.async_update_device(device.id, sw_version=new.info.version)
        for outlet_id, outlet in new.state.outlets.items():
            if old.state.outlets[outlet_id].name != outlet.name and (
                device := device_by_identifier(
                    registry,
                    outlet_device_identifier(self.serial, outlet_id),
                    self.config_entry.entry_id,
                )
            ):
                registry.async_update_device(device.id, name=outlet.name)


def _parse_state(parse: Callable[[JsonObject], StripState], data: JsonObject) -> StripState:
    try:
        return parse(data)
    except (KeyError, TypeError, ValueError) as err:
        raise SmartMultiConnectionError(f"malformed event from the agent: {err!r}") from err
