"""The ledger: who used which outlet's energy, kept in Home Assistant's storage.

One ledger per Home Assistant (``hass.data[LEDGER_KEY]``), like the site's scheduler: users span
strips, and the energy of every strip must be attributed whether or not the "Users and billing"
entry is loaded. Strips attach when they are set up, the billing entry when it is; the ledger is
saved and dropped when the last of them unloads, and read back from storage by the next.

The ledger keeps its books (``accounting``) at every state the coordinator of a strip
publishes, starts and ends sessions as laptops come and go or as people ask, and publishes the
users' hints for the planners (``HintsSource``): tiers, departures and holds. It never switches
a relay: a held outlet is planned off. Over 400 lines by a few: what follows a strip (pairing,
presence) and the commands people give share the sessions' life cycle.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
import time
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from ..client.models import Outlet
from ..const import DOMAIN, LOGGER
from ..hints import OutletHints
from ..listeners import Listeners
from .accounting import Accounting
from .accounts import account_key, account_serial
from .presence import ReporterClaim, laptop_gone, reporter_claim
from .sessions import EndReason, Session, StartReason
from .users import SUBENTRY_USER, BillingSettings, UserConfig

if TYPE_CHECKING:
    from ..coordinator import SmartMultiCoordinator

LEDGER_KEY: HassKey[Ledger] = HassKey(f"{DOMAIN}_ledger")
# Periods roll, departures refresh and laptops that left are noticed at least this often.
TICK: Final = timedelta(seconds=30)
NOTIFY_DELAY_S: Final = 1.0


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


class Ledger(Accounting, Listeners):
    """Sessions, users' totals and the unassigned energy of every strip (see the module).

    Entities showing the ledger subscribe with ``async_add_listener``.
    """

    def __init__(self, hass: HomeAssistant) -> None:
        Accounting.__init__(self, hass)
        Listeners.__init__(self)
        self.billing_entry_id: str | None = None
        self.strips: dict[str, StripWatch] = {}  # by entry id
        self._hints: dict[str, dict[int, OutletHints]] = {}  # by strip serial
        self._hint_listeners: dict[str, list[Callable[[], None]]] = {}
        self._unsub_tick: CALLBACK_TYPE | None = None
        self._notify_handle: asyncio.TimerHandle | None = None
        # The users as last attached in this run (a billing entry reload keeps them): a user
        # added since may claim a laptop already paired.
        self._last_users: dict[str, UserConfig] | None = None
        # Which current user a reporter's proof names (``CoworkerLinks.reporter_user``): the
        # links live with the personal page, which depends on billing, not the other way.
        self.reporter_user: Callable[[str, Collection[str]], str | None] | None = None

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
                self._pair_again(user)
        self._last_users = self.users
        self._start_ticking()
        self._refresh(now)
        self._store.schedule(0)

    async def async_detach_billing(self) -> None:
        self.billing_entry_id = None
        self.users = {}
        now = dt_util.utcnow()
        for watch in self.strips.values():  # no users: no tiers, departures or holds
            self._update_hints(watch, now)
        self._notify()
        await self.async_release_if_unused()

    @property
    def billing_attached(self) -> bool:
        return self.billing_entry_id is not None

    async def async_release_if_unused(self) -> None:
        """With nothing attached, save and leave: the next entry reads the ledger again."""
        if self.strips or self.billing_attached:
            return
        await self.history.async_wait()
        if self._loaded:
            await self._store.async_save()
            if self.strips or self.billing_attached:
                return  # an entry attached while it saved
        self._store.close()
        if self._unsub_tick is not None:
            self._unsub_tick()
            self._unsub_tick = None
        if self._notify_handle is not None:
            self._notify_handle.cancel()
            self._notify_handle = None
        if self.hass.data.get(LEDGER_KEY) is self:
            del self.hass.data[LEDGER_KEY]

    @callback
    def _start_ticking(self) -> None:
        if self._unsub_tick is None:
            self._unsub_tick = async_track_time_interval(
                self.hass, self._refresh, TICK, name="smartmulti ledger", cancel_on_shutdown=True
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
        if self._follow_presence(watch, now):
            self._notify()
        elif changed:
            self._notify_soon()

    @callback
    def _release_old_cut_offs(self, watch: StripWatch) -> None:
        """Give back to the plan an outlet an earlier version cut off with a manual command.

        Cut-offs are holds in the plan; a manual "off" an earlier version left would keep the
        outlet off after its user's limit resets. A manager's own command since wins.
        """
        for outlet in watch.coordinator.data.state.outlets.values():
            account = self.accounts.get(account_key(watch.serial, outlet.id))
            if account is None or not account.held_off:
                continue
            account.held_off = False
            self._store.schedule(0)
            if outlet.override is False:
                self.hass.async_create_task(
                    watch.coordinator.async_set_relay(outlet.id, None),
                    f"{DOMAIN} release {watch.serial}/{outlet.id}",
                    eager_start=False,
                )

    # ------------------------------------------------------------------ sessions

    def _follow_pairing(self, watch: StripWatch, outlet: Outlet, now: datetime) -> bool:
        """A reporter naming a user starts their session; naming someone else ends it.

        Acts on changes only (the last claim seen is saved), so a manager's assignment stands
        until the reporter names someone new. Until the users are known it waits. A name
        without a proof of it (``ReporterClaim``) changes nothing: anyone could have sent it.
        """
        if not self.billing_attached:
            return False
        account = self.accounts[account_key(watch.serial, outlet.id)]
        claim = reporter_claim(outlet)
        key = None if claim is None else claim.key
        if key == account.paired:
            return False
        account.paired = key
        self._store.schedule()
        if claim is None:
            return False  # the reporter went quiet: the laptop may still be there
        trusted, user = self._claimed_user(claim)
        if not trusted:
            LOGGER.debug("Outlet %s: a reporter's unproven name starts no session", outlet.id)
            return False
        session = self.session_at(watch.serial, outlet.id)
        if session is not None and user is not None and session.user_id == user.id:
            return False
        if session is not None:
            self._end(session, EndReason.CLAIMED, now)
        if user is not None:
            self._start(watch.coordinator.data.info, outlet, user, StartReason.PAIRED, now)
        return True

    def _claimed_user(self, claim: ReporterClaim) -> tuple[bool, UserConfig | None]:
        """Whether the claim may act on sessions, and the user it names (None: nobody known).

        A proof names its user by itself (``reporter_user``, set up with the personal links);
        the name sent with it is only shown.
        """
        if claim.named_by_admin:
            return True, next((u for u in self.users.values() if u.answers_to(claim.name)), None)
        if claim.proof is None or self.reporter_user is None:
            return False, None
        user_id = self.reporter_user(claim.proof, self.users.keys())
        user = None if user_id is None else self.users.get(user_id)
        return user is not None, user

    def claimed_user_name(self, claim: ReporterClaim) -> str | None:
        """Who the claim names, as shown: None when nothing proves it.

        The rule billing follows (``_claimed_user``), so a dashboard cannot be made to say an
        outlet is someone's by a name anyone holding the reporter token could send. A proven
        user is shown under their configured name; an admin-given name no user answers to, as
        sent.
        """
        trusted, user = self._claimed_user(claim)
        if not trusted:
            return None
        return claim.name if user is None else user.name

    def _follow_presence(self, watch: StripWatch, now: datetime) -> bool:
        """End the sessions of outlets that have shown no laptop for ``leave_after``."""
        data = watch.coordinator.data
        monotonic_now = time.monotonic()
        agent_now = data.agent_time(monotonic_now)
        leave_after_s = self.settings.leave_after.total_seconds()
        ended = False
        for outlet in data.state.outlets.values():
            if (account := self.accounts.get(account_key(data.info.serial, outlet.id))) is None:
                continue
            session = self.session_at(data.info.serial, outlet.id)
            if session is None or not laptop_gone(outlet, agent_now):
                account.gone_since = None
                continue
            if account.gone_since is None:
                account.gone_since = monotonic_now
            if monotonic_now - account.gone_since >= leave_after_s:
                self._end(session, EndReason.LEFT, now)
                ended = True
        return ended

    def _outlets_changed(self, serial: str, now: datetime) -> None:
        """The strip's hints follow its sessions and holds."""
        if (watch := self._watch(serial)) is not None:
            self._update_hints(watch, now)

    def _watch(self, serial: str) -> StripWatch | None:
        return next(
            (w for w in self.strips.values() if w.coordinator.data.info.serial == serial), None
        )

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
        info, answers = watch.coordinator.data.info, watch.coordinator.last_update_success
        session = self._start(info, outlet, user, reason, now, counter_read=answers)
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
        for key in [k for k in self.accounts if account_serial(k) == serial]:
            del self.accounts[key]
        self._store.schedule(0)

    # ------------------------------------------------------------------ periodic

    @callback
    def _refresh(self, now: datetime) -> None:
        """New periods, today's departures, laptops gone while the stream is quiet."""
        for user_id, totals in self.totals.items():
            if (user := self.users.get(user_id)) is not None and totals.roll(user, now):
                self._store.schedule()
        self.history.prune_daily(now)
        for watch in list(self.strips.values()):
            if watch.coordinator.data is not None and watch.coordinator.last_update_success:
                self._follow_presence(watch, now)
            self._update_hints(watch, now)
        self._notify()

    # ------------------------------------------------------------------ hints

    def _update_hints(self, watch: StripWatch, now: datetime) -> None:
        """Users' priority tiers, usual departures and limit holds, for the strip's planner."""
        hints: dict[int, OutletHints] = {}
        if self.billing_attached and watch.coordinator.data is not None:
            hints = self.hints_of(watch.serial, watch.coordinator.data.state.outlets.values(), now)
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
            **super().diagnostics(),
            "strips": sorted(w.serial for w in self.strips.values()),
        }
