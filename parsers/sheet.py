"""From bytes to a `SheetResult`: sniff, extract, recognise, then read dates, references, people.

The only entry point is `parse_sheet`. It never raises for bad input: every `ParseError` becomes
a status and a problem, so one stranger's broken attachment cannot stop the worker.
"""

from __future__ import annotations

import datetime as dt

from parsers import categories, dates, people, police
from parsers.errors import NeedsReview, ParseError, RejectedFile
from parsers.labels import Field
from parsers.layout import RawIncident, RawSheet, recognise
from parsers.model import (
    Complainant,
    Incident,
    Officer,
    PoliceReference,
    SheetResult,
    Status,
    Subject,
)
from parsers.package import DEFAULT_LIMITS, Limits, not_a_word_file
from parsers.sniff import Kind, ole_streams, sniff
from parsers.wordxml import read_document

PARSER_VERSION = "1"


def parse_sheet(
    data: bytes, *, received: dt.datetime | dt.date, limits: Limits = DEFAULT_LIMITS
) -> SheetResult:
    """Read one attachment. `received` is when the email arrived: relative and year-less dates
    resolve against it and no incident is ever dated after it."""
    base = received.date() if isinstance(received, dt.datetime) else received
    try:
        _check_container(data, limits)
        document = read_document(data, limits)
        raw = recognise(document)
        result = _build(raw, base, document.warnings)
    except ParseError as err:
        return SheetResult(status=err.status, problem=err.problem())
    except RecursionError:
        return SheetResult(
            status=Status.REJECTED,
            problem=RejectedFile(
                "xml_malformed",
                "The Word file is nested too deeply to read safely; ask the resident to save it "
                "again as a plain .docx file.",
            ).problem(),
        )
    return result


def _check_container(data: bytes, limits: Limits) -> None:
    if len(data) > limits.max_input_bytes:
        raise RejectedFile(
            "too_large",
            f"The attachment is larger than {limits.max_input_bytes >> 20} MB, far larger than a "
            "diary sheet; ask the resident to send the sheet on its own, without pictures.",
        )
    kind = sniff(data)
    if kind is Kind.ZIP:
        return
    if kind is Kind.OLE:
        _check_ole(data)
    raise {
        Kind.EMPTY: RejectedFile(
            "empty_file", "The attachment is empty; ask the resident to attach the diary again."
        ),
        Kind.RTF: RejectedFile(
            "rtf_not_supported",
            "The attachment is an RTF file, not a Word document; ask the resident to save it "
            "as a .docx file and send it again.",
        ),
        Kind.HTML: _html(),
        Kind.MHTML: _html(),
        Kind.WORD_2003_XML: NeedsReview(
            "word_2003_xml",
            "The attachment is an old Word 2003 XML document; open it in Word and save it as "
            ".docx, or ask the resident to.",
        ),
    }.get(kind, not_a_word_file())


def _html() -> RejectedFile:
    return RejectedFile(
        "html_not_supported",
        "The attachment is a web page saved with a Word name, not a Word document; ask the "
        "resident to save the diary as a .docx file and send it again.",
    )


def _check_ole(data: bytes) -> None:
    streams = ole_streams(data)
    if {"encryptedpackage", "encryptioninfo"} & streams:
        raise NeedsReview(
            "password_protected",
            "The document is password protected; ask the resident to send it again without a "
            "password.",
        )
    if "worddocument" in streams:
        raise NeedsReview(
            "legacy_doc",
            "The attachment is an old-style Word .doc file; open it and save it as .docx "
            "(or enable conversion), or ask the resident to send a .docx.",
        )
    raise not_a_word_file()


# ----- building the result ----------------------------------------------------------------


def _build(raw: RawSheet, base: dt.date, doc_warnings: tuple[str, ...]) -> SheetResult:
    header = raw.header
    subject = _subject(header)
    details: list[PoliceReference] = []
    header_refs = _references(raw.header_police, labelled=True, into=details)
    incidents: list[Incident] = []
    previous_date: dt.date | None = None
    for item in raw.incidents:
        incident = _incident(item, base, previous_date, subject, details)
        previous_date = incident.date or previous_date
        incidents.append(incident)
    if not incidents:
        raise NeedsReview(
            "no_incidents",
            "No incidents could be found in this document; check whether it is a diary sheet "
            "and enter its incidents by hand if it is.",
        )
    layouts = {item.layout for item in raw.incidents}
    return SheetResult(
        status=Status.PARSED,
        complainant=_complainant(header),
        subject=subject,
        officer=_officer(header.get(Field.OFFICER)),
        police_references=tuple(header_refs),
        incidents=tuple(incidents),
        layout=raw.incidents[0].layout if len(layouts) == 1 else "mixed",
        warnings=doc_warnings,
        reference_details=tuple(details),
    )


