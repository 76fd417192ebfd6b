"""The page's words in the visitor's language, and numbers and dates the way they write them.

Home Assistant's translation files only hold the categories its frontend knows (entities,
config flows, services...), so the page's own sentences live here. What the integration already
translates — an outlet's state and the reason it is on or off — is read from its translation
files (``async_get_translations``), so the page says exactly what the manager's dashboard says.
"""

from __future__ import annotations

from datetime import date
from typing import Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers.translation import async_get_translations

from ..const import DOMAIN

LANGUAGES: Final = ("en", "fr")

TEXTS: Final[dict[str, dict[str, str]]] = {
    "en": {
        "title": "My charging — {name}",
        "language": "Language",
        "now": "Charging now",
        "nowhere": "You are not charging on a SmartMulti outlet right now.",
        "battery": "Battery",
        "time_to_full": "Full in",
        "power": "Power",
        "consumption": "My consumption",
        "today": "Today",
        "this_week": "This week",
        "this_month": "This month",
        "energy": "Energy",
        "cost": "Cost",
        "no_history": "History is not available (Home Assistant's recorder is off).",
        "per_day": "Per day, last 30 days (kWh)",
        "per_week": "Per week, last 12 weeks (kWh)",
        "chart_summary": "{count} bars, total {total} kWh, highest {max} kWh.",
        "show_table": "Show the figures",
        "period_col": "Period",
        "week_of": "Week of {date}",
        "limit": "My limit",
        "no_limit": "No limit is set.",
        "used": "{used} of {limit} kWh {period} ({percent} %)",
        "used_no_limit": "{used} kWh {period}",
        "cut_off_note": "At the limit your outlets are switched off until {period}.",
        "reached": "Limit reached.",
        "set_limit": "Change my limit",
        "limit_field": "Limit (kWh per period, 0 for none)",
        "limit_field_max": "Limit (kWh per period)",
        "period_field": "Period",
        "ceilings": "At most {day} kWh a day, {week} kWh a week or {month} kWh a month.",
        "locked": "Your manager has locked your limit.",
        "notify_field": "Notify me at {percent} % of my limit",
        "notify_hint": "Sent by your manager's notification: {target}.",
        "no_notify": "Your manager has not set up notifications for you yet.",
        "save": "Save",
        "saved": "Saved.",
        "day": "day",
        "week": "week",
        "month": "month",
        "err_number": "Enter the limit as a number of kWh, for example 12.5.",
        "err_format": "Write the limit as a number like 2.5, with at most two decimals and "
        "without thousands separators.",
        "err_negative": "The limit cannot be negative.",
        "err_too_high": "The limit can be at most {max} kWh per {period}.",
        "err_required": "A limit is required: between 0.01 and {max} kWh per {period}.",
        "err_period": "Choose a day, a week or a month.",
        "err_locked": "Your manager has locked your limit: it cannot be changed here.",
        "err_expired": "This page is too old or was opened elsewhere: reload it and try again.",
        "stale": "Updated {time}.",
        "footer": "This page is private: anyone with its link can see it. Ask your manager "
        "for a new link if you shared it by mistake.",
        "unknown": "—",
        "link_message": "{name}, your charging page: {url} (keep it private).",
        "log_limit": "set their limit to {limit} kWh per {period} on their personal page",
        "log_no_limit": "removed their limit on their personal page",
        "log_notify_on": "asked to be notified at the limit warning on their personal page",
        "log_notify_off": "asked not to be notified at the limit warning on their personal page",
    },
    "fr": {
        "title": "Ma recharge — {name}",
        "language": "Langue",
        "now": "En charge maintenant",
        "nowhere": "Vous ne chargez sur aucune prise SmartMulti en ce moment.",
        "battery": "Batterie",
        "time_to_full": "Pleine dans",
        "power": "Puissance",
        "consumption": "Ma consommation",
        "today": "Aujourd’hui",
        "this_week": "Cette semaine",
        "this_month": "Ce mois-ci",
        "energy": "Énergie",
        "cost": "Coût",
        "no_history": "L’historique n’est pas disponible (l’enregistreur de Home Assistant "
        "est désactivé).",
        "per_day": "Par jour, 30 derniers jours (kWh)",
        "per_week": "Par semaine, 12 dernières semaines (kWh)",
        "chart_summary": "{count} barres, total {total} kWh, maximum {max} kWh.",
        "show_table": "Voir les chiffres",
        "period_col": "Période",
        "week_of": "Semaine du {date}",
        "limit": "Ma limite",
        "no_limit": "Aucune limite n’est fixée.",
        "used": "{used} sur {limit} kWh {period} ({percent} %)",
        "used_no_limit": "{used} kWh {period}",
        "cut_off_note": "À la limite, vos prises sont coupées jusqu’{period}.",
        "reached": "Limite atteinte.",
        "set_limit": "Modifier ma limite",
        "limit_field": "Limite (kWh par période, 0 pour aucune)",
        "limit_field_max": "Limite (kWh par période)",
        "period_field": "Période",
        "ceilings": "Au plus {day} kWh par jour, {week} kWh par semaine ou {month} kWh par mois.",
        "locked": "Votre gestionnaire a verrouillé votre limite.",
        "notify_field": "Me prévenir à {percent} % de ma limite",
        "notify_hint": "Envoyé par la notification de votre gestionnaire : {target}.",
        "no_notify": "Votre gestionnaire n’a pas encore configuré de notification pour vous.",
        "save": "Enregistrer",
        "saved": "Enregistré.",
        "day": "jour",
        "week": "semaine",
        "month": "mois",
        "err_number": "Saisissez la limite en kWh, par exemple 12,5.",
        "err_format": "Écrivez la limite comme un nombre tel que 2,5, avec au plus deux "
        "décimales et sans séparateur de milliers.",
        "err_negative": "La limite ne peut pas être négative.",
        "err_too_high": "La limite est au plus de {max} kWh par {period}.",
        "err_required": "Une limite est requise : entre 0,01 et {max} kWh par {period}.",
        "err_period": "Choisissez un jour, une semaine ou un mois.",
        "err_locked": "Votre gestionnaire a verrouillé votre limite : elle ne peut pas être "
        "modifiée ici.",
        "err_expired": "Cette page est trop ancienne ou a été ouverte ailleurs : rechargez-la "
        "et réessayez.",
        "stale": "Mis à jour à {time}.",
        "footer": "Cette page est privée : toute personne ayant son lien peut la voir. "
        "Demandez un nouveau lien à votre gestionnaire si vous l’avez partagé par erreur.",
        "unknown": "—",
        "link_message": "{name}, votre page de recharge : {url} (gardez-la privée).",
        "log_limit": "a fixé sa limite à {limit} kWh par {period} sur sa page personnelle",
        "log_no_limit": "a retiré sa limite sur sa page personnelle",
        "log_notify_on": "a demandé à être prévenu·e à l’alerte de limite sur sa page personnelle",
        "log_notify_off": "a demandé à ne pas être prévenu·e à l’alerte de limite sur sa page "
        "personnelle",
    },
}
# A period as the sentences use it: "this ..." and "until the next ...", which French
# inflects by gender.
THIS_PERIOD: Final = {
    "en": {"day": "today", "week": "this week", "month": "this month"},
    "fr": {"day": "aujourd’hui", "week": "cette semaine", "month": "ce mois-ci"},
}
NEXT_PERIOD: Final = {
    "en": {"day": "tomorrow", "week": "next week", "month": "next month"},
    "fr": {"day": "à demain", "week": "à la semaine prochaine", "month": "au mois prochain"},
}


