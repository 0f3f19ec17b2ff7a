"""Police references and police officers in diary-sheet text (pure: no I/O, no clock, no settings).

Formats and their sources: /work/shared/reference/diary-sheets.md, section 2.

`find_references(text, labelled=...)` returns every police reference in order of appearance,
de-duplicated on the normalised `PoliceReference.text`. Normal forms (tests compare exactly),
as written -> ``text`` (``kind``, ``force``):

- ``CAD 5781 / 3 mar 2024`` -> ``5781/03MAR24`` (incident, Metropolitan Police)
- ``quoting reference 43200243772`` -> ``43200243772`` (from keyword, Thames Valley Police)
- ``23 * 093109`` -> ``23*093109`` (from keyword, Derbyshire Constabulary)
- ``IML: 167131`` -> ``IML 167131`` (incident, Cheshire Constabulary); IML is part of the
  reference, not a keyword
- ``00276_i_02032023`` -> ``00276_I_02032023`` (incident, West Mercia Police)
- ``crime ref 22/20879/23`` -> ``22/20879/23`` (crime, West Mercia Police: force code 22 is
  West Mercia's; other codes give ``force=None`` because the note marks them unverified)
- ``nfrc 230512345678`` -> ``NFRC230512345678`` (crime, Action Fraud)
- ``log 158 of 11th  March`` -> ``158 OF 11TH MARCH`` (incident, None)
- ``*571 on 14th July`` -> ``571 OF 14TH JULY`` (incident, Leicestershire Police)
- ``incident 58i of November 13, 2025`` -> ``58I OF NOVEMBER 13, 2025`` (incident, West Mercia)
- ``crime number 12345678`` -> ``12345678`` (crime, None); ``occurrence number 19000012345``
  -> ``19000012345`` (unknown, Northamptonshire Police)

- Keyword prefixes ("CAD", "log", "incident number", "crime reference", "ref", "URN", "serial",
  "occurrence number", "quoting") are dropped from ``text`` but kept in ``raw``, which is the
  original text from the keyword (if any) to the end of the reference.
- Serial-of-date forms become ``<serial>[I] OF <date as written, upper case>``: "on" and
  "dated" are normalised to "OF", a Leicestershire ``*`` is dropped, West Mercia's spoken ``i``
  suffix is kept (``58I``) because it is part of the serial as the force quotes it. The date is
  not reformatted (it usually has no year, so it cannot be resolved here).
- Met CAD: the day is zero-padded and a four-digit year is cut to two (``DDMMMYY`` is the CAD
  format), so "5781/3MAR" and "5781/03MAR" de-duplicate.
- ``ref_date_text`` is the date part as written (inner whitespace collapsed): "9th January" for
  serial-of-date forms, "03MAR" or "14 mar" for CAD, "02032023" for West Mercia ``_I_``. It
  is when the log was opened, not necessarily when the incident happened.
- ``kind`` is intrinsic for CAD/IML/``_I_``/serial-of-date ("incident") and for
  ``NN/serial/YY`` and NFRC ("crime"); otherwise it comes from the keyword ("crime ..." gives
  "crime"; "log", "incident", "CAD", "serial" give "incident"), else "unknown".

`labelled=True` means the text is the value of a field whose label says it is a police
reference. Then the weak forms need no keyword: "158 of 9th January", and a bare serial such as
"Yes – 4521" (3 to 12 digits; not a phone number, service number, year, time, quantity, or a
collar number next to a rank). In free text the weak forms need a keyword right before them (or
must continue a list started by one: "log 158 of 9th Jan and 2271 of 30 June"); a bare serial
after a plain "ref"/"quoting" also needs the word "police" shortly before it, because housing
letters say "please quote our ref 4512" too.

Only the ASCII digits 0-9 count (police references use nothing else).

`find_officer(text, labelled=...)` returns the first police officer: rank, optional collar number
and name, in either order. See its docstring for the rank spellings.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from parsers.model import Officer, PoliceReference

__all__ = ["find_officer", "find_references"]


def _word_set(block: str) -> frozenset[str]:
    """The words of a whitespace-separated block (long word lists read better as prose)."""
    return frozenset(block.split())


FORCE_MET = "Metropolitan Police"
FORCE_THAMES_VALLEY = "Thames Valley Police"
FORCE_DERBYSHIRE = "Derbyshire Constabulary"
FORCE_CHESHIRE = "Cheshire Constabulary"
FORCE_WEST_MERCIA = "West Mercia Police"
FORCE_LEICESTERSHIRE = "Leicestershire Police"
FORCE_NORTHAMPTONSHIRE = "Northamptonshire Police"
ACTION_FRAUD = "Action Fraud"


KIND_INCIDENT = "incident"
KIND_CRIME = "crime"
KIND_UNKNOWN = "unknown"

# How far back (characters) to look for a rank and name, or for "police", before a number.
_LOOKBACK_CHARS = 60
# The longest keyword run: "quoting the police crime reference number: " (44 characters).
_KEYWORD_MAX_CHARS = 48
# A list continuation ("log 158 of 9th Jan and 2271 of 30 June") may have at most this gap.
_LIST_GAP_CHARS = 12
# Calendar day bounds for the Met CAD date part.
_MIN_DAY, _MAX_DAY = 1, 31
# A CAD serial this short ("12/13 Mar") is more likely a night-spanning date range, so it needs
# the "CAD" keyword, even in a labelled field (residents put the night of a report there too).
_MIN_UNKEYED_CAD_SERIAL_DIGITS = 3
# Serial-of-date with "on"/"dated" and a 1-2 digit serial ("Incident 2 on 14th July") is how
# residents number their own diary entries; such short serials need "of" or a label.
_MIN_SERIAL_DIGITS_WITH_ON = 3
# Names are "First Last", "J Smith", "Dan de Souza" ...; an unranked name in a labelled field
# must have at least two tokens so "Unknown" or "Morley said" is not read as an officer.
_MIN_UNRANKED_NAME_TOKENS = 2
# "+44 (0) 1164 960 381" written with generous spacing.
_PHONE_MAX_CHARS = 24
# Reference patterns are ASCII: police references use the digits 0-9 only, and the ASCII classes
# are several times faster to scan than Unicode categories. Unicode spaces (no-break spaces from
# Word) are mapped to " " in a same-length working copy, so spans still index the original.
_ASCII_I = re.ASCII | re.IGNORECASE
_ASCII_DIGITS = "0123456789"
_UNICODE_SPACES = {code: " " for code in range(0x80, 0x3001) if chr(code).isspace()}
# Short numbers everyone writes that are never police references.
_SERVICE_NUMBERS = frozenset({"101", "105", "111", "112", "999"})

# ---------------------------------------------------------------------------------------------
# Dates inside references ("158 of 9th January", "58i of November 13, 2025", "1234 of 12/03/24")
# ---------------------------------------------------------------------------------------------

_MON3 = r"(?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)"
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b"
)
_WEEKDAY = (
    r"(?:(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    r"|mon|tues?|weds?|thurs?|thu|fri|sat|sun)\b\.?,?\s+(?:the\s+)?)"
)
_ORDINAL = r"(?:st|nd|rd|th)?"
# Only a four-digit year: "11th March 22.30" must not read "22" as a year.
_YEAR = r"(?:,?\s+(?:19|20)\d\d(?!\d))?"
_DATE = (
    rf"{_WEEKDAY}?(?:"
    rf"(?:the\s+)?[0-3]?\d{_ORDINAL}(?:\s+of)?\s+{_MONTH}{_YEAR}"
    rf"|{_MONTH}\.?\s+(?:the\s+)?[0-3]?\d{_ORDINAL}(?!\d){_YEAR}"
    r"|[0-3]?\d[/.-][01]?\d(?:[/.-](?:\d{4}|\d\d))?(?![\d/.]\d)"
    r")"
)

# ---------------------------------------------------------------------------------------------
# Reference formats, most distinctive first (an earlier pattern claims its span).
#
# Every pattern starts with (?<![\w/...])(?<!\d[.:]): a reference never continues a word, a
# slashed run ("T/004512") or a time or date ("22:30", "03.04.26"), while "Ref:4521" and
# "no.4521" still count. `_digit_runs` relies on this to skip such runs before any regex runs.
# ---------------------------------------------------------------------------------------------

# West Mercia new style: serial _I_ DDMMYYYY (the date is the log date).
_WEST_MERCIA = re.compile(
    r"(?<![\w/])(?<!\d[.:])(?P<serial>\d{3,5})_I_(?P<date>\d{8})(?!\w)", _ASCII_I
)
# Action Fraud: "Beginning NFRC", commonly 12 digits; the length is unverified, so be generous.
_NFRC = re.compile(r"(?<!\w)NFRC[ \t-]?(?P<digits>\d{8,14})(?!\w)", _ASCII_I)
# Cheshire Incident Management Log.
_CHESHIRE_IML = re.compile(r"(?<!\w)IML[\s:#.\-–]*(?P<serial>\d{5,8})(?!\w)", _ASCII_I)
# Force code / serial / YY crime numbers ("22/20879/23"). The middle part needs >= 3 digits so
# dates ("12/03/24", "19/03/2026") never match; no slash or dot around it so "NR/2026/0233"
# and longer slashed case references do not match either.
_FORCE_SERIAL_YY = re.compile(
    r"(?<![\w/\-])(?<!\d[.:])(?P<force>\d\d)/(?P<serial>\d{3,7})/(?P<yy>\d\d)(?![\w/]|[.:]\d)",
    re.ASCII,
)
# Derbyshire: YY*serial ("23*093109").
_DERBYSHIRE = re.compile(
    r"(?<![\w*/])(?<!\d[.:])(?P<yy>\d\d)[ \t]?\*[ \t]?(?P<serial>\d{5,7})(?![\w*/])", re.ASCII
)
# Met CAD: serial / day + three-letter month, optional year ("5781/26APR", "CAD 1234/12MAR24").
# The month must not run on into a word, so "5/12 March" (a date range) is not a CAD.
_MET_CAD = re.compile(
    r"(?<![\w/*])(?<!\d[.:])(?P<serial>\d{1,5})[ \t]*/[ \t]*(?P<day>[0-3]?\d)[ \t]*"
    rf"(?P<mon>{_MON3})(?P<yy>\d\d(?:\d\d)?)?(?![\w/])",
    _ASCII_I,
)
# Thames Valley Niche occurrence: 11 digits, "43" + YY + 7 digits. The 43 prefix (TVP's force
# code) is required because any 11-digit run is far more often a mobile number (07...) or an
# account number; YY is limited to 00-39 for the same reason.
_THAMES_VALLEY = re.compile(r"(?<![\w+/])(?<!\d[.:])43[0-3]\d{8}(?!\w)", re.ASCII)
# Serial of/on/dated date: Leicestershire "*571 on 14th July", Staffordshire "347 of 1 February",
# Police Scotland "2271 of 30 June", West Mercia spoken style "58i of November 13, 2025".
_SERIAL_OF_DATE = re.compile(
    r"(?<![\w/*£])(?<!\d[.:])(?P<star>\*[ \t]?)?(?P<serial>\d{1,5})(?P<i>i)?"
    rf"\s+(?P<conn>of|on|dated)\s+(?P<date>{_DATE})",
    _ASCII_I,
)
# Words that make a following number a quantity or a time, not a serial ("300 calls", "2230 hrs").
_UNITS = (
    r"(?:am|pm|a\.m|p\.m|hrs?|hours?|h|mins?|minutes?|secs?|seconds?|calls?|times?|days?"
    r"|nights?|weeks?|months?|years?|yrs?|people|persons?|pounds?|quid|pence|p|miles?|metres?"
    r"|meters?|km|m|ft|feet|x|o'?clock)\b"
)
# A bare serial (keyword or label required): 3-12 digits, optional "/YY" (CRIS style). Not part of
# a slashed, dotted, dashed or spaced run (dates, times, phone numbers, case references such as
# "T/004512" or "ASB-2026-0147") and not a money amount.
_BARE_SERIAL = re.compile(
    r"(?<![\w/*+£$€#])(?<!\d[.:])(?<!\w[-–])(?<!\d[\s,])(?P<star>\*)?(?P<serial>\d{3,12}(?:/\d\d)?)"
    rf"(?![\w/*%£]|[.:,]\d|\s\d|\s*[-–]\s*\d|\s*{_UNITS})",
    _ASCII_I,
)
_NORTHANTS_OCCURRENCE = re.compile(r"[12]\d0000\d{5}", re.ASCII)
# UK phone numbers, used only to veto bare serials ("(0116) 4960381").
_PHONE = re.compile(
    r"(?:\+\s?44\s?(?:\(0\)\s?)?|(?<!\w)\(?0)\d(?:[\s\-)]{0,2}\d){7,10}(?!\d)", re.ASCII
)

# The keyword right before a reference ("quoting police crime reference number: ").
_KEYWORD_QUALIFIER = r"(?:ref(?:erence)?s?|numbers?|nos?|num)"
_KEYWORD_TAIL = re.compile(
    r"(?<!\w)(?:quot(?:e|ed|ing)\s+)?(?:(?:the|a|an|my|our|your|their|his|her)\s+)?"
    r"(?P<police>police\s+)?"
    r"(?:(?P<crime>crime)|(?P<cad>cad)|(?P<incident>incidents?|logs?|serial)"
    r"|(?P<other>occurrence|urn)|(?P<ref>ref(?:erence)?s?|quot(?:e|ed|ing)))"
    rf"(?:\s+{_KEYWORD_QUALIFIER}){{0,2}}\.?\s*(?:[:#=\-–—]\s*)?\Z",
    _ASCII_I,
)
_KEYWORD_SEPARATORS = frozenset(" \t\n\r:#=-–—.")
_KEYWORD_LAST_WORDS = _word_set(
    """
    crime cad incident incidents log logs serial occurrence urn ref refs reference references
    quote quoted quoting number numbers no nos num
    """
)
_LIST_SEPARATOR = re.compile(r"\s*(?:[,;&/+]|and|or)?\s*(?:(?:and|or|then)\s+)?", _ASCII_I)
_POLICE_WORD = re.compile(r"\bpolice\b", _ASCII_I)
# Words before a bare labelled number that make it a time, an amount or an address.
_BARE_PRECEDERS = _word_set(
    """
    at about around approx approximately circa on from to until till by in since before after
    flat house no number tel phone mobile called rang ring dialled dialed foi x
    """
)
_PRECEDER_SEPARATORS = frozenset(" \t\n\r.")

# ---------------------------------------------------------------------------------------------
# Officers
# ---------------------------------------------------------------------------------------------

# Longest alternatives first (so PCSO is not read as PC). Every alternative starts with a capital
# letter: a rank before a name is written as a title ("Police Constable", "DETECTIVE SERGEANT"),
# lower-case "pc" (computer) or "ds" in prose does not count, and because each branch starts with
# a literal, the regex engine can skip straight to capitals instead of trying every position.
# The rest of a full title matches in any case; abbreviations only in upper or title case.
_RANK_ALTERNATIVES = (
    r"P(?i:olice[ \t]+community[ \t]+support[ \t]+officer)",
    r"D(?i:eputy[ \t]+chief[ \t]+constable)",
    r"A(?i:ssistant[ \t]+chief[ \t]+constable)",
    r"C(?i:hief[ \t]+(?:constable|superintendent|inspector))",
    r"D(?i:etective[ \t]+chief[ \t]+(?:superintendent|inspector))",
    r"D(?i:etective[ \t]+(?:superintendent|inspector|sergeant|constable))",
    r"S(?i:pecial[ \t]+constable)",
    r"P(?i:olice[ \t]+(?:constable|sergeant|inspector))",
    r"S(?i:uperintendent|ergeant)",
    r"I(?i:nspector)",
    r"C(?i:onstable)",
    r"D(?:et|ET)\.?[ \t]?C(?:h|H)\.?[ \t]?(?:Supt|SUPT|Insp|INSP)",
    r"D(?:et|ET)\.?[ \t]?(?:Supt|SUPT|Insp|INSP|Sgt|SGT|Con|CON)",
    r"C(?:h|H)\.?[ \t]?(?:Supt|SUPT|Insp|INSP)",
    r"PCSO|SPC|DCI|DSU|DCS|ACC|DCC|NEO|PC|PS|SC|DC|DS|DI|CI",
    r"S(?:upt|UPT|gt|GT)|I(?:nsp|NSP)",
)
_RANK = "(?:" + "|".join(_RANK_ALTERNATIVES) + ")"
_RANK_CANONICAL = {
    "pc": "PC",
    "police constable": "PC",
    "constable": "PC",
    "pcso": "PCSO",
    "police community support officer": "PCSO",
    "ps": "Sgt",
    "sgt": "Sgt",
    "sergeant": "Sgt",
    "police sergeant": "Sgt",
    "insp": "Insp",
    "inspector": "Insp",
    "police inspector": "Insp",
    "ci": "Ch Insp",
    "ch insp": "Ch Insp",
    "chief inspector": "Ch Insp",
    "supt": "Supt",
    "superintendent": "Supt",
    "ch supt": "Ch Supt",
    "chief superintendent": "Ch Supt",
    "dc": "DC",
    "det con": "DC",
    "detective constable": "DC",
    "ds": "DS",
    "det sgt": "DS",
    "detective sergeant": "DS",
    "di": "DI",
    "det insp": "DI",
    "detective inspector": "DI",
    "dci": "DCI",
    "det ch insp": "DCI",
    "detective chief inspector": "DCI",
    "dsu": "DSU",
    "det supt": "DSU",
    "detective superintendent": "DSU",
    "dcs": "DCS",
    "det ch supt": "DCS",
    "detective chief superintendent": "DCS",
    "sc": "SC",
    "spc": "SC",
    "special constable": "SC",
    "neo": "NEO",
    "chief constable": "CC",
    "dcc": "DCC",
    "deputy chief constable": "DCC",
    "acc": "ACC",
    "assistant chief constable": "ACC",
}
# A collar number: digits (3-6, so "PS 2 more calls" is not an officer) or the Met's borough
# code + digits ("CO123"). It must not run into a date, time or phone number.
_COLLAR = r"(?:[A-Z]{2}[ ]?\d{1,4}|\d{3,6})(?![\w/:]|[.,]\d|\s\d)"
# A name token: "Dan", "O'Neill", "McDonald", "Smith-Jones", "SMITH", or an initial "J"/"J.".
# Letters include Latin-1 accents for names such as "Siân" or "Seán" (Welsh, Irish).
_UPPER = "[A-ZÀ-ÖØ-Þ]"
_LOWER = "[a-zß-öø-ÿ]"
_NAME_TOKEN = (
    rf"(?:{_UPPER}(?:{_LOWER}+|['’]{_UPPER}{_LOWER}+)(?:{_UPPER}{_LOWER}+)?(?:-{_UPPER}{_LOWER}+)*"
    rf"|{_UPPER}{{2,}}(?:['’-]{_UPPER}+)*|{_UPPER}\.?)"
)
# Lower-case surname particles inside a name ("Dan de Souza", "Kim van der Berg").
_NAME_PARTICLE = r"(?:de|da|di|du|van|von|der|den|le|la|bin|al)[ \t]+"
_NAME = (
    rf"(?P<name>{_NAME_TOKEN}(?:[ \t]+(?:{_NAME_PARTICLE}){{0,2}}{_NAME_TOKEN}){{0,5}})"
    r"(?:(?![\w'’])|(?=['’]s\b))"
)
_COLLAR_AFTER_NAME = (
    r"(?:[ \t]*,?[ \t]*\(?[ \t]*"
    r"(?:(?i:collar|shoulder|badge|warrant)[ \t]*(?i:no\.?|number)?[ \t]*:?[ \t]*)?"
    rf"(?P<num2>{_COLLAR})\)?)?"
)
# No leading (?<!\w) here: it would hide the literal prefix from the engine; checked in code.
_OFFICER = re.compile(
    rf"(?P<rank>{_RANK})(?!\w)\.?[ \t]*(?:(?P<num>{_COLLAR})[ \t]*)?"
    rf"(?:{_NAME}{_COLLAR_AFTER_NAME})?"
)
# A labelled "Police officer:" value without a rank: the name must come first.
_UNRANKED_OFFICER = re.compile(
    r"\A\W*(?:(?i:yes|y)\b\W*)?"
    r"(?:(?i:(?:police\s+)?officer(?:'s)?(?:\s+name)?|name)\s*[:\-–]\s*)?"
    rf"{_NAME}{_COLLAR_AFTER_NAME}"
)
# Inspectors and constables outside the police ("Environmental Health Inspector Jones").
_NON_POLICE_QUALIFIER = re.compile(
    r"(?<!\w)(?:health|safety|gas|electrical|ticket|housing|building|fire|environmental|ofsted"
    r"|school|tax|rspca|council|estate|food|planning|insurance|pest|hygiene|standards)\s+\Z",
    re.IGNORECASE,
)
# Roles that say a labelled "officer" is not a police officer ("Lisa Grant (Housing Officer)").
_NON_POLICE_ROLE = re.compile(
    r"\b(?:housing|tenancy|council(?:lor)?|landlord|caretaker|warden|concierge|manager"
    r"|solicitor|surveyor|lettings|estate|(?:social|support|key|case)\s*worker"
    r"|asb\s+(?:team|officer|co-?ordinator|caseworker)|neighbourhood\s+(?:officer|manager)"
    r"|(?:income|case|liaison|welfare|support|community\s+safety)\s+officer)\b",
    re.IGNORECASE,
)
_PUNCTUATION_ONLY = re.compile(r"[\s.,;:()\-–]*")
_POLICE_CONTEXT = re.compile(r"\b(?:police|policing|constabulary)\b", re.IGNORECASE)
# Rank (and up to three name tokens) or "collar number" right before a number: a collar number.
# One flat alternation of literals, so the engine can skip to candidate capitals quickly.
_COLLAR_WORDS = ("Collar", "collar", "Shoulder", "shoulder", "Badge", "badge", "Warrant", "warrant")
_COLLAR_CONTEXT = re.compile(
    "(?:" + "|".join(_RANK_ALTERNATIVES + _COLLAR_WORDS) + ")"
    rf"(?!\w)\.?[ \t]*(?:(?i:no\.?|number)[ \t]*:?[ \t]*)?(?:{_NAME_TOKEN}[ \t]+){{0,3}}"
    r"\(?[ \t]*\Z"
)
# Capitalised words that are not names ("PS Please ring me", "DC Council", "PC World").
_NOT_NAMES = _word_set(
    """
    i a an the this that these those he she they we you it his her their my our your me him them
    please thanks thank also and but or so if then when on at in to from for of by with re as
    yes no not none unknown na tbc tba n/a mr mrs ms miss dr
    council office police constabulary world team station force service dept department met
    officer called came attended said told rang phoned emailed who which what where after
    before about again today tomorrow yesterday monday tuesday wednesday thursday friday
    saturday sunday asb cctv tv ok id ref log cad crime incident number collar
    signed date time name how did does do were was is are see
    pc pcso ps sgt insp ci supt dc ds di dci dsu dcs sc spc neo acc dcc det ch
    """
)
# Force names that end an officer's name ("PC Dan Whitlock Northumbria Police").
_FORCE_WORDS = frozenset({"police", "constabulary"})
_FORCE_PREFIXES = frozenset(
    {"west", "east", "north", "south", "thames", "greater", "city", "metropolitan", "british"}
)


# ---------------------------------------------------------------------------------------------
# References
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Keyword:
    """The keyword written right before a reference."""

    start: int
    kind: str
    # Names a police record ("log", "crime number", "police ref"), not just "ref"/"quoting".
    strong: bool
    cad: bool


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    ref: PoliceReference


@dataclass
class _Scan:
    """One pass over one text: what has been claimed so far."""

    text: str  # the working copy (Unicode spaces made plain), same length as `original`
    original: str
    labelled: bool
    hits: list[_Hit] = field(default_factory=list)

    def claimed(self, start: int, end: int) -> bool:
        return any(h.start < end and start < h.end for h in self.hits)

    def keyword(self, start: int) -> _Keyword | None:
        lo = max(0, start - _LOOKBACK_CHARS)
        # Cheap test first: the word just before the number (separators skipped) must be one a
        # keyword can end with; only then run the backtracking tail pattern.
        if _word_before(self.text, start, lo, _KEYWORD_SEPARATORS) not in _KEYWORD_LAST_WORDS:
            return None
        m = _KEYWORD_TAIL.search(self.text, max(lo, start - _KEYWORD_MAX_CHARS), start)
        if m is None:
            return None
        if m["crime"]:
            kind = KIND_CRIME
        elif m["cad"] or m["incident"]:
            kind = KIND_INCIDENT
        else:
            kind = KIND_UNKNOWN
        strong = not m["ref"] or bool(m["police"])
        return _Keyword(m.start(), kind, strong, cad=bool(m["cad"]))

    def continues_list(self, start: int) -> bool:
        """True when `start` follows an accepted reference after only "and", ",", "/" ..."""
        return any(
            h.end <= start <= h.end + _LIST_GAP_CHARS
            and _LIST_SEPARATOR.fullmatch(self.text, h.end, start) is not None
            for h in self.hits
        )

    def in_phone_number(self, start: int, end: int) -> bool:
        # A UK number is at most ~20 characters written out, so a local window is enough.
        lo = max(0, start - _PHONE_MAX_CHARS)
        hi = min(len(self.text), end + _PHONE_MAX_CHARS)
        return any(p.start() < end and start < p.end() for p in _PHONE.finditer(self.text, lo, hi))

    def hit(
        self,
        m: re.Match[str],
        text: str,
        kind: str,
        force: str | None,
        keyword: _Keyword | None = None,
        date_text: str | None = None,
    ) -> _Hit:
        start = m.start() if keyword is None else keyword.start
        ref = PoliceReference(
            text=text,
            kind=kind,
            force=force,
            raw=self.original[start : m.end()],
            ref_date_text=date_text,
        )
        return _Hit(start, m.end(), ref)


def _word_before(text: str, start: int, lo: int, separators: frozenset[str]) -> str:
    """The letters-only word that ends just before `start` (after `separators`), lower case."""
    end = start
    while end > lo and text[end - 1] in separators:
        end -= 1
    begin = end
    while begin > lo and text[begin - 1].isalpha():
        begin -= 1
    return text[begin:end].lower()


def _norm(value: str) -> str:
    """Upper case with inner whitespace collapsed to single spaces."""
    return " ".join(value.upper().split())


def _keyword_kind(keyword: _Keyword | None) -> str:
    return KIND_UNKNOWN if keyword is None else keyword.kind


def _west_mercia(m: re.Match[str], scan: _Scan) -> _Hit | None:
    kw = scan.keyword(m.start())
    text = m.group(0).upper()
    return scan.hit(m, text, KIND_INCIDENT, FORCE_WEST_MERCIA, kw, m["date"])


def _nfrc(m: re.Match[str], scan: _Scan) -> _Hit | None:
    return scan.hit(m, "NFRC" + m["digits"], KIND_CRIME, ACTION_FRAUD, scan.keyword(m.start()))


def _cheshire_iml(m: re.Match[str], scan: _Scan) -> _Hit | None:
    kw = scan.keyword(m.start())
    return scan.hit(m, "IML " + m["serial"], KIND_INCIDENT, FORCE_CHESHIRE, kw)


def _force_serial_yy(m: re.Match[str], scan: _Scan) -> _Hit | None:
    text = f"{m['force']}/{m['serial']}/{m['yy']}"
    force = FORCE_WEST_MERCIA if m["force"] == "22" else None
    return scan.hit(m, text, KIND_CRIME, force, scan.keyword(m.start()))


def _derbyshire(m: re.Match[str], scan: _Scan) -> _Hit | None:
    kw = scan.keyword(m.start())
    text = f"{m['yy']}*{m['serial']}"
    return scan.hit(m, text, _keyword_kind(kw), FORCE_DERBYSHIRE, kw)


def _met_cad(m: re.Match[str], scan: _Scan) -> _Hit | None:
    day = int(m["day"])
    if not _MIN_DAY <= day <= _MAX_DAY:
        return None
    kw = scan.keyword(m.start())
    short = len(m["serial"]) < _MIN_UNKEYED_CAD_SERIAL_DIGITS
    if short and not (kw is not None and kw.cad):
        return None
    year = m["yy"][-2:] if m["yy"] else ""
    text = f"{m['serial']}/{day:02d}{m['mon'].upper()}{year}"
    date_text = " ".join(scan.original[m.start("day") : m.end()].split())
    return scan.hit(m, text, KIND_INCIDENT, FORCE_MET, kw, date_text)


def _thames_valley(m: re.Match[str], scan: _Scan) -> _Hit | None:
    kw = scan.keyword(m.start())
    return scan.hit(m, m.group(0), _keyword_kind(kw), FORCE_THAMES_VALLEY, kw)


def _plausible_unkeyed_serial(scan: _Scan, start: int, digits: str) -> bool:
    """For a number with no keyword before it: not 101/999, a time, an amount or a collar."""
    if digits in _SERVICE_NUMBERS:
        return False
    lo = max(0, start - _LOOKBACK_CHARS)
    if _word_before(scan.text, start, lo, _PRECEDER_SEPARATORS) in _BARE_PRECEDERS:
        return False
    return _COLLAR_CONTEXT.search(scan.text, lo, start) is None


def _serial_of_date(m: re.Match[str], scan: _Scan) -> _Hit | None:
    kw = scan.keyword(m.start())
    if not (m["star"] or m["i"]):  # the Leicestershire star and West Mercia i are distinctive
        if kw is None:
            if not (scan.labelled or scan.continues_list(m.start())):
                return None
            if not _plausible_unkeyed_serial(scan, m.start(), m["serial"]):
                return None
        if m["conn"].lower() != "of" and len(m["serial"]) < _MIN_SERIAL_DIGITS_WITH_ON:
            return None
    if m["star"]:
        force: str | None = FORCE_LEICESTERSHIRE
    elif m["i"]:
        force = FORCE_WEST_MERCIA
    else:
        force = None
    serial = m["serial"] + ("I" if m["i"] else "")
    date_text = " ".join(scan.original[m.start("date") : m.end("date")].split())
    return scan.hit(m, f"{serial} OF {_norm(date_text)}", KIND_INCIDENT, force, kw, date_text)


def _bare_serial_allowed(m: re.Match[str], scan: _Scan, kw: _Keyword | None, digits: str) -> bool:
    if scan.in_phone_number(m.start(), m.end()):
        return False
    if kw is not None:
        window = scan.text[max(0, kw.start - _LOOKBACK_CHARS) : kw.start]
        return kw.strong or scan.labelled or _POLICE_WORD.search(window) is not None
    if not (scan.labelled or scan.continues_list(m.start())):
        return False
    # Without a keyword a leading zero means a phone number or a housing reference; police
    # serials written after "log"/"CAD" may be zero-padded ("serial 0143").
    if digits.startswith("0"):
        return False
    # A bare four-digit 19xx/20xx is a year ("reported in 2024"); keyed serials may be.
    if len(digits) == 4 and digits[:2] in ("19", "20"):
        return False
    return _plausible_unkeyed_serial(scan, m.start(), digits)


def _bare_serial(m: re.Match[str], scan: _Scan) -> _Hit | None:
    digits = m["serial"].partition("/")[0]
    if digits in _SERVICE_NUMBERS:
        return None
    kw = scan.keyword(m.start())
    if not _bare_serial_allowed(m, scan, kw, digits):
        return None
    serial = m["serial"]
    force = FORCE_NORTHAMPTONSHIRE if _NORTHANTS_OCCURRENCE.fullmatch(serial) else None
    return scan.hit(m, serial, _keyword_kind(kw), force, kw)


_Builder = Callable[[re.Match[str], _Scan], _Hit | None]


class _Anchor(enum.Enum):
    """Where a rule's pattern is tried."""

    DIGITS = "digits"  # at the start of each digit run
    STARRED = "starred"  # there, and at a "*" or "* " just before a digit run
    # Anywhere, if the text contains the rule's literal (lower case): NFRC and IML lead with
    # letters and the separators after them vary.
    SEARCH = "search"


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    build: _Builder
    # Cheap pre-filters on the digit run the pattern starts with: its length bounds, and the
    # characters that may follow it (empty: any).
    run_digits: tuple[int, int] = (1, 12)
    follow: frozenset[str] = frozenset()
    anchor: _Anchor = _Anchor.DIGITS
    literal: str = ""


