"""The ledger: who used which outlet's energy, kept in Home Assistant's storage.

One ledger per Home Assistant (``hass.data[LEDGER_KEY]``), like the site's balancing: users span
strips, and the energy of every strip must be attributed whether or not the "Users and billing"
entry is loaded. Strips attach when they are set up, the billing entry when it is; the ledger is
saved and dropped when the last of them unloads, and read back from storage by the next.

Attribution, at every state the coordinator of a strip publishes: each outlet's counter is
compared with the counter the ledger last counted (``Meter.counted_wh``) and the difference goes
to the outlet's open session, or to "unassigned". A session is an OCPP transaction: it records
the counter at its start and at its stop, and its energy is what its outlet's counter gained
between them. Counting, sessions and totals are saved together, so a Home Assistant crash only
makes the ledger count again, on restart, from the counters it last saved: nothing lost, nothing
counted twice. The live ledger (counters, open sessions, totals) is small and saved within 10 s
of a change; closed sessions go to one store per month (``SessionHistory``), written when a
session ends, so a year of sessions is not rewritten every 10 s on the Pi's SD card.

The agent's counters never decrease while its ``energy_epoch`` stays the same; within an epoch a
counter lower than the one counted means the agent restarted from a save up to 10 s old (after a
kill -9): the ledger counts on from the lower value, since what the counter gains from there is
new energy (the energy sensors hold their last shown value meanwhile: ``shown_wh``). A new epoch
means the agent lost its state (a new SD card): its counters restarted at 0, and everything they
show is new energy.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
import time
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util, ulid as ulid_util
from homeassistant.util.hass_dict import HassKey

from .client.models import Outlet
from .const import DOMAIN, IDLE_W, LOGGER
from .hints import OutletHints
from .listeners import Listeners
from .users import (
    SUBENTRY_USER,
    BillingSettings,
    LimitPeriod,
    UserConfig,
    period_start,
)

if TYPE_CHECKING:
    from .coordinator import SmartMultiCoordinator

LEDGER_KEY: HassKey[Ledger] = HassKey(f"{DOMAIN}_ledger")
STORAGE_KEY: Final = f"{DOMAIN}.ledger"
STORAGE_VERSION: Final = 1
HISTORY_KEY: Final = f"{DOMAIN}.sessions"  # + "_<year>_<month>" of the sessions' start (UTC)
# Energy is saved at most this often; sessions starting or ending are saved at once.
SAVE_DELAY_S: Final = 10.0
# Closed sessions are kept this long for billing exports: the month files older are removed.
SESSION_RETENTION_MONTHS: Final = 13
# Periods roll, departures refresh and laptops that left are noticed at least this often.
TICK: Final = timedelta(seconds=30)
# A relay just switched on draws nothing for a moment (the charger negotiates).
SETTLE_S: Final = 5.0
# A laptop's plugged flag lags its charger by about a second.
PLUG_LAG_S: Final = 2.0
# A reporter's plugged flag is trusted this long; after that the draw decides.
REPORT_FRESH_S: Final = 300.0
NOTIFY_DELAY_S: Final = 1.0

EVENT_LIMIT_WARNING: Final = f"{DOMAIN}_limit_warning"
EVENT_LIMIT_REACHED: Final = f"{DOMAIN}_limit_reached"


class StartReason(StrEnum):
    """Who started a session."""

    PAIRED = "paired"  # the laptop's reporter names the user
    ASSIGNED = "assigned"  # a manager chose the user on the outlet's user select
    SERVICE = "service"  # smartmulti.start_session (an NFC tag, a QR code...)


class EndReason(StrEnum):
    """Why a session ended."""

    LEFT = "left"  # unplugged, or nothing drawn, for the configured time
    CLAIMED = "claimed"  # another user's laptop, assignment or start_session
    UNASSIGNED = "unassigned"  # a manager set the outlet's user select to nobody
    STOPPED = "stopped"  # smartmulti.stop_session
    CLOSING = "closing"  # the space closes (smartmulti.shutdown)
    USER_REMOVED = "user_removed"
    STRIP_REMOVED = "strip_removed"


def meter_key(serial: str, outlet_id: int) -> str:
    return f"{serial}:{outlet_id}"


@dataclass(slots=True)
class Meter:
    """What the ledger knows of one outlet's counter and session."""

    epoch: str | None
    counted_wh: float  # energy up to this counter value is attributed
    shown_wh: float  # the highest counter shown in this epoch (the energy sensors hold it)
    session: str | None = None  # the open session's id
    paired: str | None = None  # the last reporter user seen, to act on changes only
    # Held off by a manual command of an earlier version's cut-off: given back to the plan once.
    held_off: bool = False
    gone_since: datetime | None = field(default=None, compare=False)  # not saved

    def as_dict(self) -> dict[str, Any]:
        return {
            "epoch": self.epoch,
            "counted_wh": self.counted_wh,
            "shown_wh": self.shown_wh,
            "session": self.session,
            "paired": self.paired,
            "held_off": self.held_off,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Meter:
        return cls(
            epoch=data.get("epoch"),
            counted_wh=float(data["counted_wh"]),
            shown_wh=float(data.get("shown_wh", data["counted_wh"])),
            session=data.get("session"),
            paired=data.get("paired"),
            held_off=bool(data.get("held_off", False)),
        )


@dataclass(slots=True)
class Session:
    """A user on an outlet: an OCPP transaction, with the counter at its start and stop."""

    id: str
    user_id: str
    user: str  # the user's name at the start: billing still names a user removed since
    strip: str  # the strip's serial
    strip_name: str
    outlet: int
    outlet_name: str
    started_at: datetime
    start_reason: str
    meter_start_wh: float
    meter_stop_wh: float  # the last counter counted while open, the stop counter once ended
    price_percent: float
    energy_wh: float = 0.0
    cost: float = 0.0
    ended_at: datetime | None = None
    end_reason: str | None = None

    @property
    def open(self) -> bool:
        return self.ended_at is None

    @property
    def place(self) -> str:
        return f"{self.outlet_name} ({self.strip_name})"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "user_id": self.user_id,
            "user": self.user,
            "strip": self.strip,
            "strip_name": self.strip_name,
            "outlet": self.outlet,
            "outlet_name": self.outlet_name,
            "started_at": self.started_at.isoformat(),
            "start_reason": self.start_reason,
            "meter_start_wh": self.meter_start_wh,
            "meter_stop_wh": self.meter_stop_wh,
            "price_percent": self.price_percent,
            "energy_wh": self.energy_wh,
            "cost": self.cost,
            "ended_at": None if self.ended_at is None else self.ended_at.isoformat(),
            "end_reason": self.end_reason,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Session:
        ended = data.get("ended_at")
        return cls(
            id=data["id"],
            user_id=data["user_id"],
            user=data["user"],
            strip=data["strip"],
            strip_name=data["strip_name"],
            outlet=int(data["outlet"]),
            outlet_name=data["outlet_name"],
            started_at=_datetime(data["started_at"]),
            start_reason=data["start_reason"],
            meter_start_wh=float(data["meter_start_wh"]),
            meter_stop_wh=float(data["meter_stop_wh"]),
            price_percent=float(data["price_percent"]),
            energy_wh=float(data["energy_wh"]),
            cost=float(data["cost"]),
            ended_at=None if ended is None else _datetime(ended),
            end_reason=data.get("end_reason"),
        )


@dataclass(slots=True)
class Totals:
    """A user's (or the unassigned) energy and cost, and the limit period's count."""

    energy_wh: float = 0.0
    cost: float = 0.0
    period: str | None = None
    period_start: datetime | None = None
    period_wh: float = 0.0
    warned: bool = False
    reached: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "energy_wh": self.energy_wh,
            "cost": self.cost,
            "period": self.period,
            "period_start": None if self.period_start is None else self.period_start.isoformat(),
            "period_wh": self.period_wh,
            "warned": self.warned,
            "reached": self.reached,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Totals:
        start = data.get("period_start")
        return cls(
            energy_wh=float(data.get("energy_wh", 0.0)),
            cost=float(data.get("cost", 0.0)),
            period=data.get("period"),
            period_start=None if start is None else _datetime(start),
            period_wh=float(data.get("period_wh", 0.0)),
            warned=bool(data.get("warned", False)),
            reached=bool(data.get("reached", False)),
        )


def _datetime(value: str) -> datetime:
    parsed = dt_util.parse_datetime(value)
    if parsed is None:
        raise ValueError(f"not a date and time: {value!r}")
    return parsed


def paired_user(outlet: Outlet) -> str | None:
    """The user named by the reporter the agent pairs with the outlet, if any."""
    paired = outlet.raw.get("paired")
    user = paired.get("user") if isinstance(paired, dict) else None
    return str(user) if user else None


def laptop_gone(outlet: Outlet, agent_now: float) -> bool:
    """Whether the outlet shows no laptop now: the end of a session, once it lasts.

    Only an outlet that is on can tell (an outlet switched off draws nothing, and a simulated
    or real laptop then reports itself unplugged). A fresh report from the laptop's reporter,
    sent after the relay last switched, decides; otherwise the draw does: under the idle
    threshold, once the charger had time to start.
    """
    if not outlet.relay:
        return False
    switched = outlet.last_switch_at
    battery = outlet.battery
    if (
        battery is not None
        and battery.reported_at is not None
        and agent_now - battery.reported_at <= REPORT_FRESH_S
        and (switched is None or battery.reported_at >= switched + PLUG_LAG_S)
    ):
        return not battery.plugged
    if switched is not None and agent_now - switched < SETTLE_S:
        return False
    return outlet.power_w < IDLE_W


def _month(at: datetime) -> str:
    return f"{at.year:04d}_{at.month:02d}"


class SessionHistory:
    """Closed sessions, one store per month of their start (UTC), read when billing asks."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.hass = hass
        self.months: set[str] = set()  # the months stored (kept in the live ledger)
        self._stores: dict[str, Store[dict[str, Any]]] = {}
        self._loaded: dict[str, dict[str, Session]] = {}
        self._lock = asyncio.Lock()

    def _store(self, month: str) -> Store[dict[str, Any]]:
        if (store := self._stores.get(month)) is None:
            store = self._stores[month] = Store(
                self.hass, STORAGE_VERSION, f"{HISTORY_KEY}_{month}"
            )
        return store

    async def _async_month(self, month: str) -> dict[str, Session]:
        if (sessions := self._loaded.get(month)) is None:
            data = await self._store(month).async_load() or {}
            sessions = self._loaded[month] = {
                s["id"]: Session.from_dict(s) for s in data.get("sessions", [])
            }
        return sessions

    async def async_add(self, sessions: Iterable[Session]) -> None:
        """Store closed sessions (again: a session stored twice is stored once)."""
        async with self._lock:
            by_month: dict[str, list[Session]] = {}
            for session in sessions:
                by_month.setdefault(_month(session.started_at), []).append(session)
            for month, closed in by_month.items():
                stored = await self._async_month(month)
                stored.update((session.id, session) for session in closed)
                self.months.add(month)
                await self._store(month).async_save(
                    {"sessions": [session.as_dict() for session in stored.values()]}
                )

    async def async_between(self, start: datetime, end: datetime) -> list[Session]:
        """Closed sessions that started in [start, end)."""
        async with self._lock:
            found: list[Session] = []
            for month in sorted(self.months):
                if _month(start) <= month <= _month(end):
                    found.extend(
                        s
                        for s in (await self._async_month(month)).values()
                        if start <= s.started_at < end
                    )
            return found

    async def async_prune(self, now: datetime) -> None:
        """Months past the retention are no longer billed: their stores are removed."""
        oldest = now.year * 12 + now.month - 1 - SESSION_RETENTION_MONTHS
        async with self._lock:
            for month in sorted(self.months):
                year, number = (int(part) for part in month.split("_"))
                if year * 12 + number - 1 < oldest:
                    await self._store(month).async_remove()
                    self.months.discard(month)
                    self._loaded.pop(month, None)


@dataclass(slots=True)
class StripWatch:
    """A loaded strip the ledger follows."""

    entry_id: str
    coordinator: SmartMultiCoordinator
    unsub: CALLBACK_TYPE | None = None
    # The agent may have restarted since the ledger last counted: it was unreachable, or the
    # event stream connected again (or the ledger has not counted since it attached).
    reconnected: bool = True
    connections: int = 0

    @property
    def serial(self) -> str:
        return self.coordinator.data.info.serial


@callback
def async_get_ledger(hass: HomeAssistant) -> Ledger:
    """The ledger, created (not yet loaded) by the first entry that needs it."""
    if (ledger := hass.data.get(LEDGER_KEY)) is None:
        ledger = hass.data[LEDGER_KEY] = Ledger(hass)
    return ledger


class Ledger(Listeners):
    """Sessions, users' totals and the unassigned energy of every strip (see the module).

    Entities showing the ledger subscribe with ``async_add_listener``.
    """

    def __init__(self, hass: HomeAssistant) -> None:
        super().__init__()
        self.hass = hass
        self.meters: dict[str, Meter] = {}
        self.open: dict[str, Session] = {}  # open sessions, by id
        self.closing: dict[str, Session] = {}  # ended, not yet in the history
        self.history = SessionHistory(hass)
        self.totals: dict[str, Totals] = {}
        self.unassigned = Totals()
        self.users: dict[str, UserConfig] = {}
        self.settings = BillingSettings()
        self.billing_entry_id: str | None = None
        self.strips: dict[str, StripWatch] = {}  # by entry id
        self._store: Store[dict[str, Any]] = Store(hass, STORAGE_VERSION, STORAGE_KEY)
        self._load_lock = asyncio.Lock()
        self._loaded = False
        self._save_handle: asyncio.TimerHandle | None = None
        self._unsub_final_write: CALLBACK_TYPE | None = None
        self._hints: dict[str, dict[int, OutletHints]] = {}  # by strip serial
        self._hint_listeners: dict[str, list[Callable[[], None]]] = {}
        self._unsub_tick: CALLBACK_TYPE | None = None
        self._notify_handle: asyncio.TimerHandle | None = None
        self._pruned_on: str | None = None
        self._archiving: asyncio.Task[None] | None = None
        self._released = False
        # The users as last attached in this run (a billing entry reload keeps them): a user
        # added since may claim a laptop already paired.
        self._last_users: dict[str, UserConfig] | None = None

    # ------------------------------------------------------------------ storage

    async def async_load(self) -> None:
        """Read the stored ledger, once, before the first strip counts."""
        async with self._load_lock:
            if self._loaded:
                return
            data = await self._store.async_load() or {}
            self.meters = {k: Meter.from_dict(v) for k, v in data.get("meters", {}).items()}
            for session in map(Session.from_dict, data.get("sessions", [])):
                (self.open if session.open else self.closing)[session.id] = session
            self.history.months = set(data.get("history", []))
            self.totals = {k: Totals.from_dict(v) for k, v in data.get("totals", {}).items()}
            self.unassigned = Totals.from_dict(data.get("unassigned", {}))
            if settings := data.get("settings"):
                self.settings = BillingSettings.from_options(settings)
            self._prune(dt_util.utcnow())
            self._loaded = True
            if self.closing:  # ended just before a crash: archive them now
                self._archive_soon()

    def _to_store(self) -> dict[str, Any]:
        return {
            "meters": {key: meter.as_dict() for key, meter in self.meters.items()},
            "sessions": [s.as_dict() for s in (*self.open.values(), *self.closing.values())],
            "history": sorted(self.history.months),
            "totals": {user_id: totals.as_dict() for user_id, totals in self.totals.items()},
            "unassigned": self.unassigned.as_dict(),
            "settings": self.settings.as_dict(),
        }

    @callback
    def _schedule_save(self, delay: float = SAVE_DELAY_S) -> None:
        """Save within ``delay``; a save already due sooner is not pushed back.

        The ledger is read when the save is due, here in the event loop: the store writes in an
        executor thread, where reading the ledger while the loop changes it is not safe.
        """
        if self._released:
            return  # a late command's result: the next ledger read what was saved
        due = self.hass.loop.time() + delay
        if self._save_handle is not None and self._save_handle.when() <= due:
            return
        self._cancel_save()
        self._save_handle = self.hass.loop.call_at(due, self._save_now)
        if self._unsub_final_write is None:
            self._unsub_final_write = self.hass.bus.async_listen_once(
                EVENT_HOMEASSISTANT_FINAL_WRITE, self._async_final_write
            )

    @callback
    def _save_now(self) -> None:
        self._save_handle = None
        data = self._to_store()
        self._store.async_delay_save(lambda: data)

    @callback
    def _cancel_save(self) -> bool:
        """Cancel the save due; returns whether one was."""
        if self._save_handle is None:
            return False
        self._save_handle.cancel()
        self._save_handle = None
        return True

    async def _async_final_write(self, _event: Event) -> None:
        """Home Assistant stops: a save still due is written now."""
        self._unsub_final_write = None
        if self._cancel_save():
            await self._store.async_save(self._to_store())

    def _prune(self, now: datetime) -> None:
        """Once a day, the months of sessions past the retention go."""
        today = dt_util.as_local(now).date().isoformat()
        if self._pruned_on == today or not self.history.months:
            return
        self._pruned_on = today

        async def prune() -> None:
            await self.history.async_prune(now)
            self._schedule_save()

        self._run(prune(), f"{DOMAIN} session history pruning")

    @callback
    def _archive_soon(self) -> None:
        """Ended sessions go to their month's store, then leave the live ledger."""
        if self._archiving is None:
            self._archiving = self.hass.async_create_task(
                self._async_archive(), f"{DOMAIN} session history", eager_start=False
            )

    async def _async_archive(self) -> None:
        try:
            while self.closing:
                batch = list(self.closing.values())
                await self.history.async_add(batch)
                for session in batch:
                    self.closing.pop(session.id, None)
                self._schedule_save(0)
        finally:
            self._archiving = None

    async def async_sessions_between(self, start: datetime, end: datetime) -> list[Session]:
        """Every session, open or closed, that started in [start, end), by start."""
        found = {s.id: s for s in await self.history.async_between(start, end)}
        for session in (*self.closing.values(), *self.open.values()):
            if start <= session.started_at < end:
                found[session.id] = session
        return sorted(found.values(), key=lambda s: s.started_at)

    # ------------------------------------------------------------------ who is attached

    @callback
    def attach_strip(self, entry_id: str, coordinator: SmartMultiCoordinator) -> None:
        """Follow a strip's states; what it counted while away is attributed now."""
        watch = StripWatch(entry_id, coordinator)
        self.strips[entry_id] = watch
        watch.unsub = coordinator.async_add_listener(lambda: self._strip_updated(watch))
        self._start_ticking()
        self._strip_updated(watch)
        self._update_hints(watch, dt_util.utcnow())

    async def async_detach_strip(self, entry_id: str) -> None:
        if (watch := self.strips.pop(entry_id, None)) is not None and watch.unsub is not None:
            watch.unsub()
        await self.async_release_if_unused()

    @callback
    def attach_billing(self, entry: ConfigEntry[Any]) -> None:
        """The users and settings of the billing entry (also when they change)."""
        now = dt_util.utcnow()
        self.billing_entry_id = entry.entry_id
        old_users = self._last_users or {}
        self.users = {
            subentry_id: UserConfig.from_subentry(subentry_id, subentry.title, subentry.data)
            for subentry_id, subentry in entry.subentries.items()
            if subentry.subentry_type == SUBENTRY_USER
        }
        self.settings = BillingSettings.from_options(entry.options)
        for session in self.open_sessions():
            if session.user_id not in self.users:
                self._end(session, EndReason.USER_REMOVED, now)
        for user in self.users.values():
            old = old_users.get(user.id)
            if (
                old is None
                or old.limit_kwh != user.limit_kwh
                or old.limit_period != user.limit_period
            ):
                self._limit_changed(user, now)
            if self._last_users is not None and (
                old is None or old.reporter != user.reporter or old.name != user.name
            ):
                # A laptop already paired under this name starts the user's session now.
                for meter in self.meters.values():
                    if meter.session is None and meter.paired and user.answers_to(meter.paired):
                        meter.paired = None
        self._last_users = self.users
        self._start_ticking()
        self._refresh(now)
        self._schedule_save(0)

    async def async_detach_billing(self) -> None:
        self.billing_entry_id = None
        self.users = {}
        self._notify()
        await self.async_release_if_unused()

    @property
    def billing_attached(self) -> bool:
        return self.billing_entry_id is not None

    async def async_release_if_unused(self) -> None:
        """With nothing attached, save and leave: the next entry reads the ledger again."""
        if self.strips or self.billing_attached:
            return
        if self._archiving is not None:
            await self._archiving
        if self._loaded:
            self._cancel_save()
            await self._store.async_save(self._to_store())
            if self.strips or self.billing_attached:
                return  # an entry attached while it saved
        self._cancel_save()
        if self._unsub_final_write is not None:
            self._unsub_final_write()
            self._unsub_final_write = None
        if self._unsub_tick is not None:
            self._unsub_tick()
            self._unsub_tick = None
        if self._notify_handle is not None:
            self._notify_handle.cancel()
            self._notify_handle = None
        if self.hass.data.get(LEDGER_KEY) is self:
            del self.hass.data[LEDGER_KEY]
        self._released = True

    @callback
    def _start_ticking(self) -> None:
        if self._unsub_tick is None:
            self._unsub_tick = async_track_time_interval(
                self.hass, self._tick, TICK, name="smartmulti ledger", cancel_on_shutdown=True
            )

    # ------------------------------------------------------------------ listeners

    @callback
    def _notify(self) -> None:
        """Entities update now (a session started or ended, a setting changed...)."""
        if self._notify_handle is not None:
            self._notify_handle.cancel()
            self._notify_handle = None
        self.async_update_listeners()

    @callback
    def _notify_soon(self) -> None:
        """Energy arrives with every state of every strip: entities follow once a second."""
        if self._notify_handle is None:
            self._notify_handle = self.hass.loop.call_later(NOTIFY_DELAY_S, self._notify)

    # ------------------------------------------------------------------ reading

    def open_sessions(self, user_id: str | None = None) -> list[Session]:
        return [s for s in self.open.values() if user_id is None or s.user_id == user_id]

    def session_at(self, serial: str, outlet_id: int) -> Session | None:
        meter = self.meters.get(meter_key(serial, outlet_id))
        if meter is None or meter.session is None:
            return None
        return self.open.get(meter.session)

    def period_wh(self, user_id: str, now: datetime) -> float:
        """The user's energy in their limit period now (0 when a new one began)."""
        totals = self.totals.get(user_id)
        user = self.users.get(user_id)
        if totals is None or user is None:
            return 0.0
        if totals.period != user.limit_period or totals.period_start != period_start(
            user.limit_period, now
        ):
            return 0.0
        return totals.period_wh

    def user_named(self, name: str) -> UserConfig | None:
        wanted = name.strip().casefold()
        return next((u for u in self.users.values() if u.name.casefold() == wanted), None)

    def shown_wh(self, serial: str, outlet_id: int, epoch: str | None, counter: float) -> float:
        """The counter an energy sensor shows: within an epoch it never goes back."""
        meter = self.meters.get(meter_key(serial, outlet_id))
        if meter is None or meter.epoch != epoch:
            return counter
        meter.shown_wh = max(meter.shown_wh, counter)
        return meter.shown_wh

    # ------------------------------------------------------------------ counting

    @callback
    def _strip_updated(self, watch: StripWatch) -> None:
        coordinator = watch.coordinator
        data = coordinator.data
        if data is None or not coordinator.last_update_success:
            watch.reconnected = True
            return  # the last state is kept while the agent is away: nothing new in it
        now = dt_util.utcnow()
        serial = data.info.serial
        restarted = watch.reconnected or watch.connections != coordinator.stream_connections
        watch.reconnected, watch.connections = False, coordinator.stream_connections
        changed = False
        for outlet in data.state.outlets.values():
            changed |= self._count(serial, data.info.energy_epoch, outlet, now, restarted)
        for outlet in data.state.outlets.values():
            if self._follow_pairing(watch, outlet, now):
                self._notify()
        self._release_old_cut_offs(watch)
        self._update_hints(watch, now)
        if self._follow_presence(watch, now):
            self._notify()
        elif changed:
            self._notify_soon()

    def _count(
        self, serial: str, epoch: str | None, outlet: Outlet, now: datetime, restarted: bool
    ) -> bool:
        """Attribute what the outlet's counter gained since it was last counted.

        A counter lower than the one counted, in the same epoch, is an agent restarted from an
        older save when the agent may have restarted (``restarted``): the ledger counts on from
        it. Otherwise it is an older value arriving late (a stream update overtaken by a
        command's answer): the ledger waits for the counter to pass the one it counted.
        """
        key = meter_key(serial, outlet.id)
        counter = outlet.energy_wh
        meter = self.meters.get(key)
        if meter is None:
            # First sight: what the counter shows was drawn before anyone could be billed.
            self.meters[key] = Meter(epoch=epoch, counted_wh=counter, shown_wh=counter)
            self._schedule_save()
            return False
        if meter.epoch != epoch:
            LOGGER.debug(
                "Outlet %s counted %.3f Wh until its strip lost its counters; counting from 0",
                key,
                meter.counted_wh,
            )
            delta = counter
            meter.epoch, meter.shown_wh = epoch, counter
        elif counter < meter.counted_wh:
            if not restarted:
                return False
            LOGGER.debug(
                "Outlet %s restarted from an older save (%.3f Wh < %.3f Wh): counting on from it",
                key,
                counter,
                meter.counted_wh,
            )
            meter.counted_wh = counter
            self._schedule_save()
            return False
        else:
            delta = counter - meter.counted_wh
        meter.counted_wh = counter
        meter.shown_wh = max(meter.shown_wh, counter)
        if delta <= 0:
            return False
        self._attribute(meter, delta, now)
        self._schedule_save()
        return True

    def _attribute(self, meter: Meter, delta_wh: float, now: datetime) -> None:
        """Energy the counter gained goes to the open session, or to unassigned."""
        price = self._price_now()
        session = self.open.get(meter.session) if meter.session else None
        if session is None:
            self.unassigned.energy_wh += delta_wh
            self.unassigned.cost += delta_wh / 1000.0 * price
            return
        cost = delta_wh / 1000.0 * price * session.price_percent / 100.0
        session.energy_wh += delta_wh
        session.cost += cost
        session.meter_stop_wh = meter.counted_wh
        totals = self.totals.setdefault(session.user_id, Totals())
        totals.energy_wh += delta_wh
        totals.cost += cost
        self._roll_period(session.user_id, totals, now)
        totals.period_wh += delta_wh
        self._check_limit(session.user_id, now)

    def _price_now(self) -> float:
        settings = self.settings
        states = self.hass.states
        return settings.price_now(
            states.get(settings.price_entity) if settings.price_entity else None,
            states.get(settings.tariff_entity) if settings.tariff_entity else None,
        )

    # ------------------------------------------------------------------ limits

    def _roll_period(self, user_id: str, totals: Totals, now: datetime) -> bool:
        """Start the user's new limit period when the calendar says so."""
        user = self.users.get(user_id)
        if user is not None:
            kind = user.limit_period
        else:  # the billing entry is not loaded: keep counting the period it last had
            try:
                kind = LimitPeriod(totals.period or LimitPeriod.MONTH)
            except ValueError:
                kind = LimitPeriod.MONTH
        start = period_start(kind, now)
        if totals.period == kind and totals.period_start == start:
            return False
        totals.period, totals.period_start = kind, start
        totals.period_wh, totals.warned, totals.reached = 0.0, False, False
        return True

    def _limit_changed(self, user: UserConfig, now: datetime) -> None:
        """A new limit: thresholds it puts above the usage can fire again in this period."""
        totals = self.totals.setdefault(user.id, Totals())
        self._roll_period(user.id, totals, now)
        if user.limit_wh is None:
            totals.warned = totals.reached = False
            return
        percent = totals.period_wh / user.limit_wh * 100.0
        totals.warned = totals.warned and percent >= self.settings.warning_percent
        totals.reached = totals.reached and percent >= 100.0
        self._check_limit(user.id, now)

    def _check_limit(self, user_id: str, now: datetime) -> None:
        """Each threshold fires its event once per period; the limit may cut the outlets."""
        user = self.users.get(user_id)
        totals = self.totals.get(user_id)
        if user is None or totals is None or user.limit_wh is None:
            return
        percent = totals.period_wh / user.limit_wh * 100.0
        if not totals.warned and percent >= self.settings.warning_percent:
            totals.warned = True
            self._fire(EVENT_LIMIT_WARNING, user, totals, percent, self.settings.warning_percent)
        if not totals.reached and percent >= 100.0:
            totals.reached = True
            self._fire(EVENT_LIMIT_REACHED, user, totals, percent, 100.0)
            for watch in self._watches_of(user_id):
                self._update_hints(watch, now)

    def _fire(
        self, event: str, user: UserConfig, totals: Totals, percent: float, threshold: float
    ) -> None:
        self.hass.bus.async_fire(
            event,
            {
                "user_id": user.id,
                "user": user.name,
                "person": user.person,
                "notify": user.notify,
                "period": user.limit_period.value,
                "period_start": None
                if totals.period_start is None
                else totals.period_start.isoformat(),
                "energy_kwh": round(totals.period_wh / 1000.0, 6),
                "limit_kwh": user.limit_kwh,
                "percent": round(percent, 1),
                "threshold": threshold,
                "cut_off": user.cut_off,
                "notify_warning": user.notify_warning,
                "outlets": [s.place for s in self.open_sessions(user.id)],
            },
        )
        self._schedule_save(0)

    def _holds(self, meter: Meter, outlet: Outlet) -> bool:
        """Whether the outlet must be held off: its user reached a limit with cut-off."""
        if outlet.exception or (session := self.open.get(meter.session or "")) is None:
            return False
        user = self.users.get(session.user_id)
        totals = self.totals.get(session.user_id)
        return (
            session.open
            and user is not None
            and user.cut_off
            and user.limit_wh is not None
            and totals is not None
            and totals.reached
        )

    @callback
    def _release_old_cut_offs(self, watch: StripWatch) -> None:
        """Give back to the plan an outlet an earlier version cut off with a manual command.

        Cut-offs are now holds in the plan; a manual "off" left by the old way would otherwise
        keep the outlet off after its user's limit resets. A manager's own command since wins.
        """
        for outlet in watch.coordinator.data.state.outlets.values():
            meter = self.meters.get(meter_key(watch.serial, outlet.id))
            if meter is None or not meter.held_off:
                continue
            meter.held_off = False
            self._schedule_save(0)
            if outlet.override is False:
                self._run(
                    watch.coordinator.async_set_relay(outlet.id, None),
                    f"{DOMAIN} release {watch.serial}/{outlet.id}",
                )

    def _run(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        self.hass.async_create_task(coro, name, eager_start=False)

    # ------------------------------------------------------------------ sessions

    def _follow_pairing(self, watch: StripWatch, outlet: Outlet, now: datetime) -> bool:
        """A reporter naming a user starts their session; naming someone else ends it.

        Acts on changes only (the last name seen is saved), so a manager's assignment stands
        until the reporter names someone new. Until the users are known it waits.
        """
        if not self.billing_attached:
            return False
        meter = self.meters[meter_key(watch.serial, outlet.id)]
        name = paired_user(outlet)
        if name == meter.paired:
            return False
        meter.paired = name
        self._schedule_save()
        if name is None:
            return False  # the reporter went quiet: the laptop may still be there
        user = next((u for u in self.users.values() if u.answers_to(name)), None)
        session = self.session_at(watch.serial, outlet.id)
        if session is not None and user is not None and session.user_id == user.id:
            return False
        if session is not None:
            self._end(session, EndReason.CLAIMED, now)
        if user is not None:
            self._start(watch, outlet, user, StartReason.PAIRED, now)
        return True

    def _follow_presence(self, watch: StripWatch, now: datetime) -> bool:
        """End the sessions of outlets that have shown no laptop for ``leave_after``."""
        data = watch.coordinator.data
        agent_now = data.agent_time(time.monotonic())
        ended = False
        for outlet in data.state.outlets.values():
            if (meter := self.meters.get(meter_key(data.info.serial, outlet.id))) is None:
                continue
            session = self.session_at(data.info.serial, outlet.id)
            if session is None or not laptop_gone(outlet, agent_now):
                meter.gone_since = None
                continue
            if meter.gone_since is None:
                meter.gone_since = now
            if now - meter.gone_since >= self.settings.leave_after:
                self._end(session, EndReason.LEFT, now)
                ended = True
        return ended

    def _start(
        self, watch: StripWatch, outlet: Outlet, user: UserConfig, reason: str, now: datetime
    ) -> Session:
        data = watch.coordinator.data
        key = meter_key(data.info.serial, outlet.id)
        meter = self.meters.setdefault(
            key, Meter(data.info.energy_epoch, outlet.energy_wh, outlet.energy_wh)
        )
        session = Session(
            id=ulid_util.ulid_now(),
            user_id=user.id,
            user=user.name,
            strip=data.info.serial,
            strip_name=data.info.name,
            outlet=outlet.id,
            outlet_name=outlet.name,
            started_at=now,
            start_reason=reason,
            meter_start_wh=meter.counted_wh,
            meter_stop_wh=meter.counted_wh,
            price_percent=user.price_percent,
        )
        self.open[session.id] = session
        meter.session = session.id
        meter.gone_since = None
        self._roll_period(user.id, self.totals.setdefault(user.id, Totals()), now)
        LOGGER.debug("Session %s: %s on %s (%s)", session.id, user.name, session.place, reason)
        self._update_hints(watch, now)
        self._schedule_save(0)
        return session

    def _end(self, session: Session, reason: str, now: datetime) -> None:
        session.ended_at = now
        session.end_reason = reason
        self.open.pop(session.id, None)
        self.closing[session.id] = session
        self._archive_soon()
        meter = self.meters.get(meter_key(session.strip, session.outlet))
        if meter is not None and meter.session == session.id:
            meter.session = None
            meter.gone_since = None
        LOGGER.debug(
            "Session %s ended (%s): %.3f Wh on %s",
            session.id,
            reason,
            session.energy_wh,
            session.place,
        )
        if (watch := self._watch(session.strip)) is not None:
            self._update_hints(watch, now)
        self._schedule_save(0)

    def _watch(self, serial: str) -> StripWatch | None:
        return next(
            (w for w in self.strips.values() if w.coordinator.data.info.serial == serial), None
        )

    def _watches_of(self, user_id: str) -> list[StripWatch]:
        serials = {s.strip for s in self.open_sessions(user_id)}
        return [w for serial in serials if (w := self._watch(serial)) is not None]

    # ------------------------------------------------------------------ commands

    @callback
    def async_start_session(
        self, user_id: str, entry_id: str, outlet_id: int, reason: str = StartReason.SERVICE
    ) -> Session:
        """Put a user on an outlet (ending another user's session there)."""
        watch = self.strips[entry_id]
        outlet = watch.coordinator.data.state.outlets[outlet_id]
        user = self.users[user_id]
        now = dt_util.utcnow()
        if (session := self.session_at(watch.serial, outlet_id)) is not None:
            if session.user_id == user_id:
                return session
            self._end(session, EndReason.CLAIMED, now)
        session = self._start(watch, outlet, user, reason, now)
        self._notify()
        return session

    @callback
    def async_end_sessions(
        self, sessions: Iterable[Session], reason: str = EndReason.STOPPED
    ) -> list[Session]:
        """End these sessions now; returns them."""
        now = dt_util.utcnow()
        ended = [session for session in sessions if session.open]
        for session in ended:
            self._end(session, reason, now)
        if ended:
            self._notify()
        return ended

    @callback
    def async_end_sessions_at_closing(
        self, entry_ids: Iterable[str] | None = None
    ) -> list[Session]:
        """Closing time: end the sessions on these strips (all strips if None).

        For ``smartmulti.shutdown``: the energy drawn after this, if any, is unassigned.
        """
        serials = {
            w.serial
            for entry_id, w in self.strips.items()
            if entry_ids is None or entry_id in entry_ids
        }
        return self.async_end_sessions(
            [s for s in self.open_sessions() if entry_ids is None or s.strip in serials],
            EndReason.CLOSING,
        )

    async def async_forget_strip(self, serial: str) -> None:
        """A strip entry was removed: its sessions end and its counters are forgotten."""
        self.async_end_sessions(
            [s for s in self.open_sessions() if s.strip == serial], EndReason.STRIP_REMOVED
        )
        for key in [k for k in self.meters if k.rsplit(":", 1)[0] == serial]:
            del self.meters[key]
        self._schedule_save(0)

    # ------------------------------------------------------------------ periodic

    @callback
    def _tick(self, now: datetime) -> None:
        """New periods, today's departures, laptops gone while the stream is quiet."""
        self._refresh(now)

    @callback
    def _refresh(self, now: datetime) -> None:
        for user_id, totals in self.totals.items():
            if user_id in self.users and self._roll_period(user_id, totals, now):
                self._schedule_save()
        self._prune(now)
        for watch in list(self.strips.values()):
            if watch.coordinator.data is not None and watch.coordinator.last_update_success:
                self._follow_presence(watch, now)
            self._update_hints(watch, now)
        self._notify()

    def _update_hints(self, watch: StripWatch, now: datetime) -> None:
        """Users' priority tiers, usual departures and limit holds, for the strip's planner."""
        hints: dict[int, OutletHints] = {}
        if self.billing_attached and watch.coordinator.data is not None:
            for outlet in watch.coordinator.data.state.outlets.values():
                session = self.session_at(watch.serial, outlet.id)
                user = None if session is None else self.users.get(session.user_id)
                if user is None:
                    continue
                departure = user.departure_at(now)
                meter = self.meters.get(meter_key(watch.serial, outlet.id))
                held = meter is not None and self._holds(meter, outlet)
                if user.tier or departure is not None or held:
                    hints[outlet.id] = OutletHints(tier=user.tier, departure=departure, held=held)
        if hints != self._hints.get(watch.serial, {}):
            self._hints[watch.serial] = hints
            for changed in list(self._hint_listeners.get(watch.serial, ())):
                changed()

    def outlet_hints(self, serial: str) -> Mapping[int, OutletHints]:
        """The hints of a strip's outlets, by outlet id (``HintsSource``)."""
        return self._hints.get(serial, {})

    @callback
    def async_add_hints_listener(self, serial: str, changed: Callable[[], None]) -> CALLBACK_TYPE:
        """Call ``changed`` whenever the strip's hints change (``HintsSource``)."""
        self._hint_listeners.setdefault(serial, []).append(changed)

        @callback
        def remove() -> None:
            listeners = self._hint_listeners.get(serial, [])
            if changed in listeners:
                listeners.remove(changed)

        return remove

    # ------------------------------------------------------------------ diagnostics

    def diagnostics(self) -> dict[str, Any]:
        return {
            "users": {
                user_id: {
                    "limit_kwh": user.limit_kwh,
                    "limit_period": user.limit_period.value,
                    "cut_off": user.cut_off,
                    "tier": user.tier,
                    "totals": self.totals.get(user_id, Totals()).as_dict(),
                }
                for user_id, user in self.users.items()
            },
            "unassigned": self.unassigned.as_dict(),
            "settings": self.settings.as_dict(),
            "meters": {key: meter.as_dict() for key, meter in self.meters.items()},
            "sessions": {
                "open": len(self.open),
                "closing": len(self.closing),
                "months": sorted(self.history.months),
            },
            "strips": sorted(w.serial for w in self.strips.values()),
        }
