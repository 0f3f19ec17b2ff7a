"""What the printed labels and column headings of real diary sheets mean.

Kept as data so a new landlord's sheet is supported by adding a phrase, not by changing code.
Sources: ../shared/reference/diary-sheets.md section 1 (the wording of published sheets).
"""

from __future__ import annotations

import enum
import re


class Field(enum.StrEnum):
    # Header fields (one per sheet).
    NAME = "complainant.name"
    ADDRESS = "complainant.address"
    PHONE = "complainant.phone"
    EMAIL = "complainant.email"
    REFERENCE = "complainant.reference"
    SUBJECT_NAME = "subject.name"
    SUBJECT_ADDRESS = "subject.address"
    OFFICER = "officer"
    # Incident fields (per table row or per form); POLICE is either, by position.
    DATE = "date"
    TIME = "time"
    DATETIME = "datetime"
    START = "start"
    END = "end"
    DURATION = "duration"
    LOCATION = "location"
    DESCRIPTION = "description"
    PERSONS = "persons"
    WITNESSES = "witnesses"
    EFFECT = "effect"
    POLICE = "police"
    LEVEL = "level"
    # Lines that are neither: a signature and its date, the date of the report.
    SIGNATURE = "signature"
    REPORT_DATE = "report_date"


HEADER_FIELDS = frozenset(
    {
        Field.NAME,
        Field.ADDRESS,
        Field.PHONE,
        Field.EMAIL,
        Field.REFERENCE,
        Field.SUBJECT_NAME,
        Field.SUBJECT_ADDRESS,
        Field.OFFICER,
    }
)
INCIDENT_FIELDS = frozenset(
    {
        Field.DATE,
        Field.TIME,
        Field.DATETIME,
        Field.START,
        Field.END,
        Field.DURATION,
        Field.LOCATION,
        Field.DESCRIPTION,
        Field.PERSONS,
        Field.WITNESSES,
        Field.EFFECT,
        Field.POLICE,
    }
)

# Exact labels, after `label_key` normalisation. A label matches only as a whole, so "Address the
# noise is coming from" is never read as the resident's own "Address".
# fmt: off
_LABELS: dict[Field, tuple[str, ...]] = {
    Field.NAME: (
        "name", "your name", "full name", "your full name", "resident name", "name of resident",
        "tenant name", "tenants name", "residents name", "complainant", "complainant name",
        "name of complainant", "name of person reporting", "reported by", "victim name",
        "name of victim",
    ),
    Field.ADDRESS: (
        "address", "your address", "home address", "resident address", "residents address",
        "address of resident", "tenant address", "property address", "complainant address",
    ),
    Field.PHONE: (
        "phone", "telephone", "tel", "tel no", "phone number", "telephone number", "mobile",
        "mobile number", "contact number", "contact telephone", "daytime telephone", "phone no",
    ),
    Field.EMAIL: ("email", "e mail", "email address", "e mail address", "your email"),
    Field.REFERENCE: (
        "reference", "ref", "tenancy reference", "tenancy ref", "tenant reference",
        "tenancy number", "tenancy no", "case reference", "case ref", "case number", "case no",
        "our reference", "our ref", "your reference", "asb reference", "asb case reference",
        "customer reference", "account number", "rent account number",
    ),
    Field.SUBJECT_NAME: (
        "name of person causing the problem", "person causing the problem",
        "persons causing the problem", "person causing problems", "persons causing problems",
        "people causing the problem", "name of person causing problems",
        "alleged perpetrator", "alleged perpetrators", "name of alleged perpetrator",
        "perpetrator", "perpetrators", "perpetrator name", "perpetrators name",
        "who is causing the problem", "who is causing the problems", "person responsible",
        "name of the person responsible", "name of neighbour", "neighbours name",
        "person you are complaining about", "name of person you are complaining about",
    ),
    Field.SUBJECT_ADDRESS: (
        "their address", "address of person causing the problem", "perpetrator address",
        "perpetrators address", "address of alleged perpetrator",
        "address the noise is coming from", "address of the noise", "address noise is coming from",
        "where is the noise coming from",
        "address of person responsible", "their address if known", "neighbours address",
    ),
    Field.OFFICER: (
        "police officer", "police officer dealing", "officer dealing", "officer",
        "officer in case", "oic", "attending officer", "investigating officer",
        "contact officer", "police contact", "name of police officer", "police officers name",
        "officer name", "officer s name",
    ),
    Field.POLICE: (
        "police reference", "police reference number", "police reference numbers",
        "police references", "police ref", "police ref no", "police refs", "police incident number",
        "police log number", "police log", "crime reference", "crime reference number",
        "crime number", "crime no", "incident number", "log number", "cad number",
        "did you report it to the police", "did you report it to the police reference",
        "reported to police", "police informed", "police informed reference", "reference number",
        "police reference if any", "agency reported to",
    ),
    Field.DATE: (
        "date", "date of incident", "incident date", "date of the incident", "day and date",
    ),
    Field.TIME: ("time", "time of incident", "what time", "time of the incident", "approx time"),
    Field.DATETIME: ("date and time", "date time", "date and time of incident", "when"),
    Field.START: ("time started", "start time", "time noise starts", "time noise started"),
    Field.END: ("time finished", "end time", "time noise finishes", "time noise finished"),
    Field.DURATION: ("how long did it last", "duration", "how long"),
    Field.LOCATION: ("where did it happen", "location", "where", "place", "where did this happen"),
    Field.DESCRIPTION: (
        "what happened", "details", "description", "details of the incident",
        "details of incident", "describe what happened", "what happened please give details",
        "incident details",
    ),
    Field.PERSONS: (
        "who was involved", "who", "who was responsible", "persons involved", "who did it",
    ),
    Field.WITNESSES: (
        "were there any witnesses", "witnesses", "witness", "any witnesses", "witness names",
    ),
    Field.EFFECT: (
        "how did it affect you", "effect on you", "effect", "how did this affect you",
        "how did the incident affect you", "impact on you", "impact",
    ),
    Field.SIGNATURE: ("signed", "signature", "sign", "your signature", "signed by"),
    Field.REPORT_DATE: ("date of report", "date reported", "date sent", "date completed"),
}
# fmt: on