_SPACES = frozenset(" \t\n\r\f\v")


# The order is the precedence: a span claimed by an earlier rule is not read again by a later one.
# Patterns are tried only at digit runs, not scanned over the whole text: nine full scans of a
# 300-character cell cost ~10x more than one digit-run scan plus a few anchored matches.
_RULES: tuple[_Rule, ...] = (
    _Rule(_WEST_MERCIA, _west_mercia, (3, 5), frozenset("_")),
    _Rule(_NFRC, _nfrc, anchor=_Anchor.SEARCH, literal="nfrc"),
    _Rule(_CHESHIRE_IML, _cheshire_iml, anchor=_Anchor.SEARCH, literal="iml"),
    _Rule(_FORCE_SERIAL_YY, _force_serial_yy, (2, 2), frozenset("/")),
    _Rule(_DERBYSHIRE, _derbyshire, (2, 2), frozenset("* \t")),
    _Rule(_MET_CAD, _met_cad, (1, 5), frozenset("/ \t")),
    _Rule(_THAMES_VALLEY, _thames_valley, (11, 11)),
    _Rule(_SERIAL_OF_DATE, _serial_of_date, (1, 5), _SPACES | {"i", "I"}, _Anchor.STARRED),
    _Rule(_BARE_SERIAL, _bare_serial, (3, 12), anchor=_Anchor.STARRED),
)
_DIGIT_RUN = re.compile(r"\d+", re.ASCII)


