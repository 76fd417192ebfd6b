"""Users and billing settings as the manager set them, and the rules that only need those.

A user is a config subentry of the "Users and billing" entry (``docs/users.md`` says why); the
entry's options are the site's billing settings. Both are read here into plain dataclasses,
with the rules that need nothing else: which period a limit counts over, what a kWh costs now,
which user a laptop's reporter names. No ``hass`` is stored: the ledger calls these with what it
has.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
import math
from typing import Any, Final

from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import State
from homeassistant.util import dt as dt_util

SUBENTRY_USER: Final = "user"

# User subentry fields
CONF_REPORTER: Final = "reporter"  # the name a laptop's reporter sends, if not the user's name
CONF_PERSON: Final = "person"
CONF_NOTIFY: Final = "notify"
CONF_LIMIT: Final = "limit"  # kWh per period; 0 or absent: no limit
CONF_LIMIT_PERIOD: Final = "limit_period"
CONF_CUT_OFF: Final = "cut_off"
CONF_TIER: Final = "tier"
CONF_DEPARTURE: Final = "departure"  # "HH:MM:SS", the usual time the user leaves
CONF_PRICE_PERCENT: Final = "price_percent"
# What the user may change on their personal page (the coworker package): the limit within
# LIMIT_MAX kWh a month (a week's limit at most 7/31 of it, a day's 1/31), unless locked, and
# whether the limit warning notifies them.
CONF_LIMIT_MAX: Final = "limit_max"
CONF_LIMIT_LOCKED: Final = "limit_locked"
CONF_NOTIFY_WARNING: Final = "notify_warning"

# Billing entry options
CONF_PRICE: Final = "price"  # per kWh, the peak (or only) price
CONF_OFFPEAK_PRICE: Final = "offpeak_price"
CONF_PRICE_ENTITY: Final = "price_entity"
CONF_TARIFF_ENTITY: Final = "tariff_entity"
CONF_OFFPEAK_STATE: Final = "offpeak_state"
CONF_WARNING_PERCENT: Final = "warning_percent"
CONF_LEAVE_AFTER: Final = "leave_after"  # minutes

DEFAULT_PRICE: Final = 0.0
DEFAULT_OFFPEAK_STATE: Final = "off_peak"
DEFAULT_WARNING_PERCENT: Final = 80
DEFAULT_LEAVE_AFTER: Final = 15
DEFAULT_PRICE_PERCENT: Final = 100
DEFAULT_TIER: Final = 0
MAX_TIER: Final = 5
USER_NAME_MAX_LENGTH: Final = 64
# The outlet user select's option for "nobody"; no user may take that name.
NO_USER: Final = "none"


class LimitPeriod(StrEnum):
    """What a consumption limit counts over: the calendar day, week (from Monday) or month."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True, slots=True)
class UserConfig:
    """One user, from their subentry."""

    id: str
    name: str
    reporter: str | None = None
    person: str | None = None
    notify: str | None = None
    limit_kwh: float | None = None
    limit_period: LimitPeriod = LimitPeriod.MONTH
    cut_off: bool = False
    tier: int = DEFAULT_TIER
    departure: time | None = None
    price_percent: float = DEFAULT_PRICE_PERCENT
    limit_max_kwh: float | None = None  # a month's worth; None: no maximum
    limit_locked: bool = False
    notify_warning: bool = True

    @classmethod
    def from_subentry(cls, subentry_id: str, title: str, data: Mapping[str, Any]) -> UserConfig:
        limit = float(data.get(CONF_LIMIT) or 0.0)
        departure = data.get(CONF_DEPARTURE)
        try:
            period = LimitPeriod(data.get(CONF_LIMIT_PERIOD, LimitPeriod.MONTH))
        except ValueError:
            period = LimitPeriod.MONTH
        return cls(
            id=subentry_id,
            name=title,
            reporter=data.get(CONF_REPORTER) or None,
            person=data.get(CONF_PERSON) or None,
            notify=data.get(CONF_NOTIFY) or None,
            limit_kwh=limit if limit > 0 else None,
            limit_period=period,
            cut_off=bool(data.get(CONF_CUT_OFF, False)),
            tier=int(data.get(CONF_TIER, DEFAULT_TIER)),
            departure=dt_util.parse_time(departure) if departure else None,
            price_percent=float(data.get(CONF_PRICE_PERCENT, DEFAULT_PRICE_PERCENT)),
            limit_max_kwh=float(data[CONF_LIMIT_MAX]) if data.get(CONF_LIMIT_MAX) else None,
            limit_locked=bool(data.get(CONF_LIMIT_LOCKED, False)),
            notify_warning=bool(data.get(CONF_NOTIFY_WARNING, True)),
        )

    @property
    def limit_wh(self) -> float | None:
        return None if self.limit_kwh is None else self.limit_kwh * 1000.0

    def answers_to(self, reporter_user: str) -> bool:
        """Whether a laptop reporter sending ``reporter_user`` is this user's (case ignored)."""
        wanted = reporter_user.strip().casefold()
        return wanted in {self.name.casefold(), (self.reporter or "").strip().casefold()}

    def departure_at(self, now: datetime) -> datetime | None:
        """Today's usual departure, while it is still ahead (the balancer's deadline).

        It is the first moment today's clock reads the departure time: of a time the clocks
        show twice (summer time ends), the first; of a time they skip (summer time begins),
        the moment they jump past it. Compared as instants, never as wall times, so that the
        deadline is never one already gone.
        """
        if self.departure is None:
            return None
        at = _first_reading(dt_util.as_local(now).date(), self.departure)
        return at if dt_util.as_utc(at) > dt_util.as_utc(now) else None


