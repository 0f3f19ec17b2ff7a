"""Dates and times as UK residents write them on harassment diary sheets.

Pure functions: text in, frozen result out. Nothing here does I/O or reads the clock. The date
the sheet was received (`base`) is always passed in, because "yesterday" or "the 3rd" only mean
something relative to the sheet, and tests must not depend on the day they run.

Why the code is shaped like this (from the shared reference notes: diary-sheets.md section 4,
word-xml-and-dates.md sections 3c, 3d and 5):

* Day first, always, and by our own regex. dateparser defaults to month first, ignores region
  hints, reads ISO "2026-04-03" as 4 March under DMY, and silently swaps "04/13/2026" to day
  first. A month above 12 therefore gives None and a warning; we never guess across orders.
* Fast paths first. A regex plus `datetime.date` costs microseconds; dateparser costs ~0.3 s
  to import and warm, then ~1.7 ms a call, and a 2,000-row sheet makes 4,000 calls. dateparser
  is imported lazily and only sees short, date-like leftovers.
* Never invent a day. "March 2026" or "last week" is not a day, so it gives None and a warning
  (dateparser would quietly fill in the day of the month from its base).
* Bare ordinals ("the 3rd", "Tues 3rd") are resolved here: dateparser reads 1st-12th as months
  and ignores weekdays. The weekday, when given, picks the month; otherwise it is checked
  against the date, because the sheets say "day and date must correspond".
* Nothing may be after `base`: an incident cannot be reported before it happens.
* Times never go to dateparser: with PREFER_DATES_FROM="past" it moves "22.30" to yesterday,
  reads "about 11" as the 11th, and knows neither "half ten" nor ranges.
* "half ten" is 10:30 in Britain (not 9:30 as in German "halb zehn").
* am/pm: an explicit marker wins; in a range the marked end decides the other (shortest
  duration, so "between 9 and 11pm" is 21:00-23:00 and "11 to 1am" is 23:00-01:00); a
  part-of-day phrase in the time itself ("half ten at night") is as good as "pm"; words in
  `context` only support a guess, which is named in a warning; with nothing to go on the
  literal hour is kept and staff are asked to check.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DateResult",
    "TimeResult",
    "leading_date_time",
    "parse_date",
    "parse_time",
    "split_date_time",
]


@dataclass(frozen=True)
class DateResult:
    """A date read from a diary cell. `value` is None when the text does not pin down a day."""

    value: dt.date | None
    warnings: tuple[str, ...] = ()
    approx: bool = False


@dataclass(frozen=True)
class TimeResult:
    """A time or time range; `crosses_midnight` means `end` falls on the day after `start`."""

    start: dt.time | None
    end: dt.time | None = None
    crosses_midnight: bool = False
    approx: bool = False
    warnings: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------------------------

_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_WEEKDAY_SPELLINGS = (
    ("monday", "mon"),
    ("tuesday", "tues", "tue", "tu"),
    ("wednesday", "weds", "wed", "we"),
    ("thursday", "thurs", "thur", "thu", "th"),
    ("friday", "fri"),
    ("saturday", "sat"),
    ("sunday", "sun"),
)
_WEEKDAYS = {word: day for day, words in enumerate(_WEEKDAY_SPELLINGS) for word in words}
# dateparser cannot read "Tu", "We", "Th" (issue #1170), and "we" is also a pronoun, so
# two-letter forms count only next to a day number.
_SHORT_WEEKDAYS = frozenset({"tu", "we", "th"})

_MONTH_SPELLINGS = (
    ("january", "jan"),
    ("february", "feb"),
    ("march", "mar"),
    ("april", "apr"),
    ("may",),
    ("june", "jun"),
    ("july", "jul"),
    ("august", "aug"),
    ("september", "sept", "sep"),
    ("october", "oct"),
    ("november", "nov"),
    ("december", "dec"),
)
_MONTHS = {word: month for month, words in enumerate(_MONTH_SPELLINGS, 1) for word in words}

_UNIT_ORDINALS = (
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
)
_TEEN_ORDINALS = (
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
)
_ORDINAL_WORDS = {word: n for n, word in enumerate(_UNIT_ORDINALS + _TEEN_ORDINALS, 1)}
_ORDINAL_WORDS.update({"twentieth": 20, "thirtieth": 30})
_ORDINAL_WORDS.update({f"twenty-{word}": 20 + n for n, word in enumerate(_UNIT_ORDINALS, 1)})
_ORDINAL_WORDS["thirty-first"] = 31

_HOUR_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
# Minutes in "<minutes> past/to <hour>". Only the forms people say: "seven to nine" is a range,
# not 8:53, so other numbers need the word "minutes".
_SPOKEN_MINUTES = {"five": 5, "ten": 10, "quarter": 15, "twenty": 20, "twenty-five": 25}
_SPOKEN_MINUTES["half"] = 30
# Minutes in "seven thirty".
_WORD_MINUTES = {"fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "forty-five": 45}
_WORD_MINUTES["fifty"] = 50
_COUNT_WORDS = {"a": 1, "an": 1, "a couple of": 2, "couple of": 2}
_COUNT_WORDS.update(_HOUR_WORDS)

# Cells that mean "nothing written": no value and nothing for staff to fix.
_BLANKS = frozenset(
    {"", "-", "--", "---", "n/a", "na", "n.a", "n.a.", "none", "nil", "null", "no", "?", "x"}
    | {"tbc", "unknown", "not known", "not sure", "don't know", "dont know", "blank", "."}
)
# Words that dateparser turns into dates ("a" -> the 1st, Finnish "to" -> Thursday: #330, #942),
# and "we", which is a pronoun far more often than Wednesday.
_STOPWORDS = frozenset({"a", "an", "the", "to", "of", "on", "at", "in", "and", "or", "do", "we"})
# "Same as the row above": the date column in many hand-filled sheets.
_DITTOS = frozenset({'"', "''", "ditto", "same", "same day", "as above", "same as above"})

_PART_HOURS = {
    # The 24-hour clock hour for a 12-hour clock hour 1..12, by part of day. At night 1-5 are
    # the small hours ("woken at 2 at night" is 02:00), and 12 is midnight.
    "morning": (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0),
    "afternoon": (13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 12),
    "evening": (13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 0),
    "night": (1, 2, 3, 4, 5, 18, 19, 20, 21, 22, 23, 0),
}
_PART_OF_WORD = {
    "morning": "morning",
    "breakfast": "morning",
    "afternoon": "afternoon",
    "lunchtime": "afternoon",
    "lunch": "afternoon",
    "evening": "evening",
    "teatime": "evening",
    "tea time": "evening",
    "dinner": "evening",
    "night": "night",
    "tonight": "night",
    "overnight": "night",
    "bedtime": "night",
    "early hours": "night",
    "small hours": "night",
    "late": "night",
}

_MINUTES_PER_DAY = 24 * 60
# dateparser is only worth its cost on a short date phrase; long text is a narrative and it
# finds false dates in narratives (issues #330, #582, #942).
_MAX_DATEPARSER_CHARS = 40
# strptime's %y pivot (POSIX): 00-68 -> 20xx, 69-99 -> 19xx.
_TWO_DIGIT_YEAR_PIVOT = 69
# How far back "the 3rd" or "Tues 3rd" may reach for a month that fits.
_MONTHS_BACK = 13
# How far back "3rd March" may reach for a year (29 February needs up to 8 years).
_YEARS_BACK = 8
_QUOTE_CHARS = 60


def _alternation(words: Iterable[str]) -> str:
    """A regex alternative of words, longest first so "tues" is tried before "tue"."""
    spelled = sorted(set(words), key=len, reverse=True)
    escaped = (re.escape(word).replace(r"\-", r"[\s-]").replace(r"\ ", r"\s+") for word in spelled)
    return "|".join(escaped)


# ---------------------------------------------------------------------------------------------
# Regexes (compiled once; each fast-path attempt costs about a microsecond)
# ---------------------------------------------------------------------------------------------

_WD_LONG = rf"(?:{_alternation([w for w in _WEEKDAYS if w not in _SHORT_WEEKDAYS])})\b\.?"
_WD = rf"(?:{_alternation(_WEEKDAYS)})\b\.?"
_MONTH = rf"(?:{_alternation(_MONTHS)})\b\.?"
_DAY_NUMBER = r"(?:3[01]|[12]\d|0?[1-9])"
_ORDINAL_WORD = rf"(?:{_alternation(_ORDINAL_WORDS)})\b"
_DAY_ORDINAL = rf"(?:{_DAY_NUMBER}(?:st|nd|rd|th)\b|{_ORDINAL_WORD})"
# A plain day number must not be the hour of "10pm" or "10.30".
_DAY_ANY = rf"(?:{_DAY_ORDINAL}|{_DAY_NUMBER}(?![\d:.]|\s*[ap]\.?\s?m\b))"
# In running text only a plausible four-digit year, so a "2230" clock time is not a year.
_SPAN_YEAR = r"(?:(?:19|20)\d\d|['’]\d\d)(?!\d|[:.]\d)"
_NUMERIC_SPAN = (
    r"(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2}))(?!\d|[/.\-:]\d)"
)
# Day/month without a year; alone at the start of a sentence it may be "1/2 hour later".
_DAY_MONTH_SPAN = r"\d{1,2}/\d{1,2}(?!\d|[/.\-:]\d)"
_COUNT = rf"(?:\d{{1,2}}|{_alternation(_COUNT_WORDS)})"
_DMY_SPAN = rf"(?:{_WD},?\s+)?(?:the\s+)?{_DAY_ANY}(?:\s+of)?\s+{_MONTH}(?:,?\s+{_SPAN_YEAR})?"
_MDY_SPAN = rf"(?:{_WD},?\s+)?{_MONTH}\s+(?:the\s+)?{_DAY_ANY}(?:,?\s+{_SPAN_YEAR})?"
_RELATIVE_SPAN = (
    r"(?:the\s+)?day\s+before\s+yesterday|yesterday(?:\s+(?:morning|afternoon|evening|night))?"
    r"|today|tonight|last\s+night|this\s+(?:morning|afternoon|evening)"
    rf"|(?:last|this)\s+{_WD_LONG}|{_COUNT}\s+(?:days?|weeks?)\s+ago|a\s+fortnight\s+ago"
)
# "strong" forms name a day on their own; "weak" ones ("Monday", "the 3rd", "yesterday") also
# open ordinary sentences, so in free text they need a time or a separator after them.
_DATE_SPAN = (
    rf"(?P<strong>{_WD},?\s+(?:{_NUMERIC_SPAN}|{_DAY_MONTH_SPAN})|{_NUMERIC_SPAN}|{_DMY_SPAN}"
    rf"|{_MDY_SPAN}|{_WD},?\s+(?:the\s+)?{_DAY_ORDINAL})"
    rf"|(?P<weak>{_DAY_MONTH_SPAN}|the\s+{_DAY_ORDINAL}|{_RELATIVE_SPAN}|{_WD_LONG})"
)
_LEAD_DATE_RE = re.compile(rf"\s*(?:[*•·]\s*)?(?:on\s+)?(?P<date>{_DATE_SPAN})", re.IGNORECASE)

_HOURS = _alternation(_HOUR_WORDS)
_AMPM = r"[ap]\.?\s?m\b\.?"
_SPOKEN = (
    # "from ten to eleven" is a range, not 10:50.
    r"(?<!from\s)(?<!between\s)(?:a\s+)?"
    rf"(?:(?P<sm>{_alternation(_SPOKEN_MINUTES)})|(?P<sd>\d{{1,2}})(?=\s*(?:minutes?|mins?)\b))"
    r"(?:\s*(?:minutes?|mins?))?\s+(?P<rel>past|after|to)\s+"
    rf"(?P<sh>\d{{1,2}}|{_HOURS}|midnight|midday|noon)\b"
)
_HALF = rf"half\s+(?P<hh>\d{{1,2}}|{_HOURS})\b(?!\s*(?:hours?|an?\b|past|mins?|minutes?))"
_NAMED = r"(?:12\s*)?(?P<named>midnight|midday|noon)\b"
_HRS = r"(?:\s*(?:hrs?|hours)\b)?"
_NOT_DURATION = r"(?!\s*(?:minutes?|mins?|hours?|hrs?|seconds?|secs?|times|x)\b)"
_NUMBER = (
    rf"(?:(?P<hhmm>[01]\d[0-5]\d|2[0-3][0-5]\d){_HRS}|(?P<h>\d{{1,2}})(?:[:.](?P<m>\d\d){_HRS})?)"
    rf"(?=\s*-?\s*ish\b|\s*{_AMPM}|(?![\w/]|[.:]\d)){_NOT_DURATION}"
)
_WORD_HOUR = (
    rf"(?P<wh>{_HOURS})\b(?:\s+(?P<wm>{_alternation(_WORD_MINUTES)})\b)?"
    r"(?!\s*(?:minutes?|mins?|hours?|of|or|times|people|men|women|cars?|taxis?)\b)"
)
_TIME_CORE = (
    rf"(?<![\w:./])(?:{_SPOKEN}|{_HALF}|{_NAMED}|{_NUMBER}|{_WORD_HOUR})"
    rf"(?:\s*o['’]?clock)?(?:\s*(?P<ampm>[ap])\.?\s?m\b\.?)?"
)
_TIME_RE = re.compile(_TIME_CORE)
# The same grammar without group names, to embed in larger patterns.
_TIME_SPAN = re.sub(r"\(\?P<\w+>", "(?:", _TIME_CORE)
_TIME_PREFIX = (
    r"(?:about|around|approx\.?|approximately|roughly|circa|c\.|just\s+gone|just\s+after"
    r"|just\s+before|gone|after|nearly|almost|from|between|until|till|til|sometime\s+around)"
)
_PART_PHRASE = (
    r"(?:(?:in|during)\s+the\s+(?:early\s+|late\s+)?(?:morning|afternoon|evening|night|hours)"
    r"|(?:late\s+)?at\s+night|tonight|overnight|this\s+(?:morning|afternoon|evening)|last\s+night)"
)
_LEAD_TIME_RE = re.compile(
    rf"[\s,]*(?:(?P<at>at|@)\s*)?(?P<time>(?:{_TIME_PREFIX}\s+)*{_TIME_SPAN}(?:\s*-?\s*ish\b)?)",
    re.IGNORECASE,
)
_RANGE_TAIL_RE = re.compile(
    rf"\s*(?P<conn>-+|–|—|to|until|till|til|and)\s*(?:{_TIME_PREFIX}\s+)*"
    rf"(?P<t2>{_TIME_SPAN})(?:\s*-?\s*ish\b)?",
    re.IGNORECASE,
)
_PART_TAIL_RE = re.compile(rf"\s+{_PART_PHRASE}", re.IGNORECASE)
_LEAD_SEPARATOR_RE = re.compile(r"\s*(?:[-–—]+|[:;,]|\.(?=\s|$))\s*")
_STRONG_TIME_RE = re.compile(
    rf"{_AMPM}|\d[:.]\d\d|\d{{4}}|midnight|midday|noon|half|quarter|past|\bto\b|ish\b|about"
    r"|around|approx|roughly|between|from|gone|until|till|night|morning|evening|afternoon",
    re.IGNORECASE,
)

# Word pastes NBSP and the U+2000 spaces, en/em dashes and curly quotes: fold each to one form.
_SPACE_CHARS = (
    "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\t\r\n"
)
_FOLDS = {"–": "-", "—": "-", "‒": "-", "−": "-", "‘": "'", "’": "'", "“": '"', "”": '"'}
_TRANSLATION = str.maketrans({**dict.fromkeys(_SPACE_CHARS, " "), **_FOLDS})
_WHITESPACE_RE = re.compile(r"\s+")
_DATE_APPROX_RE = re.compile(
    r"^(?:about|around|approx\.?|approximately|roughly|circa|c\.|on or about|on or around"
    r"|sometime around)\s+|\s*(?:\?+|\(?approx\.?\)?|-?ish)$"
)
_NUMERIC_DATE_RE = re.compile(
    r"(?:(?P<wd>[a-z]+)\.?,?\s+)?"
    r"(?:(?P<iy>\d{4})\s*(?P<isep>[-/.])\s*(?P<im>\d{1,2})\s*(?P=isep)\s*(?P<id>\d{1,2})"
    r"|(?P<d>\d{1,2})\s*[/.\-]\s*(?P<m>\d{1,2})(?:\s*[/.\-]\s*(?P<y>\d{4}|\d{2}))?)"
)
_RELATIVE_DATE_RE = re.compile(
    r"(?P<today>today|tonight|this (?:morning|afternoon|evening)|earlier today)"
    r"|(?P<yesterday>yesterday(?: (?:morning|afternoon|evening|night))?|last night)"
    r"|(?P<day_before>(?:the )?day before yesterday)"
    rf"|(?P<count>\d{{1,3}}|{_alternation(_COUNT_WORDS)}) (?P<unit>days?|weeks?|fortnights?) ago"
    r"|(?P<fortnight>a fortnight ago)"
    rf"|(?P<last>last |this past )(?P<last_wd>{_WD_LONG})"
    rf"|(?:this )?(?P<gone_wd>{_WD_LONG}) (?:just gone|gone|last)"
)
_WORD_TOKEN_RE = re.compile(r"'\d\d|\d+(?:st|nd|rd|th)?|[a-z]+(?:-[a-z]+)?")
_WORDED_CHARS_RE = re.compile(r"[a-z0-9\s,.'-]*")
_ORDINAL_COMPOUND_RE = re.compile(rf"\b(twenty|thirty)[\s-]+({'|'.join(_UNIT_ORDINALS)})\b")
_DATELIKE_RE = re.compile(
    rf"\d|\b(?:{_alternation(_MONTHS)}|{_WD_LONG}|yesterday|today|ago|last|week|fortnight)\b"
)
_CLOCK_UNITS_RE = re.compile(r"\b(?:hours?|hrs?|minutes?|mins?|seconds?|[ap]m)\b|\d[:.]\d\d\b")
_WEEKDAY_WORD_RE = re.compile(rf"\b({_alternation(_WEEKDAYS)})\b")

# (text that must be present, pattern, replacement): the substring test skips most regex work.
_TIME_FIXES = (
    ("clock", re.compile(r"\bo'?\s?clock\b"), ""),
    # Before 23:59 is still the same evening; "about midnight" would move it to the next day.
    ("before", re.compile(r"\b(?:just\s+)?before\s+midnight\b"), "about 23:59"),
)
_TIME_ISH_RE = re.compile(
    rf"\b(\d{{1,2}}(?:[:.]\d\d)?(?:\s*[ap]m)?|{_HOURS}|midnight|noon|midday)\s*-?\s*ish\b"
)
_TIME_APPROX_RE = re.compile(
    r"\b(?:about|around|approx(?:imately)?|roughly|circa|c\.|just\s+gone|just\s+after"
    r"|gone|nearly|almost|sometime\s+around|or\s+so|give\s+or\s+take)\b\.?|^(?:shortly\s+)?after\b"
)
_RANGE_GAP_RE = re.compile(
    rf"\s*(?:{_WD_LONG}\s*)?(?P<conn>-+|to|until|till|til|thru|through|and)(?:\s*{_WD_LONG})?\s*"
)
_END_ONLY_RE = re.compile(r"\b(?:until|till|til|up\s+to|before|by)\s*$")
_EXPLICIT_PART_RE = re.compile(
    r"\b(early hours|small hours|morning|afternoon|evening|tonight|overnight|night)\b"
)
_CONTEXT_PART_RE = re.compile(
    r"(?:\b(?:at|in the|during the|this|last|late at|in the early|early in the)\s+)?"
    r"\b(early hours|small hours|morning|afternoon|evening|tonight|overnight|night|breakfast"
    r"|lunchtime|lunch|teatime|tea time|dinner|bedtime"
    r"|late(?!\s+(?:at\s+|in\s+the\s+)?(?:morning|afternoon|evening|night)))\b"
)
_TWO_DIGITS_RE = re.compile(r"\d\d")


# ---------------------------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------------------------


def _clean(text: str) -> str:
    """Lower case, single spaces, one kind of dash and quote."""
    return " ".join(text.translate(_TRANSLATION).lower().split())


def _quote(text: str) -> str:
    shown = " ".join(text.split())
    if len(shown) > _QUOTE_CHARS:
        shown = shown[: _QUOTE_CHARS - 1] + "…"
    return f"'{shown}'"


def _is_blank(norm: str) -> bool:
    return norm in _BLANKS or norm in _STOPWORDS or (len(norm) == 1 and not norm.isdigit())


def _uk(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


# ---------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _DateContext:
    raw: str
    base: dt.date
    hint: dt.date | None

    @property
    def ref(self) -> dt.date:
        """The date a partial date should land near: the row above, else the sheet date."""
        return self.base if self.hint is None else self.hint


@dataclass
class _Fields:
    """What a worded date said, filled one token at a time."""

    weekday: int | None = None
    weekday_text: str = ""
    day: int | None = None
    day_plain: bool = False
    month: int | None = None
    year: int | None = None
    approx: bool = False


def parse_date(text: str, *, base: dt.date, hint: dt.date | None = None) -> DateResult:
    """Read a UK (day-first) date; `base` is the date the sheet was received.

    `hint` is the previous row's date: a missing month or year is taken so that the date lands
    nearest to it (else nearest to `base`), never after `base`.
    """
    norm = _clean(text).strip(" ,;:.")
    if "ty" in norm:
        norm = _ORDINAL_COMPOUND_RE.sub(r"\1-\2", norm)
    ctx = _DateContext(raw=text.strip(), base=base, hint=hint)
    if norm in _DITTOS:
        return _ditto(ctx)
    if _is_blank(norm):
        return DateResult(None)
    norm, approx = _strip_date_approx(norm)
    result = _read_date(norm, ctx)
    if result.value is not None and result.value > base:
        warnings = (*result.warnings, _future(ctx, result.value))
        return DateResult(None, warnings, approx or result.approx)
    if approx and not result.approx:
        return dataclasses.replace(result, approx=True)
    return result


def _future(ctx: _DateContext, value: dt.date) -> str:
    reading = "" if ctx.raw == _uk(value) else f" (read as {_uk(value)})"
    return (
        f"{_quote(ctx.raw)}{reading} is after the sheet was received on {_uk(ctx.base)}; "
        "check the date."
    )


def _ditto(ctx: _DateContext) -> DateResult:
    if ctx.hint is None:
        return DateResult(None, (f"{_quote(ctx.raw)} means 'as above', but no date is above.",))
    return DateResult(ctx.hint)


def _strip_date_approx(norm: str) -> tuple[str, bool]:
    stripped, count = _DATE_APPROX_RE.subn("", norm)
    return (stripped.strip(), True) if count else (norm, False)


def _read_date(norm: str, ctx: _DateContext) -> DateResult:
    for reader in (_numeric_date, _relative_date, _worded_date, _embedded_date):
        result = reader(norm, ctx)
        if result is not None:
            return result
    return _dateparser_date(norm, ctx)


def _numeric_date(norm: str, ctx: _DateContext) -> DateResult | None:
    match = _NUMERIC_DATE_RE.fullmatch(norm)
    if match is None:
        return None
    weekday = None
    if match["wd"] is not None:
        weekday = _WEEKDAYS.get(match["wd"])
        if weekday is None:
            return None
    if match["iy"] is not None:
        # ISO is year-month-day whatever the locale; dateparser with DMY swaps it (#412).
        return _exact(int(match["iy"]), int(match["im"]), int(match["id"]), weekday, ctx)
    day, month = int(match["d"]), int(match["m"])
    if month > 12 and day <= 12:
        return DateResult(
            None,
            (
                f"{_quote(ctx.raw)} looks like month-first (US) order; UK dates are day first, "
                "so check the date.",
            ),
        )
    if match["y"] is None:
        return _day_month(day, month, weekday, ctx)
    return _exact(_full_year(match["y"]), month, day, weekday, ctx)


def _full_year(digits: str) -> int:
    year = int(digits)
    if len(digits) == 4:
        return year
    return year + (2000 if year < _TWO_DIGIT_YEAR_PIVOT else 1900)


def _not_real(ctx: _DateContext) -> DateResult:
    return DateResult(None, (f"{_quote(ctx.raw)} is not a real date; check the day and month.",))


def _exact(year: int, month: int, day: int, weekday: int | None, ctx: _DateContext) -> DateResult:
    try:
        value = dt.date(year, month, day)
    except ValueError:
        return _not_real(ctx)
    return DateResult(value, _weekday_check(weekday, value))


def _weekday_check(weekday: int | None, value: dt.date) -> tuple[str, ...]:
    if weekday is None or weekday == value.weekday():
        return ()
    written, actual = _WEEKDAY_NAMES[weekday], _WEEKDAY_NAMES[value.weekday()]
    return (f"{written} does not match {_uk(value)} (a {actual}); check the date.",)


def _nearest_fitting(candidates: list[dt.date], weekday: int, ref: dt.date) -> dt.date | None:
    """The nearest candidate that falls on `weekday`, if any does."""
    fitting = [c for c in candidates if c.weekday() == weekday]
    return _nearest(fitting, ref) if fitting else None


# Beyond about six months, a weekday that fits another year outweighs nearness.
_STALE_DAYS = 183


def _nearest(candidates: list[dt.date], ref: dt.date) -> dt.date:
    # Ties go to the later date: diaries run forwards from the row above.
    return min(candidates, key=lambda day: (abs((day - ref).days), -day.toordinal()))


def _day_month(day: int, month: int, weekday: int | None, ctx: _DateContext) -> DateResult:
    """A day and month with no year: the year that lands nearest the reference."""
    candidates: list[dt.date] = []
    lowest = min(ctx.ref.year, ctx.base.year) - _YEARS_BACK
    for year in range(ctx.ref.year + 1, lowest, -1):
        try:
            candidate = dt.date(year, month, day)
        except ValueError:
            continue
        if candidate <= ctx.base:
            candidates.append(candidate)
        if len(candidates) == 3:
            # Counting down from the year after the reference, the nearest is among the first 3.
            break
    if not candidates:
        return _not_real(ctx)
    value = _nearest(candidates, ctx.ref)
    if weekday is not None and value.weekday() != weekday and (ctx.ref - value).days > _STALE_DAYS:
        # "Monday 3rd March" read in December 2026: 3 March 2026 (a Tuesday) and 3 March 2025 (a
        # Monday) are both long ago, so the year where weekday and day agree is the likelier.
        # A recent date with the wrong weekday is more likely a slip, and keeps its warning.
        chosen = _nearest_fitting(candidates, weekday, ctx.ref)
        if chosen is not None:
            note = (
                f"Read {_quote(ctx.raw)} as {_uk(chosen)}, the nearest year when "
                f"{chosen.day} {chosen:%B} was a {_WEEKDAY_NAMES[weekday]}; check the year."
            )
            return DateResult(chosen, (note,))
    return DateResult(value, _weekday_check(weekday, value))


def _month_shift(year: int, month: int, offset: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + offset
    return index // 12, index % 12 + 1


def _day_only(day: int, fields: _Fields, ctx: _DateContext) -> DateResult:
    """A day of the month alone ("the 3rd", "Tues 3rd"): the month comes from the reference.

    A weekday picks the nearest month where it fits; dateparser would ignore it.
    """
    candidates = []
    for offset in range(1, -_MONTHS_BACK - 1, -1):
        year, month = _month_shift(ctx.ref.year, ctx.ref.month, offset)
        try:
            candidate = dt.date(year, month, day)
        except ValueError:
            continue
        if candidate <= ctx.base:
            candidates.append(candidate)
    if not candidates:
        return _not_real(ctx)
    nearest = _nearest(candidates, ctx.ref)
    weekday = fields.weekday
    value = None if weekday is None else _nearest_fitting(candidates, weekday, ctx.ref)
    if weekday is None or value is None:
        return DateResult(nearest, _weekday_check(weekday, nearest))
    if value == nearest:
        return DateResult(value)
    note = (
        f"Read {_quote(ctx.raw)} as {_uk(value)}, the nearest {_WEEKDAY_NAMES[weekday]} "
        f"the {day}{_ordinal_suffix(day)}; check the month."
    )
    return DateResult(value, (note,))


def _ordinal_suffix(day: int) -> str:
    if day in (11, 12, 13):
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _on_or_before(base: dt.date, weekday: int) -> dt.date:
    return base - dt.timedelta(days=(base.weekday() - weekday) % 7)


def _before(base: dt.date, weekday: int) -> dt.date:
    return base - dt.timedelta(days=(base.weekday() - weekday - 1) % 7 + 1)


def _relative_date(norm: str, ctx: _DateContext) -> DateResult | None:
    match = _RELATIVE_DATE_RE.fullmatch(norm)
    if match is None:
        return None
    base = ctx.base
    if match["today"]:
        return DateResult(base)
    if match["yesterday"]:
        # "last night" is the evening before the sheet date, not the early hours of base.
        return DateResult(base - dt.timedelta(days=1))
    if match["day_before"]:
        return DateResult(base - dt.timedelta(days=2))
    if match["fortnight"]:
        return DateResult(base - dt.timedelta(days=14), approx=True)
    if match["count"]:
        return _ago(match["count"], match["unit"], base)
    if match["last_wd"]:
        return DateResult(_before(base, _WEEKDAYS[match["last_wd"].rstrip(".")]))
    return DateResult(_before(base, _WEEKDAYS[match["gone_wd"].rstrip(".")]))


def _ago(count_text: str, unit: str, base: dt.date) -> DateResult:
    count = _COUNT_WORDS.get(count_text) or int(count_text)
    days = count * {"d": 1, "w": 7, "f": 14}[unit[0]]
    # "2 weeks ago" is a rounded figure; "3 days ago" is usually counted.
    approx = unit[0] != "d" or count_text in ("a couple of", "couple of")
    return DateResult(base - dt.timedelta(days=days), approx=approx)


def _worded_date(norm: str, ctx: _DateContext) -> DateResult | None:
    if _WORDED_CHARS_RE.fullmatch(norm) is None:
        return None
    fields = _Fields()
    for token in _WORD_TOKEN_RE.findall(norm):
        if not _place(fields, token):
            return None
    result = _resolve_fields(fields, ctx)
    if result is not None and fields.approx:
        return dataclasses.replace(result, approx=True)
    return result


_FILLERS = frozenset({"the", "of", "on"})
_APPROX_WORDS = frozenset({"about", "around", "approx", "approximately", "roughly", "circa"})


def _place(fields: _Fields, token: str) -> bool:
    """Put one token into `fields`; False when the text is not a plain worded date."""
    if token in _FILLERS:
        return True
    if token in _APPROX_WORDS:
        fields.approx = True
        return True
    if token in _WEEKDAYS and fields.weekday is None:
        fields.weekday, fields.weekday_text = _WEEKDAYS[token], token
        return True
    if token in _MONTHS and fields.month is None:
        fields.month = _MONTHS[token]
        return True
    if token in _ORDINAL_WORDS and fields.day is None:
        fields.day = _ORDINAL_WORDS[token]
        return True
    if token[0] == "'" and fields.year is None:
        fields.year = 2000 + int(token[1:])
        return True
    return token[0].isdigit() and _place_number(fields, token)


def _place_number(fields: _Fields, token: str) -> bool:
    digits = token.rstrip("stndrh")
    number = int(digits)
    if len(digits) == 4 and digits == token and fields.year is None:
        fields.year = number
        return True
    if len(digits) > 2:
        return False
    if fields.day is None and 1 <= number <= 31:
        fields.day, fields.day_plain = number, digits == token
        return True
    if digits == token and fields.month is not None and fields.year is None:
        # "3 March 26": a second number after the month is a two-digit year.
        fields.year = _full_year(digits)
        return True
    return False


def _resolve_fields(fields: _Fields, ctx: _DateContext) -> DateResult | None:
    if fields.weekday_text in _SHORT_WEEKDAYS and fields.day is None:
        return None
    if fields.day is None:
        return _no_day(fields, ctx)
    if fields.month is None:
        if fields.year is not None or (fields.day_plain and fields.weekday is None):
            # "3rd 2026" is garbled and a bare "3" is as likely a row number as a day.
            return None
        return _day_only(fields.day, fields, ctx)
    if fields.year is None:
        return _day_month(fields.day, fields.month, fields.weekday, ctx)
    return _exact(fields.year, fields.month, fields.day, fields.weekday, ctx)


def _no_day(fields: _Fields, ctx: _DateContext) -> DateResult:
    if fields.month is not None or fields.year is not None:
        return DateResult(None, (f"{_quote(ctx.raw)} gives no day of the month; check the date.",))
    if fields.weekday is not None:
        # A weekday alone is the latest such day on or before the sheet date.
        return DateResult(_on_or_before(ctx.base, fields.weekday))
    return DateResult(None)


def _embedded_date(norm: str, ctx: _DateContext) -> DateResult | None:
    """A date cell that also holds a time ("09/01/2026 8.20pm"): read the date part alone.

    This keeps "6/4/25 0730" away from dateparser, which reads 0730 as a year (#1264).
    """
    date_text, time_text = split_date_time(norm)
    if date_text is None or time_text is None or date_text == norm:
        return None
    return parse_date(date_text, base=ctx.base, hint=ctx.hint)


def _unreadable_date(ctx: _DateContext) -> DateResult:
    return DateResult(None, (f"Could not read {_quote(ctx.raw)} as a date.",))


def _dateparser_date(norm: str, ctx: _DateContext) -> DateResult:
    """Last resort for a short date-like phrase our grammar does not cover."""
    if (
        len(norm) > _MAX_DATEPARSER_CHARS
        or _DATELIKE_RE.search(norm) is None
        or _CLOCK_UNITS_RE.search(norm) is not None  # RELATIVE_BASE is midnight: "an hour ago"
    ):
        return _unreadable_date(ctx)
    try:
        data = _dateparser_for(ctx.base).get_date_data(_for_dateparser(norm))
    except (ValueError, TypeError, OverflowError):
        return _unreadable_date(ctx)
    found, period, parts = data.date_obj, data.period, data.parts or ()
    if not isinstance(found, dt.datetime):
        return _unreadable_date(ctx)
    if period in ("week", "month", "quarter", "year"):
        return DateResult(None, (f"{_quote(ctx.raw)} gives no day of the month; check the date.",))
    if period not in ("day", "part_of_day") or "day" not in parts or "month" not in parts:
        return _unreadable_date(ctx)  # e.g. "3": dateparser takes the month from RELATIVE_BASE
    value = found.date()
    word = _WEEKDAY_WORD_RE.search(norm)
    weekday = None if word is None else _WEEKDAYS[word.group(1)]
    return DateResult(value, _weekday_check(weekday, value))


def _for_dateparser(norm: str) -> str:
    """Spell weekdays out: dateparser misses "Tu", "We", "Th" and "Weds" (#1170)."""
    return _WEEKDAY_WORD_RE.sub(lambda m: _WEEKDAY_NAMES[_WEEKDAYS[m.group(1)]], norm)


@functools.lru_cache(maxsize=8)
def _dateparser_for(base: dt.date) -> Any:
    """One reusable dateparser per sheet date.

    RELATIVE_BASE is fixed when a DateDataParser is built (get_date_data takes no settings), so
    the parser is cached per base date; building one costs ~30 us once dateparser is loaded.
    """
    # Imported here: the import costs ~0.2-0.4 s and most sheets never need it.
    from dateparser.date import DateDataParser

    return DateDataParser(
        languages=["en"],
        settings={
            "DATE_ORDER": "DMY",
            "PREFER_DATES_FROM": "past",  # incidents are in the past; "future" adds centuries
            "PREFER_LOCALE_DATE_ORDER": False,
            "STRICT_DATE_ORDER": "all",  # no silent MDY fallback for "04/13/2026"
            "RETURN_AS_TIMEZONE_AWARE": False,
            "RETURN_TIME_AS_PERIOD": True,  # a time alone must not pass for a day
            "RELATIVE_BASE": dt.datetime.combine(base, dt.time()),
            "PARSERS": ["relative-time", "absolute-time"],  # "6123456" is not a timestamp
        },
    )


# ---------------------------------------------------------------------------------------------
# Times
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Point:
    """One clock reading. `fixed` means the 24-hour value is certain; otherwise `hour` is 1-12."""

    hour: int
    minute: int
    fixed: bool
    label: str


def parse_time(text: str, *, context: str = "") -> TimeResult:
    """Read a local time or range; `context` (e.g. the description) supports am/pm guesses."""
    norm, approx = _normalise_time(text)
    if _is_blank(norm):
        return TimeResult(None)
    matches = list(_TIME_RE.finditer(norm))
    if not matches:
        return TimeResult(None, approx=approx, warnings=(_unreadable_time(text, norm),))
    first, second, warnings = _time_shape(text, norm, matches)
    points = [None if m is None else _to_point(m) for m in (first, second)]
    for match, point in zip((first, second), points, strict=True):
        if match is not None and point is None:
            label = _quote(match.group(0).strip())
            return TimeResult(None, approx=approx, warnings=(f"{label} is not a valid time.",))
    start, end, guesses = _settle_range(points[0], points[1], norm, context)
    crosses = start is not None and end is not None and end < start
    return TimeResult(start, end, crosses, approx, (*warnings, *guesses))


def _normalise_time(text: str) -> tuple[str, bool]:
    norm = _clean(text)
    for needle, pattern, replacement in _TIME_FIXES:
        if needle in norm:
            norm = pattern.sub(replacement, norm)
    ish = fuzzy = 0
    if "ish" in norm:
        norm, ish = _TIME_ISH_RE.subn(r"\1", norm)
    if not norm[:1].isdigit() or " " in norm:
        norm, fuzzy = _TIME_APPROX_RE.subn("", norm)
    return " ".join(norm.split()).strip(" ,;:."), bool(ish or fuzzy)


def _unreadable_time(text: str, norm: str) -> str:
    warning = f"Could not read {_quote(text)} as a time."
    part = _CONTEXT_PART_RE.search(norm)
    if part is not None:
        warning += f" It only says '{part.group(0).strip()}'."
    return warning


def _time_shape(
    text: str, norm: str, matches: list[re.Match[str]]
) -> tuple[re.Match[str] | None, re.Match[str] | None, tuple[str, ...]]:
    """(start, end, warnings): a range, a single start, or an end only ("until 2am")."""
    first = matches[0]
    prefix = norm[: first.start()]
    is_range = len(matches) > 1 and _is_range_gap(norm[first.end() : matches[1].start()], prefix)
    used = 2 if is_range else 1
    warnings: tuple[str, ...] = ()
    if len(matches) > used:
        shown = " ".join(m.group(0).strip() for m in matches[:used])
        warnings = (f"{_quote(text)} gives more than one time; used the first ('{shown}').",)
    if is_range:
        return first, matches[1], warnings
    if _END_ONLY_RE.search(prefix):
        return None, first, warnings
    return first, None, warnings


def _is_range_gap(gap: str, prefix: str) -> bool:
    match = _RANGE_GAP_RE.fullmatch(gap)
    if match is None:
        return False
    # "10pm and again at 11pm" is two events; only "between X and Y" makes "and" a range.
    return match["conn"] != "and" or "between" in prefix


def _to_point(match: re.Match[str]) -> _Point | None:
    clock = _clock(match)
    if clock is None:
        return None
    hour, minute, is_24h = clock
    label = match.group(0).strip()
    if match["ampm"] is not None and 1 <= hour <= 12:
        return _Point(hour % 12 + (12 if match["ampm"] == "p" else 0), minute, True, label)
    if is_24h or hour == 0 or hour > 12:
        return _Point(hour % 24, minute, True, label)
    return _Point(hour, minute, False, label)


def _clock(match: re.Match[str]) -> tuple[int, int, bool] | None:
    """(hour, minute, looks 24-hour) as written, or None when it is not a real time."""
    if match["named"] is not None:
        return (0, 0, True) if match["named"] == "midnight" else (12, 0, True)
    if match["rel"] is not None:
        return _spoken(match)
    if match["hh"] is not None:
        return _hour_value(match["hh"], 30)
    if match["hhmm"] is not None:
        return int(match["hhmm"][:2]), int(match["hhmm"][2:]), True
    if match["h"] is not None:
        return _numeric_clock(match["h"], match["m"])
    minute = 0 if match["wm"] is None else _WORD_MINUTES[_hyphenate(match["wm"])]
    return _HOUR_WORDS[match["wh"]], minute, False


def _hyphenate(words: str) -> str:
    return "-".join(words.replace("-", " ").split())


def _hour_value(text: str, minute: int) -> tuple[int, int, bool] | None:
    hour = _HOUR_WORDS.get(text)
    if hour is None:
        hour = int(text)
    if hour > 23:
        return None
    return hour, minute, hour > 12 or hour == 0


def _numeric_clock(hour_text: str, minute_text: str | None) -> tuple[int, int, bool] | None:
    hour, minute = int(hour_text), 0 if minute_text is None else int(minute_text)
    if minute > 59 or hour > 24 or (hour == 24 and minute > 0):
        return None
    # A leading zero ("09.15", "02:00") is 24-hour writing.
    return hour, minute, hour_text.startswith("0") or hour > 12


def _spoken(match: re.Match[str]) -> tuple[int, int, bool] | None:
    """ "quarter to ten", "twenty-five past six", "half past midnight"."""
    if match["sd"] is not None:
        minutes = int(match["sd"])
    else:
        minutes = _SPOKEN_MINUTES[_hyphenate(match["sm"])]
    hour_text = match["sh"]
    named = {"midnight": (0, True), "midday": (12, True), "noon": (12, True)}.get(hour_text)
    if named is None:
        clock = _hour_value(hour_text, 0)
        if clock is None:
            return None
        hour, _, fixed = clock
    else:
        hour, fixed = named
    if not 0 < minutes < 60:
        return None
    if match["rel"] != "to":
        return hour, minutes, fixed
    if not fixed:
        # Still a 12-hour clock reading: "quarter to one" is 12:45, am or pm unknown.
        return (hour - 2) % 12 + 1, 60 - minutes, False
    return (hour - 1) % 24, 60 - minutes, True


def _settle_range(
    start: _Point | None, end: _Point | None, norm: str, context: str
) -> tuple[dt.time | None, dt.time | None, tuple[str, ...]]:
    """Give each point its 24-hour value; a range end without am/pm follows the other end."""
    if start is None or end is None:
        only = start or end
        if only is None:
            return None, None, ()
        value, warnings = _settle(only, norm, context)
        return (value, None, warnings) if start is not None else (None, value, warnings)
    if end.fixed and not start.fixed:
        end_value = _time_of(end.hour, end.minute)
        return _closest(start, end_value, before=True), end_value, ()
    start_value, warnings = _settle(start, norm, context)
    return start_value, _closest(end, start_value, before=False), warnings


def _time_of(hour: int, minute: int) -> dt.time:
    return dt.time(hour % 24, minute)


def _closest(point: _Point, other: dt.time, *, before: bool) -> dt.time:
    """The reading of `point` that makes the range shortest ("9 and 11pm" is 21:00-23:00)."""
    if point.fixed:
        return _time_of(point.hour, point.minute)
    anchor = other.hour * 60 + other.minute

    def gap(hour: int) -> int:
        mine = hour * 60 + point.minute
        span = (anchor - mine) if before else (mine - anchor)
        return span % _MINUTES_PER_DAY or _MINUTES_PER_DAY

    return _time_of(min((point.hour % 12, point.hour % 12 + 12), key=gap), point.minute)


def _settle(point: _Point, norm: str, context: str) -> tuple[dt.time, tuple[str, ...]]:
    if point.fixed:
        return _time_of(point.hour, point.minute), ()
    explicit = _EXPLICIT_PART_RE.search(norm)
    if explicit is not None:
        # "half ten at night": the writer did say which half of the day.
        return _with_part(point, _PART_OF_WORD[explicit.group(1)]), ()
    guess = _context_guess(point, norm, context)
    if guess is not None:
        value, phrase = guess
        return value, (
            f"No am/pm given for '{point.label}'; taken as {value:%H:%M} from '{phrase}'.",
        )
    value = _time_of(point.hour, point.minute)
    return value, (
        f"No am/pm given for '{point.label}'; read as {value:%H:%M}. "
        "Check whether it was morning or evening.",
    )


def _with_part(point: _Point, part: str) -> dt.time:
    return _time_of(_PART_HOURS[part][point.hour - 1], point.minute)


def _context_guess(point: _Point, norm: str, context: str) -> tuple[dt.time, str] | None:
    """A reading supported by part-of-day words nearby, if they all agree."""
    found = [
        (m.group(0).strip(), _PART_OF_WORD[_WHITESPACE_RE.sub(" ", m.group(1))])
        for source in (norm, _clean(context))
        for m in _CONTEXT_PART_RE.finditer(source)
    ]
    readings = {_with_part(point, part) for _, part in found}
    if len(readings) != 1:
        return None
    return readings.pop(), found[0][0]


# ---------------------------------------------------------------------------------------------
# Finding the date and time in a cell or a paragraph
# ---------------------------------------------------------------------------------------------


def _clean_part(text: str) -> str:
    part = text.strip(" \t\r\n,;")
    for joiner in ("at ", "@"):
        if part.lower().startswith(joiner):
            part = part[len(joiner) :].lstrip(" ,")
    return part


def split_date_time(text: str) -> tuple[str | None, str | None]:
    """Split a combined "Date & Time" cell into (date text, time text); either may be None."""
    cell = _clean_part(text)
    if not cell:
        return None, None
    date_match = _LEAD_DATE_RE.match(cell)
    if date_match is not None:
        return _after_date(cell, date_match)
    time_end = _lead_time_end(cell, 0)
    if time_end is not None:
        time_text = _clean_part(cell[:time_end])
        tail = _clean_part(cell[time_end:])
        if not tail:
            return None, time_text
        tail_date = _LEAD_DATE_RE.match(tail)
        if tail_date is not None and not _clean_part(tail[tail_date.end() :]):
            return _clean_part(tail_date["date"]), time_text
    if _DATELIKE_RE.search(cell.lower()) is None and _CONTEXT_PART_RE.search(cell.lower()):
        return None, cell
    return cell, None


def _after_date(cell: str, date_match: re.Match[str]) -> tuple[str | None, str | None]:
    rest = _clean_part(cell[date_match.end() :])
    if not rest:
        return _clean_part(date_match["date"]), None
    if _TWO_DIGITS_RE.fullmatch(rest) and int(rest) > 12:
        # "3rd March 26": a bare number that cannot be a 12-hour clock hour is the year.
        return cell, None
    if _TIME_RE.search(_normalise_time(rest)[0]) is None:
        # Not a time: keep the cell whole so parse_date can judge (and warn about) all of it.
        return cell, None
    return _clean_part(date_match["date"]), rest


def _lead_time_end(text: str, pos: int) -> int | None:
    """End of a time phrase starting at `pos`, or None when there is none worth taking."""
    match = _LEAD_TIME_RE.match(text, pos)
    if match is None:
        return None
    end = match.end()
    strong = _is_strong_time(match["time"], at=match["at"] is not None)
    tail = _RANGE_TAIL_RE.match(text, end)
    if tail is not None and _takes_range_tail(match["time"], tail, text):
        end, strong = tail.end(), True
    part = _PART_TAIL_RE.match(text, end)
    if part is not None:
        end, strong = part.end(), True
    # A bare "3" after a date is as likely "3 taxis came": it needs a separator after it.
    if strong or _ends_here(text, end):
        return end
    return None


def _takes_range_tail(first: str, tail: re.Match[str], text: str) -> bool:
    """Whether "<time> - <more>" is a range: "2.30pm – three taxis turned up" is not."""
    connector = tail["conn"].lower()
    if connector == "and":
        return "between" in first.lower()
    if connector[0].isalpha():
        return True
    return _is_strong_time(tail["t2"], at=False) or _ends_here(text, tail.end())


def _is_strong_time(time_text: str, *, at: bool) -> bool:
    if at and any(ch.isdigit() for ch in time_text):
        return True
    return _STRONG_TIME_RE.search(time_text) is not None


def _ends_here(text: str, pos: int) -> bool:
    return not text[pos:].strip() or _LEAD_SEPARATOR_RE.match(text, pos) is not None


def leading_date_time(text: str) -> tuple[str | None, str | None, str]:
    """(date text, time text, rest) when a paragraph starts with a date, else (None, None, text).

    "Monday 3rd March about 10pm – Wayne was banging" gives
    ("Monday 3rd March", "about 10pm", "Wayne was banging").
    """
    date_match = _LEAD_DATE_RE.match(text)
    if date_match is None:
        return None, None, text
    date_text = date_match["date"].strip()
    pos = date_match.end()
    time_text = None
    time_end = _lead_time_end(text, pos)
    if time_end is not None:
        time_text = _clean_part(text[pos:time_end])
        pos = time_end
    separator = _LEAD_SEPARATOR_RE.match(text, pos)
    if separator is not None:
        return date_text, time_text, text[separator.end() :].strip()
    rest = text[pos:]
    if not rest.strip():
        return date_text, time_text, ""
    # Without a separator only a full date, or a date plus a time, opens the entry: "Monday he
    # came round" or "the 3rd time" are ordinary sentences.
    if rest[0].isspace() and (date_match["strong"] is not None or time_text is not None):
        return date_text, time_text, rest.strip()
    return None, None, text