# A digit run: (where a pattern is tried, how many digits, the character after the run, whether
# the anchor is a "*" before it). Plain tuples: this is the hot loop, and a dataclass per run
# costs more than the regex matches it saves.
_Run = tuple[int, int, str, bool]


def _digit_runs(text: str) -> list[_Run]:
    """Digit runs that may start a reference (see the note above the reference patterns).

    A run after a Leicestershire "*" (or "* ") gets a second, starred anchor on the star.
    """
    runs: list[_Run] = []
    for m in _DIGIT_RUN.finditer(text):
        pos, end = m.span()
        before = text[pos - 1] if pos else " "
        if (
            before.isalnum()
            or before in "_/"
            or (before in ".:" and text[pos - 2 : pos - 1].isdigit())
        ):
            continue
        after = text[end : end + 1]
        runs.append((pos, end - pos, after, False))
        if before == "*":
            runs.append((pos - 1, end - pos, after, True))
        elif before in " \t" and text[pos - 2 : pos - 1] == "*":
            runs.append((pos - 2, end - pos, after, True))
    return runs


def _candidates(rule: _Rule, text: str, runs: list[_Run]) -> list[re.Match[str]]:
    if rule.anchor is _Anchor.SEARCH:
        return list(rule.pattern.finditer(text)) if rule.literal in text.lower() else []
    low, high = rule.run_digits
    follow = rule.follow
    with_stars = rule.anchor is _Anchor.STARRED
    match = rule.pattern.match
    found: list[re.Match[str]] = []
    for anchor, digits, after, starred in runs:
        if not low <= digits <= high or (starred and not with_stars):
            continue
        if follow and after not in follow:
            continue
        m = match(text, anchor)
        if m is not None:
            found.append(m)
    return found


