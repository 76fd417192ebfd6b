"""The coworker's page: one self-contained HTML document, no script.

Everything is escaped as it is written (``html.escape``); the style sheet is inline and allowed
by its hash in the Content-Security-Policy (``CSP``), which forbids everything else: no script,
no third-party resource, no framing, forms only to the page itself. The form works as a plain
HTML form (post, then redirect), so it works on any phone browser and with a keyboard alone.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
import hashlib
from html import escape
from typing import Final

from homeassistant.util import dt as dt_util

from ..billing.users import LimitPeriod
from .charts import bar_chart
from .figures import Bar, Figures, limit_ceiling
from .i18n import LANGUAGES, Words

CSS: Final = """
:root{color-scheme:light;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:#1b1f24;background:#f4f6f8;line-height:1.45}
body{margin:0}main{max-width:760px;margin:0 auto;padding:16px}
h1{font-size:1.5rem;margin:.2em 0 .6em}h2{font-size:1.15rem;margin:0 0 .6em}
section{background:#fff;border-radius:12px;padding:16px;margin:0 0 16px;
box-shadow:0 1px 2px rgba(0,0,0,.12)}
.lang{float:right;font-size:.9rem}.lang a{color:#0b57d0;margin-left:.6em}
.lang [aria-current]{color:#1b1f24;font-weight:600;text-decoration:none}
.place{border-left:4px solid #1565c0;padding:4px 0 4px 12px;margin:0 0 12px}
.place.waiting{border-color:#b3261e}.place.full{border-color:#2e7d32}
.place h3{font-size:1rem;margin:0}.badge{font-weight:600}
dl.facts{display:grid;grid-template-columns:repeat(auto-fit,minmax(110px,1fr));gap:8px;margin:6px 0}
dl.facts div{background:#f4f6f8;border-radius:8px;padding:6px 10px}
dt{font-size:.85rem;color:#4a5560}dd{margin:0;font-size:1.15rem;font-weight:600}
table.totals{width:100%;border-collapse:collapse;table-layout:fixed;font-size:.95rem}
table.totals th,table.totals td{text-align:right;padding:6px 2px;border-bottom:1px solid #e3e7eb}
table.totals thead th{font-size:.8rem;font-weight:600}table.totals tr>:first-child{width:19%}
table.totals th:first-child{text-align:left}
figure{margin:16px 0 0}figcaption{font-weight:600;margin-bottom:4px}
.chart{width:100%;max-width:600px;height:auto;display:block}
details{margin-top:4px}summary{cursor:pointer;color:#0b57d0}
details table{border-collapse:collapse;font-size:.9rem}
details td,details th{padding:2px 10px 2px 0;text-align:left}
progress{width:100%;height:18px;accent-color:#1565c0}
progress.over{accent-color:#b3261e}
form{display:grid;gap:12px;margin-top:12px;max-width:420px}
label{font-weight:600;display:block;margin-bottom:4px}
input[type=text],select{font:inherit;padding:8px;border:1px solid #6b7680;border-radius:6px;
width:100%;box-sizing:border-box;background:#fff;color:#1b1f24}
.check{display:flex;gap:8px;align-items:center}.check label{margin:0;font-weight:400}
input[type=checkbox]{width:20px;height:20px}
button{font:inherit;font-weight:600;padding:10px 18px;border:0;border-radius:6px;
background:#0b57d0;color:#fff;cursor:pointer;justify-self:start}
:focus-visible{outline:3px solid #e65100;outline-offset:2px}
.error{color:#b3261e;font-weight:600}.ok{color:#1e6b2a;font-weight:600}
.hint{color:#4a5560;font-size:.9rem;margin:4px 0 0}
footer{color:#4a5560;font-size:.85rem;max-width:760px;margin:0 auto;padding:0 20px 24px}
"""
CSP: Final = (
    "default-src 'none'; "
    f"style-src 'sha256-{base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()}'; "
    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


@dataclass(slots=True)
class FormState:
    """What the form shows: the saved values, or what was typed with the error about it."""

    token: str
    limit: str | None = None
    period: str | None = None
    notify_warning: bool | None = None
    error: str | None = None
    saved: bool = False


def render(
    figures: Figures, words: Words, form: FormState, *, path: str, warning_percent: float
) -> str:
    user = figures.user
    lang = words.language
    body = [
        _languages(words, path),
        f"<h1>{escape(words('title', name=user.name))}</h1>",
        _now(figures, words),
        _consumption(figures, words),
        _limit(figures, words, form, path=path, warning_percent=warning_percent),
        "</main><footer>",
        f"<p>{escape(words('footer'))}</p>",
        f"<p>{escape(words('stale', time=dt_util.now().strftime('%H:%M')))}</p>",
        "</footer>",
    ]
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="referrer" content="same-origin"><meta name="robots" content="noindex">'
        f"<title>{escape(words('title', name=user.name))}</title><style>{CSS}</style></head>"
        f"<body><main>{''.join(body)}</body></html>"
    )


def _languages(words: Words, path: str) -> str:
    names = {"en": "English", "fr": "Français"}
    links = "".join(
        f'<a href="{escape(path)}&amp;lang={code}" hreflang="{code}" lang="{code}"'
        + (' aria-current="page"' if code == words.language else "")
        + f">{names[code]}</a>"
        for code in LANGUAGES
    )
    return f'<nav class="lang" aria-label="{escape(words("language"))}">{links}</nav>'


def _now(figures: Figures, words: Words) -> str:
    parts = [f'<section aria-labelledby="h-now"><h2 id="h-now">{escape(words("now"))}</h2>']
    if not figures.places:
        parts.append(f"<p>{escape(words('nowhere'))}</p>")
    for place in figures.places:
        status = place.status or "off"
        facts = []
        if place.battery is not None:
            facts.append((words("battery"), f"{place.battery:.0f}\u00a0%"))
        if place.time_to_full_s is not None:
            facts.append((words("time_to_full"), words.duration(place.time_to_full_s)))
        facts.append((words("power"), f"{place.power_w:.0f}\u00a0W"))
        state = words.entity_state("outlet_state", status) if place.status else words("unknown")
        reason = (
            f" — {escape(words.entity_state('reason', place.reason))}"
            if place.reason and place.reason != status
            else ""
        )
        parts.append(
            f'<div class="place {escape(status)}"><h3>{escape(place.outlet)} '
            f"({escape(place.strip)})</h3>"
            f'<p><span class="badge">{escape(state)}</span>{reason}</p>'
            f"{_facts(facts)}</div>"
        )
    parts.append("</section>")
    return "".join(parts)


def _facts(facts: list[tuple[str, str]]) -> str:
    items = "".join(f"<div><dt>{escape(k)}</dt><dd>{escape(v)}</dd></div>" for k, v in facts)
    return f'<dl class="facts">{items}</dl>'


def _consumption(figures: Figures, words: Words) -> str:
    parts = [
        '<section aria-labelledby="h-use">',
        f'<h2 id="h-use">{escape(words("consumption"))}</h2>',
    ]
    if not figures.history:
        parts.append(f"<p>{escape(words('no_history'))}</p></section>")
        return "".join(parts)
    headers = "".join(
        f'<th scope="col">{escape(words(key))}</th>' for key in ("today", "this_week", "this_month")
    )
    # The recorder answered: no statistics in a period means nothing was drawn.
    energy = "".join(f"<td>{_kwh(words, figures.energy[k] or 0.0)}</td>" for k in figures.energy)
    cost = "".join(
        f"<td>{escape(words.money(figures.cost[k] or 0.0, figures.currency))}</td>"
        for k in figures.cost
    )
    parts.append(
        f'<table class="totals"><thead><tr><td></td>{headers}</tr></thead><tbody>'
        f'<tr><th scope="row">{escape(words("energy"))}</th>{energy}</tr>'
        f'<tr><th scope="row">{escape(words("cost"))}</th>{cost}</tr></tbody></table>'
    )
    parts.append(_chart(figures.days, words, "per_day", label_every=7))
    parts.append(
        _chart(
            figures.weeks,
            words,
            "per_week",
            label_every=3,
            row=lambda bar: words("week_of", date=words.day(bar.start)),
        )
    )
    parts.append("</section>")
    return "".join(parts)


def _kwh(words: Words, value: float | None) -> str:
    return words("unknown") if value is None else f"{words.number(value, 2)}\u00a0kWh"


def _chart(
    bars: list[Bar],
    words: Words,
    title: str,
    *,
    label_every: int,
    row: Callable[[Bar], str] | None = None,
) -> str:
    """The bars, and the same figures as a table for screen readers and exact values."""

    def short(bar: Bar) -> str:
        return words.day(bar.start)

    long = row or short

    total = sum(bar.kwh for bar in bars)
    summary = words(
        "chart_summary",
        count=len(bars),
        total=words.number(total),
        max=words.number(max((bar.kwh for bar in bars), default=0.0)),
    )
    svg = bar_chart(
        bars,
        summary=f"{words(title)}. {summary}",
        label=short,
        value_text=lambda value: words.number(value, 1 if value >= 10 else 2),
        label_every=label_every,
    )
    rows = "".join(
        f"<tr><td>{escape(long(bar))}</td><td>{escape(words.number(bar.kwh, 3))}</td></tr>"
        for bar in bars
    )
    return (
        f'<figure><figcaption id="h-{title}">{escape(words(title))}</figcaption>{svg}'
        f"<details><summary>{escape(words('show_table'))}</summary>"
        f'<table aria-labelledby="h-{title}"><thead><tr><th scope="col">'
        f'{escape(words("period_col"))}</th><th scope="col">kWh</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></details></figure>"
    )


def _limit(
    figures: Figures, words: Words, form: FormState, *, path: str, warning_percent: float
) -> str:
    user = figures.user
    period = user.limit_period.value
    parts = [
        '<section aria-labelledby="h-limit">',
        f'<h2 id="h-limit">{escape(words("limit"))}</h2>',
    ]
    used = words.number(figures.period_kwh)
    if user.limit_kwh is None:
        parts.append(f"<p>{escape(words('no_limit'))} ")
        parts.append(
            escape(words("used_no_limit", used=used, period=words.this_period(period))) + "</p>"
        )
    else:
        percent = figures.period_kwh / user.limit_kwh * 100
        text = words(
            "used",
            used=used,
            limit=words.number(user.limit_kwh),
            period=words.this_period(period),
            percent=f"{percent:.0f}",
        )
        over = ' class="over"' if percent >= 100 else ""
        parts.append(
            f'<p id="limit-text">{escape(text)}</p>'
            f'<progress{over} max="100" value="{min(percent, 100):.1f}" '
            f'aria-labelledby="h-limit" aria-describedby="limit-text">{percent:.0f} %</progress>'
        )
        if percent >= 100:
            parts.append(f'<p class="error">{escape(words("reached"))}</p>')
        if user.cut_off:
            parts.append(
                f'<p class="hint">{escape(words("cut_off_note", period=words.next_period(period)))}</p>'
            )
    parts.append(_form(figures, words, form, path=path, warning_percent=warning_percent))
    parts.append("</section>")
    return "".join(parts)


def _form(
    figures: Figures, words: Words, form: FormState, *, path: str, warning_percent: float
) -> str:
    user = figures.user
    # No thousands separator in the field: what is shown must read back as the same number.
    limit = form.limit if form.limit is not None else words.plain(user.limit_kwh or 0.0)
    chosen = form.period or user.limit_period.value
    notify = user.notify_warning if form.notify_warning is None else form.notify_warning
    locked = " disabled" if user.limit_locked else ""
    error = ' aria-invalid="true" aria-describedby="form-msg"' if form.error else ""
    parts = [
        f'<h3 id="h-form">{escape(words("set_limit"))}</h3>',
        f'<form method="post" action="{escape(path)}" aria-labelledby="h-form">',
        f'<input type="hidden" name="token" value="{escape(form.token)}">',
        f'<input type="hidden" name="lang" value="{words.language}">',
    ]
    if form.error:
        parts.append(f'<p id="form-msg" class="error" role="alert">{escape(form.error)}</p>')
    elif form.saved:
        parts.append(f'<p id="form-msg" class="ok" role="status">{escape(words("saved"))}</p>')
    if user.limit_locked:
        parts.append(f'<p class="hint">{escape(words("locked"))}</p>')
    field = "limit_field_max" if user.limit_max_kwh is not None else "limit_field"
    options = "".join(
        f'<option value="{p.value}"'
        + (" selected" if p.value == chosen else "")
        + ">"
        + escape(words.period(p.value).capitalize())
        + "</option>"
        for p in LimitPeriod
    )
    ceilings = ""
    if user.limit_max_kwh is not None:
        values = {p.value: words.number(limit_ceiling(user, p) or 0.0) for p in LimitPeriod}
        ceilings = f'<p class="hint" id="ceilings">{escape(words("ceilings", **values))}</p>'
    described = ' aria-describedby="ceilings"' if ceilings and not form.error else ""
    parts.append(
        f'<div><label for="limit">{escape(words(field))}</label>'
        f'<input type="text" inputmode="decimal" id="limit" name="limit" '
        f'value="{escape(limit)}" autocomplete="off"{locked}{error}{described}>{ceilings}</div>'
        f'<div><label for="period">{escape(words("period_field"))}</label>'
        f'<select id="period" name="period"{locked}>{options}</select></div>'
    )
    checked = " checked" if notify else ""
    hint = words("notify_hint", target=user.notify) if user.notify else words("no_notify")
    parts.append(
        '<div><div class="check"><input type="checkbox" id="notify" name="notify_warning" '
        f'value="on" aria-describedby="notify-hint"{checked}>'
        f'<label for="notify">{escape(words("notify_field", percent=f"{warning_percent:.0f}"))}'
        f'</label></div><p class="hint" id="notify-hint">{escape(hint)}</p></div>'
        f'<button type="submit">{escape(words("save"))}</button></form>'
    )
    return "".join(parts)
