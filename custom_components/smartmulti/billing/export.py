"""``smartmulti.export_billing``: the sessions started in a period, billed, as CSV and as data.

A session belongs to the period it started in, and each user's total is the sum of their
sessions' rounded lines, so the export adds up exactly.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
import io
from pathlib import Path
from typing import Any, Final

from homeassistant.core import ServiceCall, ServiceResponse
from homeassistant.exceptions import HomeAssistantError, Unauthorized, UnknownUser
from homeassistant.util import dt as dt_util

from ..const import DOMAIN
from .download import async_download_link, export_path
from .lookups import ATTR_USER, call_period, find_user, loaded_ledger
from .sessions import Session

CSV_FIELDS: Final = (
    "row",
    "user",
    "sessions",
    "outlet",
    "started",
    "ended",
    "energy_kwh",
    "cost",
    "currency",
)
KWH: Final = Decimal("0.000001")  # a milliwatt-hour: every Wh is exact
MONEY: Final = Decimal("0.0001")


@dataclass(slots=True)
class _Bill:
    """A user's sessions as billed (energy and cost rounded), and their totals."""

    user: str
    user_id: str
    lines: list[tuple[Session, Decimal, Decimal]] = field(default_factory=list)

    def add(self, session: Session) -> None:
        self.lines.append((session, exact_kwh(session.energy_wh), _money(session.cost)))

    @property
    def energy_kwh(self) -> Decimal:
        return sum((kwh for _, kwh, _ in self.lines), Decimal())

    @property
    def cost(self) -> Decimal:
        return sum((cost for _, _, cost in self.lines), Decimal())


async def _async_require_admin(call: ServiceCall) -> None:
    """Everyone's consumption is for administrators; an automation (no user) may ask too.

    The check of Home Assistant's admin services, whose helper takes no response on the oldest
    supported release.
    """
    if call.context.user_id is None:
        return
    user = await call.hass.auth.async_get_user(call.context.user_id)
    if user is None:
        raise UnknownUser(context=call.context, user_id=call.context.user_id)
    if not user.is_admin:
        raise Unauthorized(context=call.context)


async def async_export_billing(call: ServiceCall) -> ServiceResponse:
    """A CSV of the sessions started in the period, with each user's total."""
    hass = call.hass
    await _async_require_admin(call)
    ledger = loaded_ledger(hass)
    start, end = call_period(call)
    only = find_user(hass, ledger, call.data[ATTR_USER]) if ATTR_USER in call.data else None
    bills: dict[str, _Bill] = {}
    for session in await ledger.async_sessions_between(start, end):
        if only and session.user_id != only.id:
            continue
        user = ledger.users.get(session.user_id)
        bill = bills.setdefault(
            session.user_id, _Bill(session.user if user is None else user.name, session.user_id)
        )
        bill.add(session)
    currency = hass.config.currency
    ordered = sorted(bills.values(), key=lambda bill: bill.user.casefold())
    text = _csv(ordered, start, end, currency)
    local_start, local_end = dt_util.as_local(start), dt_util.as_local(end)
    name = f"billing_{local_start:%Y%m%d}_{local_end:%Y%m%d}.csv"
    path = export_path(hass, name)
    try:
        await hass.async_add_executor_job(_write, path, text)
    except OSError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="export_failed",
            translation_placeholders={"path": str(path), "error": str(err)},
        ) from err
    users: list[dict[str, Any]] = []
    for bill in ordered:
        users.append(
            {
                "user": bill.user,
                "user_id": bill.user_id,
                "sessions": len(bill.lines),
                "energy_kwh": float(bill.energy_kwh),
                "cost": float(bill.cost),
                "items": [
                    {
                        "outlet": session.place,
                        "started": dt_util.as_local(session.started_at).isoformat(),
                        "ended": None
                        if session.ended_at is None
                        else dt_util.as_local(session.ended_at).isoformat(),
                        "end_reason": session.end_reason,
                        "energy_kwh": float(kwh),
                        "cost": float(cost),
                    }
                    for session, kwh, cost in bill.lines
                ],
            }
        )
    response: dict[str, Any] = {
        "path": str(path),
        # The CSV for the browser: a link signed for the person who ran the action (an
        # automation has nobody to sign it for).
        "url": async_download_link(hass, name) if call.context.user_id else None,
        "start": local_start.isoformat(),
        "end": local_end.isoformat(),
        "currency": currency,
        "users": users,
        "csv": text,
    }
    return response


def _text(value: str) -> str:
    """A name as a spreadsheet shows it, never as a formula it runs: a cell starting with
    ``=``, ``+``, ``-``, ``@`` or a control character is prefixed with ``'`` (OWASP's advice for
    CSV files), since user and outlet names are free text a manager may paste."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _csv(bills: list[_Bill], start: datetime, end: datetime, currency: str) -> str:
    """One line per session, then the user's total: the sum of the lines above it."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for bill in bills:
        for session, kwh, cost in bill.lines:
            writer.writerow(
                (
                    "session",
                    _text(bill.user),
                    1,
                    _text(session.place),
                    dt_util.as_local(session.started_at).isoformat(),
                    ""
                    if session.ended_at is None
                    else dt_util.as_local(session.ended_at).isoformat(),
                    kwh,
                    cost,
                    currency,
                )
            )
        writer.writerow(
            (
                "total",
                _text(bill.user),
                len(bill.lines),
                "",
                dt_util.as_local(start).isoformat(),
                dt_util.as_local(end).isoformat(),
                bill.energy_kwh,
                bill.cost,
                currency,
            )
        )
    return out.getvalue()


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def exact_kwh(wh: float) -> Decimal:
    """Energy in kWh to the milliwatt-hour, as billed."""
    return (Decimal(repr(wh)) / 1000).quantize(KWH, rounding=ROUND_HALF_UP)


def _money(amount: float) -> Decimal:
    return Decimal(repr(amount)).quantize(MONEY, rounding=ROUND_HALF_UP)