def find_references(text: str, *, labelled: bool = False) -> list[PoliceReference]:
    """All police references in `text`, in order of appearance, without duplicate `.text`.

    `labelled=True` when `text` is the value of a field or column whose label says it holds a
    police reference; then keyword-less weak forms ("158 of 9th January", "4521") are accepted.
    """
    # Every reference format contains a digit, and most diary cells contain none: ten substring
    # searches (memchr) beat a regex scan.
    if not any(digit in text for digit in _ASCII_DIGITS):
        return []
    work = text if text.isascii() else text.translate(_UNICODE_SPACES)
    runs = _digit_runs(work)
    scan = _Scan(work, text, labelled)
    for rule in _RULES:
        for m in _candidates(rule, work, runs):
            if scan.claimed(m.start(), m.end()):
                continue
            found = rule.build(m, scan)
            if found is not None:
                scan.hits.append(found)
    seen: set[str] = set()
    refs: list[PoliceReference] = []
    for found in sorted(scan.hits, key=lambda h: h.start):
        if found.ref.text not in seen:
            seen.add(found.ref.text)
            refs.append(found.ref)
    return refs


# ---------------------------------------------------------------------------------------------
# Officers
# ---------------------------------------------------------------------------------------------


def _canonical_rank(written: str) -> str:
    key = " ".join(written.replace(".", " ").lower().split())
    return _RANK_CANONICAL.get(key, written)