def _value(header: dict[Field, str], field_: Field) -> str | None:
    value = header.get(field_, "").strip()
    return value or None


def _complainant(header: dict[Field, str]) -> Complainant:
    return Complainant(
        name=_value(header, Field.NAME),
        address=_value(header, Field.ADDRESS),
        phone=_value(header, Field.PHONE),
        email=_value(header, Field.EMAIL),
        reference=_value(header, Field.REFERENCE),
    )


def _subject(header: dict[Field, str]) -> Subject:
    name = _value(header, Field.SUBJECT_NAME)
    address = _value(header, Field.SUBJECT_ADDRESS)
    if name is not None:
        name, written_address = people.split_name_address(name)
        address = address or written_address
    return Subject(name=name, address=address)


def _officer(text: str | None) -> Officer | None:
    if not text:
        return None
    return police.find_officer(text, labelled=True)


def _references(texts: list[str], *, labelled: bool, into: list[PoliceReference]) -> list[str]:
    found: list[str] = []
    for text in texts:
        for ref in police.find_references(text, labelled=labelled):
            if ref.text not in found:
                found.append(ref.text)
                into.append(ref)
    return found


def _incident(
    item: RawIncident,
    base: dt.date,
    previous: dt.date | None,
    subject: Subject,
    details: list[PoliceReference],
) -> Incident:
    fields = item.fields
    date_text, time_text = _date_time_texts(fields)
    description = fields.get(Field.DESCRIPTION)
    warnings: list[str] = []

    # A date picker's stored date beats its display text, but never a date after the email.
    date_value = item.date_hint if item.date_hint and item.date_hint <= base else None
    if date_value is None and date_text:
        parsed = dates.parse_date(date_text, base=base, hint=previous)
        date_value = parsed.value
        warnings.extend(parsed.warnings)
    elif date_text is None:
        warnings.append("No date was given for this incident.")

    start = end = None
    end_date = None
    if time_text:
        timed = dates.parse_time(time_text, context=description or "")
        start, end = timed.start, timed.end
        warnings.extend(timed.warnings)
        if timed.crosses_midnight and date_value is not None:
            end_date = date_value + dt.timedelta(days=1)

    refs = _references([fields.get(Field.POLICE, "")], labelled=True, into=details)
    for extra in _references([description or ""], labelled=False, into=details):
        if extra not in refs:
            refs.append(extra)
    if Field.PERSONS in fields:
        persons = people.names_in_who(fields[Field.PERSONS])
    else:
        persons = people.mentions_of(subject.name, description)
    found = categories.categorise(description, location=fields.get(Field.LOCATION))
    if not description:
        warnings.append("No description of what happened was given.")
    return Incident(
        date=date_value,
        time=start,
        end_date=end_date,
        end_time=end,
        date_text=date_text,
        time_text=time_text,
        location=fields.get(Field.LOCATION),
        description=description,
        persons=tuple(persons),
        witnesses=tuple(people.witnesses(fields.get(Field.WITNESSES))),
        effect=fields.get(Field.EFFECT),
        police_references=tuple(refs),
        categories=found.categories,
        urgent=found.urgent,
        warnings=tuple(warnings),
        source=item.source,
        duration_text=fields.get(Field.DURATION),
    )


def _date_time_texts(fields: dict[Field, str]) -> tuple[str | None, str | None]:
    date_text = fields.get(Field.DATE)
    time_text = fields.get(Field.TIME)
    combined = fields.get(Field.DATETIME)
    if combined:
        split_date, split_time = dates.split_date_time(combined)
        date_text = date_text or split_date
        time_text = time_text or split_time
    start, end = fields.get(Field.START), fields.get(Field.END)
    if time_text is None and (start or end):
        time_text = f"{start} - {end}" if start and end else (start or f"until {end}")
    if date_text and time_text is None and Field.DATE in fields:
        # "Tues 3rd March at 10pm" typed into a Date column still carries a time.
        split_date, split_time = dates.split_date_time(date_text)
        if split_date and split_time:
            date_text, time_text = split_date, split_time
    return date_text, time_text
