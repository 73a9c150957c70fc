"""Dutch (translatable) names for the domain's codes, as shown on the pages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

try:  # WTForms >= 3.3 wants SelectChoice objects; tuples are deprecated there
    from wtforms.fields.choices import SelectChoice
except ImportError:  # pragma: no cover - older WTForms
    SelectChoice = None

CARE_PROFILES = {"somatic": _l("Somatisch"), "psychogeriatric": _l("Psychogeriatrisch (dementie)")}
FEATURES = {
    "wheelchair": _l("Rolstoel toegankelijk"),
    "hoist": _l("Tillift"),
    "single_room": _l("Eigen kamer"),
    "partner_stay": _l("Partner kan mee logeren"),
}
INDICATIONS = {"wlz": _l("Wlz"), "wmo": _l("Wmo"), "none": _l("Geen indicatie"), "unknown": _l("Onbekend")}
FUNDINGS = {
    "wlz": _l("Wlz"), "wmo": _l("Wmo"), "zvw": _l("Zvw"), "private": _l("Eigen betaling"), "unknown": _l("Onbekend"),
}
REASONS = {
    "holiday": _l("Mantelzorgvrije vakantie"),
    "weekend": _l("Weekend vrij"),
    "caregiver_illness": _l("Mantelzorger is ziek"),
    "caregiver_surgery": _l("Mantelzorger heeft een operatie"),
    "other": _l("Andere reden"),
}
STAY_TYPES = {"planned": _l("Gepland"), "urgent": _l("Met spoed")}
BOOKING_STATUSES = {
    "requested": _l("Aangevraagd"),
    "confirmed": _l("Bevestigd"),
    "checked_in": _l("Aanwezig"),
    "completed": _l("Afgerond"),
    "declined": _l("Afgewezen"),
    "cancelled": _l("Geannuleerd"),
    "no_show": _l("Niet gekomen"),
    "expired": _l("Verlopen"),
}
WAITLIST_STATUSES = {
    "waiting": _l("Wacht op een bed"),
    "offered": _l("Bed aangeboden"),
    "placed": _l("Geplaatst"),
    "expired": _l("Verlopen"),
    "withdrawn": _l("Ingetrokken"),
}
OFFER_STATUSES = {"open": _l("Open"), "accepted": _l("Aangenomen"), "declined": _l("Afgewezen"), "expired": _l("Verlopen")}
# Night states of the bed calendar (logeer.booking.pool.bed_calendars)
NIGHT_STATES = {
    "free": _l("Vrij"),
    "pending": _l("Aangevraagd"),
    "booked": _l("Geboekt"),
    "held": _l("Vastgehouden"),
    "closed": _l("Gesloten"),
    "unavailable": _l("Niet aangeboden"),
}
ORG_KINDS = {
    "provider": _l("Zorgaanbieder"),
    "referrer": _l("Verwijzer"),
    "evaluator": _l("Evaluatie"),
    "coordinator": _l("Regiocoördinator"),
}
OUTBOX_STATUSES = {"pending": _l("Wacht"), "sent": _l("Verstuurd"), "failed": _l("Mislukt")}

ALL = {
    "care_profile": CARE_PROFILES, "feature": FEATURES, "indication": INDICATIONS, "funding": FUNDINGS,
    "reason": REASONS, "stay_type": STAY_TYPES, "booking_status": BOOKING_STATUSES,
    "waitlist_status": WAITLIST_STATUSES, "offer_status": OFFER_STATUSES, "night_state": NIGHT_STATES,
    "org_kind": ORG_KINDS, "outbox_status": OUTBOX_STATUSES,
}


def label(kind: str, code: str | None) -> str:
    """The shown name of ``code`` in the list ``kind``; the code itself when unknown."""
    if code is None:
        return ""
    return str(ALL[kind].get(code, code))


def options(pairs) -> list:
    """(value, label) pairs as choices for a WTForms select, radio or checkbox field."""
    if SelectChoice is None:
        return list(pairs)
    return [SelectChoice(pair[0], pair[1]) if isinstance(pair, tuple) else pair for pair in pairs]


def choices(kind: str) -> list:
    """(code, name) choices for a select or radio field (lazy, so the language is chosen per request)."""
    return options(ALL[kind].items())