def _clean_name(written: str | None) -> str | None:
    """The name without trailing force names or non-name words; None if nothing is left."""
    if not written:
        return None
    tokens = written.split()
    keep: list[str] = []
    for index, token in enumerate(tokens):
        following = tokens[index + 1].lower() if index + 1 < len(tokens) else ""
        word = token.lower()
        if word in _NOT_NAMES or word in _FORCE_WORDS or following in _FORCE_WORDS:
            break
        keep.append(token)
    # "PC Dan Whitlock West Midlands Police": drop a dangling "West" once "Midlands" is cut.
    while keep and keep[-1].lower() in _FORCE_PREFIXES and len(keep) < len(tokens):
        keep.pop()
    if not any(len(token.rstrip(".")) > 1 for token in keep):
        return None
    return " ".join(keep)


def _collar(m: re.Match[str]) -> str | None:
    number = m.groupdict().get("num") or m["num2"]
    return None if number is None else number.replace(" ", "")


def _ranked_officer(m: re.Match[str], text: str) -> Officer | None:
    start = m.start()
    before = text[start - 1] if start else " "
    if before.isalnum() or before == "_":  # "XPC 12" or "ABCDC Smith": not a rank
        return None
    if _NON_POLICE_QUALIFIER.search(text, max(0, start - _LOOKBACK_CHARS), start):
        return None
    name = _clean_name(m["name"])
    number = _collar(m)
    if name is None and number is None:
        return None
    return Officer(rank=_canonical_rank(m["rank"]), name=name, number=number)