_LABEL_INDEX: dict[str, Field] = {
    label: field_ for field_, labels in _LABELS.items() for label in labels
}

_PARENTHESES = re.compile(r"\([^)]*\)")
_NON_WORD = re.compile(r"[^a-z0-9]+")


def label_key(text: str) -> str:
    """A label reduced to lower-case words: "Person(s) causing the problem:" -> "persons ...".

    "(s)" is glued on before parentheses are dropped, so "Person(s)" and "Persons" agree.
    """
    text = text.lower().replace("(s)", "s").replace("&", " and ")
    text = _PARENTHESES.sub(" ", text)
    return " ".join(_NON_WORD.sub(" ", text).split())


def field_for_label(text: str) -> Field | None:
    """The field a whole label names, or None when it is not a label we know."""
    if len(text) > 80:
        return None
    return _LABEL_INDEX.get(label_key(text))


# Column headings vary more than labels ("Who Was Responsible For Causing The Incident? (name
# and address)"), so they are classified by ordered keyword rules instead of exact phrases. The
# order matters: "Time Noise Starts" is a start time before it is a time.
_COLUMN_RULES: tuple[tuple[Field, re.Pattern[str]], ...] = tuple(
    (field_, re.compile(pattern))
    for field_, pattern in (
        (Field.DATETIME, r"\bdate\b.*\btime\b|\btime\b.*\bdate\b|^when\b"),
        # "Room Affected" is where, not how it affected them.
        (Field.LOCATION, r"\broom\b"),
        (Field.START, r"\btime\b.*\b(start|starts|started|began|begins)\b|\bstart(ed)? time\b"),
        (
            Field.END,
            r"\btime\b.*\b(finish|finishes|finished|end|ends|ended|stop|stopped|ceased)\b"
            r"|\b(finish|end)(ed)? time\b",
        ),
        (Field.DURATION, r"how long|duration"),
        (Field.WITNESSES, r"witness"),
        (Field.EFFECT, r"\baffect|\beffect|\bimpact\b|make you feel"),
        (Field.POLICE, r"\bpolice\b|\bcrime\b|\bref\b|reference|reported to|agency|\blog\b"),
        (Field.PERSONS, r"\bwho\b|perpetrator|responsible|\bperson|involved|individuals"),
        (Field.DATE, r"\bdate\b|\bday\b"),
        (Field.TIME, r"\btime\b"),
        (Field.LOCATION, r"\bwhere\b|location|\bplace\b"),
        (Field.LEVEL, r"\blevel\b|volume|loudness"),
        (
            Field.DESCRIPTION,
            r"what happened|detail|descri|nature of|what was|incident|type of noise|\bnoise\b"
            r"|what did",
        ),
    )
)


def column_field(heading: str) -> Field | None:
    """The incident field a table column heading names, or None."""
    key = label_key(heading)
    if not key or len(key) > 120:
        return None
    for field_, pattern in _COLUMN_RULES:
        if pattern.search(key):
            return field_
    return None
