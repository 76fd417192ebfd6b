"""The ledger's books: outlets' accounts, sessions and users' totals, and the rules between them.

Attribution: each outlet's counter is compared with the counter its account last counted
(``accounts``) and the difference goes to the outlet's open session (``sessions``), or to
"unassigned", and to the user's limit period (``limits``). A session records the counter at its
start and at its stop; counting, sessions and totals are saved together (``store``), ended
sessions go to their month's store (``history``).

The ledger (``ledger``) builds on these books: it follows the strips and the billing entry and
tells the planners, through ``_outlets_changed``, when users' sessions or holds change.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from ..client.models import AgentInfo, Outlet
from ..const import LOGGER
from ..hints import OutletHints
from ..stored_data import StoredData, stored_month
from .accounts import OutletAccount, account_key
from .history import SessionHistory
from .limits import EVENT_LIMIT_REACHED, Totals
from .sessions import Session
from .store import STORAGE_KEY, LedgerStore
from .users import BillingSettings, UserConfig


class Accounting:
    """The books of every strip's energy (see the module); the ledger builds on them."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.hass = hass
        self.accounts: dict[str, OutletAccount] = {}  # by ``account_key``
        self.open: dict[str, Session] = {}  # open sessions, by id
        self.totals: dict[str, Totals] = {}  # by user id
        self.unassigned = Totals()
        self.users: dict[str, UserConfig] = {}
        self.settings = BillingSettings()
        self._store = LedgerStore(hass, self._to_store)
        self.history = SessionHistory(hass, lambda: self._store.schedule(0))
        self._load_lock = asyncio.Lock()
        self._loaded = False

    def _outlets_changed(self, serial: str, now: datetime) -> None:
        """A session started or ended on the strip, or a user's limit holds its outlets."""

    # ------------------------------------------------------------------ storage

    async def async_load(self) -> None:
        """Read the stored ledger, once, before the first strip counts."""
        async with self._load_lock:
            if self._loaded:
                return
            raw = await self._store.async_load()
            stored = StoredData(STORAGE_KEY, raw)
            self.accounts = stored.mapping("meters", OutletAccount.from_dict)
            closed: list[Session] = []
            for session in stored.sequence("sessions", Session.from_dict):
                if session.open:
                    self.open[session.id] = session
                else:
                    closed.append(session)
            self.history.months = set(stored.sequence("history", stored_month))
            self.totals = stored.mapping("totals", Totals.from_dict)
            self.unassigned = stored.one("unassigned", Totals.from_dict) or Totals()
            if settings := stored.one("settings", BillingSettings.from_options):
                self.settings = settings
            await stored.async_keep_damage_aside(self.hass)
            if raw is None or stored.damaged:
                # A ledger lost or damaged may no longer list the months of ended sessions.
                await self.history.async_find_months(dt_util.utcnow())
            self.history.prune_daily(dt_util.utcnow())
            self._loaded = True
            self.history.archive(closed)  # ended just before a crash: archived now

    def _to_store(self) -> dict[str, Any]:
        return {
            "meters": {key: account.as_dict() for key, account in self.accounts.items()},
            "sessions": [
                s.as_dict() for s in (*self.open.values(), *self.history.closing.values())
            ],
            "history": sorted(self.history.months),
            "totals": {user_id: totals.as_dict() for user_id, totals in self.totals.items()},
            "unassigned": self.unassigned.as_dict(),
            "settings": self.settings.as_dict(),
        }

    # ------------------------------------------------------------------ reading

    async def async_sessions_between(self, start: datetime, end: datetime) -> list[Session]:
        """Every session, open or closed, that started in [start, end), by start."""
        found = {s.id: s for s in await self.history.async_between(start, end)}
        for session in self.open.values():
            if start <= session.started_at < end:
                found[session.id] = session
        return sorted(found.values(), key=lambda s: s.started_at)

    def open_sessions(self, user_id: str | None = None) -> list[Session]:
        return [s for s in self.open.values() if user_id is None or s.user_id == user_id]

    def session_at(self, serial: str, outlet_id: int) -> Session | None:
        account = self.accounts.get(account_key(serial, outlet_id))
        if account is None or account.session is None:
            return None
        return self.open.get(account.session)

    def period_wh(self, user_id: str, now: datetime) -> float:
        """The user's energy in their limit period now (0 when a new one began)."""
        totals = self.totals.get(user_id)
        user = self.users.get(user_id)
        return 0.0 if totals is None or user is None else totals.period_wh_now(user, now)

    def user_named(self, name: str) -> UserConfig | None:
        wanted = name.strip().casefold()
        return next((u for u in self.users.values() if u.name.casefold() == wanted), None)

    def shown_wh(self, serial: str, outlet_id: int, epoch: str | None, counter: float) -> float:
        """The counter an energy sensor shows: within an epoch it never goes back."""
        account = self.accounts.get(account_key(serial, outlet_id))
        return counter if account is None else account.shown(epoch, counter)

    # ------------------------------------------------------------------ counting

    def _count(
        self, serial: str, epoch: str | None, outlet: Outlet, now: datetime, restarted: bool
    ) -> bool:
        """Attribute what the outlet's counter gained since its account last counted it.

        ``restarted``: the agent may have restarted since (``OutletAccount.count``). Returns
        whether energy was attributed.
        """
        key = account_key(serial, outlet.id)
        counter = outlet.energy_wh
        if (account := self.accounts.get(key)) is None:
            # First sight: what the counter shows was drawn before anyone could be billed.
            self.accounts[key] = OutletAccount(epoch=epoch, counted_wh=counter, shown_wh=counter)
            self._store.schedule()
            return False
        delta = account.count(key, epoch, counter, restarted)
        billable = not account.start_unread
        if not billable:
            self._start_from_counted(account)
        if delta is None:
            return False
        self._store.schedule()
        if delta == 0:
            return False
        self._attribute(account, delta, now, billable=billable)
        return True

    def _start_from_counted(self, account: OutletAccount) -> None:
        """The first counter read since a session started unread is where the session starts.

        What the counter gained until then was drawn before or after the start, by the user
        before or by this one: nobody can tell, so nobody is billed for it (it is unassigned).
        """
        account.start_unread = False
        if (session := self.open.get(account.session) if account.session else None) is not None:
            session.meter_start_wh = session.meter_stop_wh = account.counted_wh
        self._store.schedule(0)

    def _attribute(
        self, account: OutletAccount, delta_wh: float, now: datetime, *, billable: bool = True
    ) -> None:
        """Energy the counter gained goes to the open session (if ``billable``), or to
        unassigned."""
        settings, states = self.settings, self.hass.states
        price = settings.price_now(
            states.get(settings.price_entity) if settings.price_entity else None,
            states.get(settings.tariff_entity) if settings.tariff_entity else None,
        )
        session = self.open.get(account.session) if account.session and billable else None
        if session is None:
            self.unassigned.energy_wh += delta_wh
            self.unassigned.cost += delta_wh / 1000.0 * price
            return
        cost = session.add(delta_wh, price, account.counted_wh)
        totals = self.totals.setdefault(session.user_id, Totals())
        totals.energy_wh += delta_wh
        totals.cost += cost
        totals.roll(self.users.get(session.user_id), now)
        totals.add(delta_wh)
        self._check_limit(session.user_id, now)

    # ------------------------------------------------------------------ limits

    def _limit_changed(self, user: UserConfig, now: datetime) -> None:
        """A new limit: thresholds it puts above the usage can fire again in this period."""
        totals = self.totals.setdefault(user.id, Totals())
        totals.roll(user, now)
        totals.rearm(user, self.settings.warning_percent)
        self._check_limit(user.id, now)

    def _check_limit(self, user_id: str, now: datetime) -> None:
        """Each threshold fires its event once per period; a limit reached may hold outlets."""
        user = self.users.get(user_id)
        totals = self.totals.get(user_id)
        if user is None or totals is None:
            return
        for crossing in totals.crossed(user, self.settings.warning_percent):
            outlets = [s.place for s in self.open_sessions(user.id)]
            self.hass.bus.async_fire(crossing.event, crossing.event_data(user, totals, outlets))
            self._store.schedule(0)
            if crossing.event == EVENT_LIMIT_REACHED:
                for serial in {s.strip for s in self.open_sessions(user_id)}:
                    self._outlets_changed(serial, now)

    def holds(self, serial: str, outlet: Outlet) -> bool:
        """Whether the outlet is held off: its user reached a limit with cut-off."""
        if outlet.exception or (session := self.session_at(serial, outlet.id)) is None:
            return False
        user = self.users.get(session.user_id)
        totals = self.totals.get(session.user_id)
        return user is not None and totals is not None and totals.holds(user)

    def hints_of(
        self, serial: str, outlets: Iterable[Outlet], now: datetime
    ) -> dict[int, OutletHints]:
        """The hints of the strip's outlets that have any: their users' tiers, departures, holds."""
        hints: dict[int, OutletHints] = {}
        for outlet in outlets:
            session = self.session_at(serial, outlet.id)
            user = None if session is None else self.users.get(session.user_id)
            if user is None:
                continue
            departure = user.departure_at(now)
            held = self.holds(serial, outlet)
            if user.tier or departure is not None or held:
                hints[outlet.id] = OutletHints(tier=user.tier, departure=departure, held=held)
        return hints

    # ------------------------------------------------------------------ sessions

    def _start(
        self,
        strip: AgentInfo,
        outlet: Outlet,
        user: UserConfig,
        reason: str,
        now: datetime,
        *,
        counter_read: bool = True,
    ) -> Session:
        """Open ``user``'s session on the outlet, from the counter its account counted.

        ``counter_read``: the strip answers, so that counter is the outlet's now. Otherwise the
        session starts from the next counter read (``_start_from_counted``): the one counted
        was read before the strip became unreachable, and what it drew since is not the user's.
        """
        account = self.accounts.setdefault(
            account_key(strip.serial, outlet.id),
            OutletAccount(strip.energy_epoch, outlet.energy_wh, outlet.energy_wh),
        )
        account.start_unread = not counter_read
        session = Session.begin(
            user,
            strip=strip.serial,
            strip_name=strip.name,
            outlet=outlet.id,
            outlet_name=outlet.name,
            counter_wh=account.counted_wh,
            reason=reason,
            now=now,
        )
        self.open[session.id] = session
        account.session = session.id
        account.gone_since = None
        self.totals.setdefault(user.id, Totals()).roll(user, now)
        LOGGER.debug("Session %s: %s on %s (%s)", session.id, user.name, session.place, reason)
        self._outlets_changed(strip.serial, now)
        self._store.schedule(0)
        return session

    def _pair_again(self, user: UserConfig) -> None:
        """A laptop already paired under the user's name starts their session at its next state."""
        for account in self.accounts.values():
            if account.session is None and account.paired and user.answers_to(account.paired):
                account.paired = None

    def _end(self, session: Session, reason: str, now: datetime) -> None:
        # A wall clock set back since the start must not end a session before it began.
        session.ended_at = max(now, session.started_at)
        session.end_reason = reason
        self.open.pop(session.id, None)
        self.history.archive([session])
        account = self.accounts.get(account_key(session.strip, session.outlet))
        if account is not None and account.session == session.id:
            account.session = None
            account.gone_since = None
        LOGGER.debug(
            "Session %s ended (%s): %.3f Wh on %s",
            session.id,
            reason,
            session.energy_wh,
            session.place,
        )
        self._outlets_changed(session.strip, now)
        self._store.schedule(0)

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
            "meters": {key: account.as_dict() for key, account in self.accounts.items()},
            "sessions": {
                "open": len(self.open),
                "closing": len(self.history.closing),
                "months": sorted(self.history.months),
            },
        }