def _unranked_officer(text: str) -> Officer | None:
    m = _UNRANKED_OFFICER.match(text)
    if m is None:
        return None
    name = _clean_name(m["name"])
    if name is None or len(name.split()) < _MIN_UNRANKED_NAME_TOKENS:
        return None
    # Only a name, its collar number and perhaps the force: "Darren Cope, Flat 5" or "Jane
    # Morley said she would call" are not the answer to "Police officer:".
    rest = text[m.end() :]
    if _PUNCTUATION_ONLY.fullmatch(rest) is None and _POLICE_CONTEXT.search(rest) is None:
        return None
    if _NON_POLICE_ROLE.search(text):
        return None
    return Officer(rank=None, name=name, number=_collar(m))


def find_officer(text: str, *, labelled: bool = False) -> Officer | None:
    """The first police officer in `text`: rank, optional collar number and name.

    Ranks: PC, PCSO, PS/Sgt/Sergeant, Insp/Inspector, Ch Insp/CI/Chief Inspector, Supt, Ch Supt,
    DC, DS, DI, DCI, DSU/Det Supt, DCS, SC/SPC/Special Constable, NEO, the "Police ..." and
    "Detective ..." titles and Det Con/Det Sgt/...; `rank` is returned in its short form ("PC",
    "PCSO", "Sgt", "Insp", "Ch Insp", "Supt", "Ch Supt", "DC", "DS", "DI", "DCI", "DSU", "DCS",
    "SC", "NEO", also "CC", "DCC", "ACC"). A rank is written with a capital ("pc" in prose is a
    computer) and needs a collar number (3-6 digits, or the Met's "CO123") or a capitalised name
    next to it, so "PS Please ring" and "DC Council" are not officers. `name` is as written
    (capitals kept, force names such as ", Northumbria Police" dropped). A bare surname after a
    rank counts ("Told PCSO Ames" gives PCSO Ames): it names an officer, if informally.

    `labelled=True` (a "Police officer:" field) also accepts a name without a rank: two or more
    tokens at the start of the value, followed by nothing but a collar number, punctuation or
    the force, and only when the text names no non-police role ("Lisa Grant (Housing Officer)"
    gives None).
    """
    for m in _OFFICER.finditer(text):
        officer = _ranked_officer(m, text)
        if officer is not None:
            return officer
    return _unranked_officer(text) if labelled else None