@dataclass(frozen=True, slots=True)
class BillingSettings:
    """The billing entry's options: prices, the limit warning, when a session ends by itself."""

    price: float = DEFAULT_PRICE
    offpeak_price: float | None = None
    price_entity: str | None = None
    tariff_entity: str | None = None
    offpeak_state: str = DEFAULT_OFFPEAK_STATE
    warning_percent: float = DEFAULT_WARNING_PERCENT
    leave_after: timedelta = timedelta(minutes=DEFAULT_LEAVE_AFTER)

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> BillingSettings:
        offpeak = options.get(CONF_OFFPEAK_PRICE)
        return cls(
            price=float(options.get(CONF_PRICE, DEFAULT_PRICE)),
            offpeak_price=None if offpeak is None else float(offpeak),
            price_entity=options.get(CONF_PRICE_ENTITY) or None,
            tariff_entity=options.get(CONF_TARIFF_ENTITY) or None,
            offpeak_state=str(options.get(CONF_OFFPEAK_STATE) or DEFAULT_OFFPEAK_STATE),
            warning_percent=float(options.get(CONF_WARNING_PERCENT, DEFAULT_WARNING_PERCENT)),
            leave_after=timedelta(
                minutes=float(options.get(CONF_LEAVE_AFTER, DEFAULT_LEAVE_AFTER))
            ),
        )

    def as_dict(self) -> dict[str, Any]:
        """For the ledger's storage: prices stay known while the billing entry is not loaded."""
        return {
            CONF_PRICE: self.price,
            CONF_OFFPEAK_PRICE: self.offpeak_price,
            CONF_PRICE_ENTITY: self.price_entity,
            CONF_TARIFF_ENTITY: self.tariff_entity,
            CONF_OFFPEAK_STATE: self.offpeak_state,
            CONF_WARNING_PERCENT: self.warning_percent,
            CONF_LEAVE_AFTER: self.leave_after.total_seconds() / 60,
        }

    def price_now(self, price_state: State | None, tariff_state: State | None) -> float:
        """The price of a kWh now.

        A price entity, when it has a number, is the price (it may already follow a tariff).
        Otherwise the off-peak price applies while the tariff entity is in its off-peak state,
        and the fixed price the rest of the time.
        """
        if (price := _number(price_state)) is not None:
            return price
        if (
            self.offpeak_price is not None
            and tariff_state is not None
            and tariff_state.state.strip().casefold() == self.offpeak_state.strip().casefold()
        ):
            return self.offpeak_price
        return self.price


def _number(state: State | None) -> float | None:
    if state is None or state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
        return None
    try:
        value = float(state.state)
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def _first_reading(day: date, wall: time) -> datetime:
    """The first moment of ``day`` the local clock reads ``wall`` or later."""
    at = datetime.combine(day, wall, tzinfo=dt_util.get_default_time_zone())  # fold 0: first
    wanted = at.replace(tzinfo=None)
    if dt_util.as_local(dt_util.as_utc(at)).replace(tzinfo=None) == wanted:
        return at
    # Skipped: between the instants its wall time gives with the offsets before and after the
    # jump lies the jump itself, found to the second.
    before = int(dt_util.as_utc(at.replace(fold=1)).timestamp())
    after = int(dt_util.as_utc(at).timestamp())
    while after - before > 1:
        middle = (before + after) // 2
        if dt_util.as_local(dt_util.utc_from_timestamp(middle)).replace(tzinfo=None) >= wanted:
            after = middle
        else:
            before = middle
    return dt_util.as_local(dt_util.utc_from_timestamp(after))


def period_start(period: LimitPeriod, now: datetime) -> datetime:
    """Local midnight starting the day, week (Monday) or month ``now`` is in (DST-safe)."""
    today = dt_util.as_local(now).date()
    match period:
        case LimitPeriod.DAY:
            first = today
        case LimitPeriod.WEEK:
            first = today - timedelta(days=today.weekday())
        case LimitPeriod.MONTH:
            first = date(today.year, today.month, 1)
    return dt_util.start_of_local_day(first)