def pick_language(accept_language: str | None, default: str) -> str:
    """The first language of the browser's list that the page speaks, else ``default``'s."""
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if (language := tag.split("-")[0]) in LANGUAGES:
            return language
    fallback = default.split("-", maxsplit=1)[0].lower()
    return fallback if fallback in LANGUAGES else "en"


class Words:
    """Texts and formats of one language."""

    def __init__(self, language: str, entity_texts: dict[str, str]) -> None:
        self.language = language
        self._texts = TEXTS[language]
        self._entity = entity_texts

    def __call__(self, key: str, **values: object) -> str:
        return self._texts[key].format(**values)

    def period(self, period: str) -> str:
        return self._texts[period]

    def this_period(self, period: str) -> str:
        return THIS_PERIOD[self.language][period]

    def next_period(self, period: str) -> str:
        return NEXT_PERIOD[self.language][period]

    def number(self, value: float, decimals: int = 2) -> str:
        text = f"{value:,.{decimals}f}"
        if self.language == "fr":
            return text.replace(",", "\u202f").replace(".", ",")
        return text

    def plain(self, value: float) -> str:
        """A number for a form field: two decimals, no grouping."""
        text = f"{value:.2f}"
        return text.replace(".", ",") if self.language == "fr" else text

    def money(self, value: float, currency: str) -> str:
        amount = self.number(value, 2)
        return f"{amount}\u00a0{currency}" if self.language == "fr" else f"{currency} {amount}"

    def duration(self, seconds: float) -> str:
        minutes = max(1, round(seconds / 60))
        hours, minutes = divmod(minutes, 60)
        if hours:
            return (
                f"{hours}\u00a0h\u00a0{minutes:02d}"
                if self.language == "fr"
                else (f"{hours} h {minutes:02d} min")
            )
        return f"{minutes}\u00a0min" if self.language == "fr" else f"{minutes} min"

    def day(self, day: date) -> str:
        return f"{day.day:02d}/{day.month:02d}" if self.language == "fr" else day.strftime("%b %-d")

    def entity_state(self, sensor: str, state: str) -> str:
        """A state as the integration's sensor of that key shows it."""
        return self._entity.get(
            f"component.{DOMAIN}.entity.sensor.{sensor}.state.{state}", state.replace("_", " ")
        )


async def async_words(hass: HomeAssistant, language: str) -> Words:
    return Words(language, await async_get_translations(hass, language, "entity", {DOMAIN}))
