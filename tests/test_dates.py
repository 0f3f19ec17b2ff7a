"""parsers.dates: the dates and times UK residents write, and the dateparser traps around them.

Every table row carries its own base ("sheet received") date, so nothing depends on today.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers.dates import (
    DateResult,
    TimeResult,
    leading_date_time,
    parse_date,
    parse_time,
    split_date_time,
)

REPO = Path(__file__).resolve().parents[1]
FRI_20_MAR_2026 = dt.date(2026, 3, 20)
FRI_14_MAR_2025 = dt.date(2025, 3, 14)


def day(iso: str) -> dt.date:
    return dt.date.fromisoformat(iso)


def hm(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


# ---------------------------------------------------------------------------------------------
# parse_date
# ---------------------------------------------------------------------------------------------

# (text, base, hint, expected ISO date): read cleanly, no warnings.
CLEAN_DATES = [
    # Numeric, always day first.
    pytest.param("03/04/26", day("2026-04-10"), None, "2026-04-03", id="dd/mm/yy"),
    pytest.param("3/4/2026", day("2026-04-10"), None, "2026-04-03", id="d/m/yyyy"),
    pytest.param("3.4.26", day("2026-04-10"), None, "2026-04-03", id="d.m.yy"),
    pytest.param("03-04-2026", day("2026-04-10"), None, "2026-04-03", id="dd-mm-yyyy"),
    pytest.param("2026-04-03", day("2026-04-10"), None, "2026-04-03", id="iso-not-swapped"),
    pytest.param("07/02/26", FRI_20_MAR_2026, None, "2026-02-07", id="sample-07/02/26"),
    pytest.param("30/03/2026", day("2026-04-08"), None, "2026-03-30", id="sample-30/03/2026"),
    pytest.param("13/04/2024", FRI_20_MAR_2026, None, "2024-04-13", id="day-above-12"),
    pytest.param("02/07/98", FRI_20_MAR_2026, None, "1998-07-02", id="yy-pivot-19xx"),
    pytest.param(" 09/01/2026, ", FRI_20_MAR_2026, None, "2026-01-09", id="stray-comma-space"),
    pytest.param("12/04", FRI_20_MAR_2026, None, "2025-04-12", id="no-year-not-after-base"),
    pytest.param("Sat 6/4", day("2024-04-10"), None, "2024-04-06", id="weekday-and-d/m"),
    # Worded.
    pytest.param("3rd March", FRI_20_MAR_2026, None, "2026-03-03", id="3rd-March"),
    pytest.param("March 3rd", FRI_20_MAR_2026, None, "2026-03-03", id="March-3rd"),
    pytest.param("Tues 3rd March", FRI_20_MAR_2026, None, "2026-03-03", id="sample-Tues-3rd"),
    pytest.param("Sat 14th March", FRI_20_MAR_2026, None, "2026-03-14", id="sample-Sat-14th"),
    pytest.param("Monday 3rd March", FRI_14_MAR_2025, None, "2025-03-03", id="sample-2025"),
    pytest.param(
        "Wednesday 4th February 2026", day("2026-02-10"), None, "2026-02-04", id="full-worded"
    ),
    pytest.param("Weds, 4th of February", day("2026-02-10"), None, "2026-02-04", id="weds-of"),
    pytest.param("4 Feb. 2026", day("2026-02-10"), None, "2026-02-04", id="abbrev-month-dot"),
    pytest.param("3 March 26", FRI_20_MAR_2026, None, "2026-03-03", id="worded-2-digit-year"),
    pytest.param("We 4th March", FRI_20_MAR_2026, None, "2026-03-04", id="two-letter-We"),
    pytest.param("Th 5th", FRI_20_MAR_2026, None, "2026-03-05", id="two-letter-Th"),
    pytest.param("the third of March", FRI_20_MAR_2026, None, "2026-03-03", id="ordinal-word"),
    pytest.param("twenty-first of February", FRI_20_MAR_2026, None, "2026-02-21", id="compound"),
    pytest.param("thirty first January", FRI_20_MAR_2026, None, "2026-01-31", id="compound-sp"),
    pytest.param("3rd March", day("2026-03-02"), None, "2025-03-03", id="year-back-not-future"),
    pytest.param("29th February", FRI_20_MAR_2026, None, "2024-02-29", id="leap-day-year"),
    # A day of the month alone: month from the row above, else from the sheet date.
    pytest.param("the 3rd", FRI_20_MAR_2026, None, "2026-03-03", id="the-3rd"),
    pytest.param("3rd", FRI_20_MAR_2026, None, "2026-03-03", id="3rd-alone"),
    pytest.param("Tues 3rd", FRI_20_MAR_2026, None, "2026-03-03", id="Tues-3rd"),
    pytest.param("Tu 3rd", FRI_20_MAR_2026, None, "2026-03-03", id="Tu-3rd"),
    pytest.param("the 25th", FRI_20_MAR_2026, None, "2026-02-25", id="the-25th-last-month"),
    pytest.param("the 3rd", day("2026-04-10"), day("2026-03-28"), "2026-04-03", id="hint-next"),
    pytest.param("the 3rd", day("2026-04-10"), day("2026-03-01"), "2026-03-03", id="hint-same"),
    pytest.param("Tues 3rd", FRI_20_MAR_2026, day("2026-02-10"), "2026-02-03", id="hint-weekday"),
    pytest.param(
        "3rd January", day("2026-01-10"), day("2025-12-28"), "2026-01-03", id="hint-new-year"
    ),
    pytest.param("28th December", day("2026-01-10"), None, "2025-12-28", id="last-year"),
    # Weekdays and relative words.
    pytest.param("Monday", FRI_20_MAR_2026, None, "2026-03-16", id="weekday-alone"),
    pytest.param("Friday", FRI_20_MAR_2026, None, "2026-03-20", id="weekday-is-base"),
    pytest.param("last Friday", FRI_20_MAR_2026, None, "2026-03-13", id="last-friday"),
    pytest.param("last Thursday", FRI_20_MAR_2026, None, "2026-03-19", id="last-thursday"),
    pytest.param("Monday just gone", FRI_20_MAR_2026, None, "2026-03-16", id="monday-just-gone"),
    pytest.param("yesterday", FRI_20_MAR_2026, None, "2026-03-19", id="yesterday"),
    pytest.param("today", FRI_20_MAR_2026, None, "2026-03-20", id="today"),
    pytest.param("tonight", FRI_20_MAR_2026, None, "2026-03-20", id="tonight"),
    pytest.param("last night", FRI_20_MAR_2026, None, "2026-03-19", id="last-night"),
    pytest.param("day before yesterday", FRI_20_MAR_2026, None, "2026-03-18", id="day-before"),
    pytest.param("3 days ago", FRI_20_MAR_2026, None, "2026-03-17", id="days-ago"),
    pytest.param("three days ago", FRI_20_MAR_2026, None, "2026-03-17", id="days-ago-word"),
    # A combined cell given to the date parser: the time must not become a year (#1264).
    pytest.param("09/01/2026 8.20pm", FRI_20_MAR_2026, None, "2026-01-09", id="with-time"),
    pytest.param("6/4/25 0730", day("2025-04-10"), None, "2025-04-06", id="with-4-digit-time"),
    pytest.param("Tues 3rd March at 10pm", FRI_20_MAR_2026, None, "2026-03-03", id="with-at"),
    # Left to dateparser (the "in" is outside our grammar).
    pytest.param(
        "Thursday, the 5th of March in 2026", FRI_20_MAR_2026, None, "2026-03-05", id="fallback"
    ),
]


@pytest.mark.parametrize(("text", "base", "hint", "expected"), CLEAN_DATES)
def test_parse_date_reads_uk_forms(
    text: str, base: dt.date, hint: dt.date | None, expected: str
) -> None:
    assert parse_date(text, base=base, hint=hint) == DateResult(day(expected))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("2 weeks ago", "2026-03-06", id="weeks-ago"),
        pytest.param("a fortnight ago", "2026-03-06", id="fortnight"),
        pytest.param("about 3rd March", "2026-03-03", id="about"),
        pytest.param("3rd March?", "2026-03-03", id="question-mark"),
        pytest.param("approx 12/03/2026", "2026-03-12", id="approx-numeric"),
    ],
)
def test_parse_date_marks_approximate_dates(text: str, expected: str) -> None:
    assert parse_date(text, base=FRI_20_MAR_2026) == DateResult(day(expected), approx=True)


# (text, base, expected ISO date or None, the warning in full)
WARNED_DATES = [
    pytest.param(
        "Tuesday 04/03/2026",
        FRI_20_MAR_2026,
        "2026-03-04",
        "Tuesday does not match 04/03/2026 (a Wednesday); check the date.",
        id="weekday-contradicts-numeric",
    ),
    pytest.param(
        "Monday 3rd March",
        FRI_20_MAR_2026,
        "2026-03-03",
        "Monday does not match 03/03/2026 (a Tuesday); check the date.",
        id="weekday-contradicts-worded",
    ),
    pytest.param(
        "Wed 3rd",
        FRI_20_MAR_2026,
        "2025-12-03",
        "Read 'Wed 3rd' as 03/12/2025, the nearest Wednesday the 3rd; check the month.",
        id="weekday-picks-an-earlier-month",
    ),
    pytest.param(
        "31/02/2026",
        FRI_20_MAR_2026,
        None,
        "'31/02/2026' is not a real date; check the day and month.",
        id="impossible-numeric",
    ),
    pytest.param(
        "31st April",
        FRI_20_MAR_2026,
        None,
        "'31st April' is not a real date; check the day and month.",
        id="impossible-worded",
    ),
    pytest.param(
        "04/13/2026",
        FRI_20_MAR_2026,
        None,
        "'04/13/2026' looks like month-first (US) order; UK dates are day first, "
        "so check the date.",
        id="us-order-never-swapped",
    ),
    pytest.param(
        "05/04/2026",
        FRI_20_MAR_2026,
        None,
        "'05/04/2026' is after the sheet was received on 20/03/2026; check the date.",
        id="after-base",
    ),
    pytest.param(
        "Sunday 5th April 2026",
        FRI_20_MAR_2026,
        None,
        "'Sunday 5th April 2026' (read as 05/04/2026) is after the sheet was received on "
        "20/03/2026; check the date.",
        id="after-base-worded",
    ),
    pytest.param(
        "March 2026",
        FRI_20_MAR_2026,
        None,
        "'March 2026' gives no day of the month; check the date.",
        id="month-only-never-invents-a-day",
    ),
    pytest.param(
        "last week",
        FRI_20_MAR_2026,
        None,
        "'last week' gives no day of the month; check the date.",
        id="week-only-via-dateparser",
    ),
    pytest.param(
        "sometime last month",
        FRI_20_MAR_2026,
        None,
        "Could not read 'sometime last month' as a date.",
        id="vague",
    ),
    pytest.param(
        "see attached", FRI_20_MAR_2026, None, "Could not read 'see attached' as a date.", id="text"
    ),
    pytest.param("3", FRI_20_MAR_2026, None, "Could not read '3' as a date.", id="bare-number"),
    pytest.param(
        "an hour ago", FRI_20_MAR_2026, None, "Could not read 'an hour ago' as a date.", id="hours"
    ),
    pytest.param(
        "1st Monday in March",
        FRI_20_MAR_2026,
        "2026-03-01",
        "Monday does not match 01/03/2026 (a Sunday); check the date.",
        id="dateparser-result-weekday-checked",
    ),
    pytest.param(
        "ditto",
        FRI_20_MAR_2026,
        None,
        "'ditto' means 'as above', but no date is above.",
        id="ditto-without-row-above",
    ),
]


@pytest.mark.parametrize(("text", "base", "expected", "warning"), WARNED_DATES)
def test_parse_date_warns_staff(
    text: str, base: dt.date, expected: str | None, warning: str
) -> None:
    result = parse_date(text, base=base)
    assert result.value == (None if expected is None else day(expected))
    assert result.warnings == (warning,)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "N/A", "n/a", "-", "none", "None", "nil", "the", "a", "to", "?", "unknown"],
    ids=repr,
)
def test_parse_date_blank_cells_are_silent(text: str) -> None:
    assert parse_date(text, base=FRI_20_MAR_2026) == DateResult(None)


def test_parse_date_ditto_repeats_the_row_above() -> None:
    assert parse_date('"', base=FRI_20_MAR_2026, hint=day("2026-03-01")) == DateResult(
        day("2026-03-01")
    )


# ---------------------------------------------------------------------------------------------
# parse_time
# ---------------------------------------------------------------------------------------------

# (text, start, end, crosses_midnight, approx): read cleanly, no warnings.
CLEAN_TIMES = [
    # The brief's samples and those in the shared sample sheets.
    pytest.param("10.30pm - 11.15pm", "22:30", "23:15", False, False, id="pm-range"),
    pytest.param("between 9 and 11pm", "21:00", "23:00", False, False, id="between-carry-pm"),
    pytest.param("9.15am", "09:15", None, False, False, id="9.15am"),
    pytest.param("7pm", "19:00", None, False, False, id="7pm"),
    pytest.param("11.40pm", "23:40", None, False, False, id="11.40pm"),
    pytest.param("8.20pm", "20:20", None, False, False, id="8.20pm"),
    pytest.param("about 11pm", "23:00", None, False, True, id="about-11pm"),
    pytest.param("11.50pm – 12.45am", "23:50", "00:45", True, False, id="en-dash-midnight"),
    pytest.param("about 7pm", "19:00", None, False, True, id="about-7pm"),
    pytest.param("23:30 - 02:15", "23:30", "02:15", True, False, id="24h-crosses"),
    pytest.param("22:00 - 23:45", "22:00", "23:45", False, False, id="24h-range"),
    pytest.param("07:10 - 08:40", "07:10", "08:40", False, False, id="24h-morning-range"),
    pytest.param("6.40pm", "18:40", None, False, False, id="6.40pm"),
    pytest.param("22.30", "22:30", None, False, False, id="24h-dot"),
    pytest.param("3pm", "15:00", None, False, False, id="3pm"),
    pytest.param("1.15am", "01:15", None, False, False, id="1.15am"),
    pytest.param("about 10pm", "22:00", None, False, True, id="about-10pm"),
    pytest.param("8.15am", "08:15", None, False, False, id="8.15am"),
    pytest.param("2.30pm", "14:30", None, False, False, id="2.30pm"),
    pytest.param("around half ten at night", "22:30", None, False, True, id="half-ten-at-night"),
    pytest.param("4.30pm", "16:30", None, False, False, id="4.30pm"),
    # More 12- and 24-hour spellings.
    pytest.param("22:30", "22:30", None, False, False, id="24h-colon"),
    pytest.param("2230", "22:30", None, False, False, id="4-digit"),
    pytest.param("0730", "07:30", None, False, False, id="4-digit-leading-zero"),
    pytest.param("2230hrs", "22:30", None, False, False, id="4-digit-hrs"),
    pytest.param("10:30 pm", "22:30", None, False, False, id="colon-space-pm"),
    pytest.param("10.30 p.m.", "22:30", None, False, False, id="p.m."),
    pytest.param("2am", "02:00", None, False, False, id="2am"),
    pytest.param("02.00am", "02:00", None, False, False, id="02.00am"),
    pytest.param("02:00", "02:00", None, False, False, id="leading-zero-is-24h"),
    pytest.param("12.45am", "00:45", None, False, False, id="12am-is-midnight"),
    pytest.param("12pm", "12:00", None, False, False, id="12pm-is-noon"),
    pytest.param("midnight", "00:00", None, False, False, id="midnight"),
    pytest.param("12 midnight", "00:00", None, False, False, id="12-midnight"),
    pytest.param("midday", "12:00", None, False, False, id="midday"),
    pytest.param("noon", "12:00", None, False, False, id="noon"),
    pytest.param("quarter to midnight", "23:45", None, False, False, id="quarter-to-midnight"),
    pytest.param("ten to eleven pm", "22:50", None, False, False, id="ten-to-eleven-pm"),
    pytest.param("quarter past six in the evening", "18:15", None, False, False, id="evening"),
    pytest.param("half twelve at night", "00:30", None, False, False, id="half-twelve-night"),
    pytest.param("2 at night", "02:00", None, False, False, id="small-hours-night"),
    pytest.param("7.30 in the morning", "07:30", None, False, False, id="morning"),
    # Ranges: the marked end decides the other, and end < start means the next day.
    pytest.param("9 to 11pm", "21:00", "23:00", False, False, id="to-carry-pm"),
    pytest.param("10.30 - 11.15pm", "22:30", "23:15", False, False, id="carry-with-minutes"),
    pytest.param("11 to 1am", "23:00", "01:00", True, False, id="carry-across-midnight"),
    pytest.param("9pm to 11", "21:00", "23:00", False, False, id="carry-forwards"),
    pytest.param("10.15 am to 10.55 am", "10:15", "10:55", False, False, id="am-range"),
    pytest.param("from 9pm until 1am", "21:00", "01:00", True, False, id="from-until"),
    pytest.param("11pm Saturday until 4am Sunday", "23:00", "04:00", True, False, id="weekdays"),
    pytest.param("10pm to 2 the next morning", "22:00", "02:00", True, False, id="next-morning"),
    pytest.param("between 9 and 11 at night", "21:00", "23:00", False, False, id="between-night"),
    pytest.param("until 2am", None, "02:00", False, False, id="end-only"),
    # Approximate.
    pytest.param("just before midnight", "23:59", None, False, True, id="before-midnight"),
    pytest.param("after 11pm", "23:00", None, False, True, id="after"),
    pytest.param("10pm-ish", "22:00", None, False, True, id="pm-ish"),
    pytest.param("9pm for 30 minutes", "21:00", None, False, False, id="duration-ignored"),
]


@pytest.mark.parametrize(("text", "start", "end", "crosses", "approx"), CLEAN_TIMES)
def test_parse_time_reads_uk_forms(
    text: str, start: str | None, end: str | None, crosses: bool, approx: bool
) -> None:
    assert parse_time(text) == TimeResult(
        start=None if start is None else hm(start),
        end=None if end is None else hm(end),
        crosses_midnight=crosses,
        approx=approx,
    )


# (text, context, expected start, expected end, the warning in full)
GUESSED_TIMES = [
    pytest.param(
        "10",
        "",
        "10:00",
        None,
        "No am/pm given for '10'; read as 10:00. Check whether it was morning or evening.",
        id="no-context-literal",
    ),
    pytest.param(
        "3",
        "",
        "03:00",
        None,
        "No am/pm given for '3'; read as 03:00. Check whether it was morning or evening.",
        id="small-hour-never-silent",
    ),
    pytest.param(
        "10",
        "They were banging at night again",
        "22:00",
        None,
        "No am/pm given for '10'; taken as 22:00 from 'at night'.",
        id="context-night",
    ),
    pytest.param(
        "7.30",
        "On my way to work in the morning",
        "07:30",
        None,
        "No am/pm given for '7.30'; taken as 07:30 from 'in the morning'.",
        id="context-morning",
    ),
    pytest.param(
        "3",
        "Came home this afternoon to find",
        "15:00",
        None,
        "No am/pm given for '3'; taken as 15:00 from 'this afternoon'.",
        id="context-afternoon",
    ),
    pytest.param(
        "12",
        "music all night",
        "00:00",
        None,
        "No am/pm given for '12'; taken as 00:00 from 'night'.",
        id="context-12-at-night-is-midnight",
    ),
    pytest.param(
        "11",
        "It was late",
        "23:00",
        None,
        "No am/pm given for '11'; taken as 23:00 from 'late'.",
        id="context-late",
    ),
    pytest.param(
        "10",
        "in the morning, and again at night",
        "10:00",
        None,
        "No am/pm given for '10'; read as 10:00. Check whether it was morning or evening.",
        id="conflicting-context-literal",
    ),
    pytest.param(
        "half ten",
        "",
        "10:30",
        None,
        "No am/pm given for 'half ten'; read as 10:30. Check whether it was morning or evening.",
        id="half-ten-is-10.30",
    ),
    pytest.param(
        "half past four",
        "",
        "04:30",
        None,
        "No am/pm given for 'half past four'; read as 04:30. "
        "Check whether it was morning or evening.",
        id="half-past-four",
    ),
    pytest.param(
        "quarter to ten",
        "evening",
        "21:45",
        None,
        "No am/pm given for 'quarter to ten'; taken as 21:45 from 'evening'.",
        id="quarter-to-ten",
    ),
    pytest.param(
        "quarter past six",
        "",
        "06:15",
        None,
        "No am/pm given for 'quarter past six'; read as 06:15. "
        "Check whether it was morning or evening.",
        id="quarter-past-six",
    ),
    pytest.param(
        "ten to eleven",
        "at night",
        "22:50",
        None,
        "No am/pm given for 'ten to eleven'; taken as 22:50 from 'at night'.",
        id="ten-to-eleven",
    ),
    pytest.param(
        "twenty-five to eleven",
        "at night",
        "22:35",
        None,
        "No am/pm given for 'twenty-five to eleven'; taken as 22:35 from 'at night'.",
        id="twenty-five-to-eleven",
    ),
    pytest.param(
        "from ten to eleven",
        "",
        "10:00",
        "11:00",
        "No am/pm given for 'ten'; read as 10:00. Check whether it was morning or evening.",
        id="from-ten-to-eleven-is-a-range",
    ),
    pytest.param(
        "12.30",
        "",
        "12:30",
        None,
        "No am/pm given for '12.30'; read as 12:30. Check whether it was morning or evening.",
        id="12.30-ambiguous",
    ),
]


@pytest.mark.parametrize(("text", "context", "start", "end", "warning"), GUESSED_TIMES)
def test_parse_time_names_every_am_pm_guess(
    text: str, context: str, start: str, end: str | None, warning: str
) -> None:
    result = parse_time(text, context=context)
    assert (result.start, result.end) == (hm(start), None if end is None else hm(end))
    assert result.warnings == (warning,)


@pytest.mark.parametrize(
    ("text", "start"),
    [
        pytest.param("10ish", "10:00", id="10ish"),
        pytest.param("just gone seven", "07:00", id="just-gone-seven"),
        pytest.param("about 11", "11:00", id="about-11-is-not-the-11th"),
    ],
)
def test_parse_time_approximate_without_am_pm(text: str, start: str) -> None:
    result = parse_time(text)
    assert (result.start, result.approx) == (hm(start), True)
    assert len(result.warnings) == 1 and "No am/pm given" in result.warnings[0]


@pytest.mark.parametrize(
    ("text", "warning"),
    [
        pytest.param(
            "sometime in the evening",
            "Could not read 'sometime in the evening' as a time. It only says 'in the evening'.",
            id="part-of-day-only",
        ),
        pytest.param("late", "Could not read 'late' as a time. It only says 'late'.", id="late"),
        pytest.param("various", "Could not read 'various' as a time.", id="various"),
        pytest.param("25:00", "'25:00' is not a valid time.", id="hour-25"),
        pytest.param("10.75", "'10.75' is not a valid time.", id="minute-75"),
    ],
)
def test_parse_time_unreadable(text: str, warning: str) -> None:
    assert parse_time(text) == TimeResult(None, warnings=(warning,))


def test_parse_time_several_times_uses_the_first_and_says_so() -> None:
    result = parse_time("10pm and again at 11pm")
    assert (result.start, result.end) == (hm("22:00"), None)
    assert result.warnings == (
        "'10pm and again at 11pm' gives more than one time; used the first ('10pm').",
    )


@pytest.mark.parametrize("text", ["", "N/A", "-", "unknown", "none"], ids=repr)
def test_parse_time_blank_cells_are_silent(text: str) -> None:
    assert parse_time(text) == TimeResult(None)


# ---------------------------------------------------------------------------------------------
# split_date_time and leading_date_time
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("09/01/2026 8.20pm", ("09/01/2026", "8.20pm"), id="numeric-time"),
        pytest.param("14/01/2026 about 11pm", ("14/01/2026", "about 11pm"), id="about"),
        pytest.param("Tues 3rd March at 10pm", ("Tues 3rd March", "10pm"), id="drops-at"),
        pytest.param("Tues 3rd March, 10pm,", ("Tues 3rd March", "10pm"), id="commas"),
        pytest.param("09/01/2026\n8.20pm", ("09/01/2026", "8.20pm"), id="line-break"),
        pytest.param("8.20pm 09/01/2026", ("09/01/2026", "8.20pm"), id="time-first"),
        pytest.param("3rd March", ("3rd March", None), id="date-only"),
        pytest.param("3rd March 26", ("3rd March 26", None), id="2-digit-year-not-a-time"),
        pytest.param("Monday 3rd March approx", ("Monday 3rd March approx", None), id="no-time"),
        pytest.param("10pm", (None, "10pm"), id="time-only"),
        pytest.param("about 11pm", (None, "about 11pm"), id="approx-time-only"),
        pytest.param("sometime in the evening", (None, "sometime in the evening"), id="part"),
        pytest.param("", (None, None), id="empty"),
    ],
)
def test_split_date_time(text: str, expected: tuple[str | None, str | None]) -> None:
    assert split_date_time(text) == expected


LEADING = [
    pytest.param(
        "Monday 3rd March about 10pm – Wayne was banging on the wall",
        ("Monday 3rd March", "about 10pm", "Wayne was banging on the wall"),
        id="en-dash",
    ),
    pytest.param(
        "Wednesday 5th March 8.15am – when I went out",
        ("Wednesday 5th March", "8.15am", "when I went out"),
        id="am",
    ),
    pytest.param(
        "Friday 7th March, 2.30pm – three taxis turned up",
        ("Friday 7th March", "2.30pm", "three taxis turned up"),
        id="comma-then-time-then-number-word",
    ),
    pytest.param(
        "Friday 7th March, 2.30pm – 3 taxis turned up",
        ("Friday 7th March", "2.30pm", "3 taxis turned up"),
        id="dash-then-number-is-not-a-range",
    ),
    pytest.param(
        "Sunday 9th March between 9 and 11pm – loud music",
        ("Sunday 9th March", "between 9 and 11pm", "loud music"),
        id="between",
    ),
    pytest.param(
        "Tuesday 11th March around half ten at night – Wayne put a post",
        ("Tuesday 11th March", "around half ten at night", "Wayne put a post"),
        id="half-ten-at-night",
    ),
    pytest.param("12/03/2026: he came round", ("12/03/2026", None, "he came round"), id="colon"),
    pytest.param(
        "On 3rd March at 9pm he shouted", ("3rd March", "9pm", "he shouted"), id="on-at-no-sep"
    ),
    pytest.param(
        "Thursday 6th March - He Knocked", ("Thursday 6th March", None, "He Knocked"), id="hyphen"
    ),
    pytest.param(
        "Saturday 8th March — the car again",
        ("Saturday 8th March", None, "the car again"),
        id="em-dash",
    ),
    pytest.param(
        "Monday 3rd March 3 taxis came",
        ("Monday 3rd March", None, "3 taxis came"),
        id="bare-number-after-date-is-text",
    ),
    pytest.param(
        "Monday 3rd March at one point he swore",
        ("Monday 3rd March", None, "at one point he swore"),
        id="at-one-point-is-text",
    ),
    pytest.param(
        "Yesterday at 10pm he came", ("Yesterday", "10pm", "he came"), id="relative-with-time"
    ),
    pytest.param("Monday – he shouted", ("Monday", None, "he shouted"), id="weekday-separator"),
    pytest.param("12/03: he came round", ("12/03", None, "he came round"), id="day-month-colon"),
]


@pytest.mark.parametrize(("text", "expected"), LEADING)
def test_leading_date_time_finds_the_opening_date(
    text: str, expected: tuple[str | None, str | None, str]
) -> None:
    assert leading_date_time(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Signed L. Okafor 14/03/2025",
        "Please return the sheets by 14th March",
        "3 taxis came",
        "Monday he came round again",
        "Sat down and cried",
        "The 3rd time he has done this",
        "May I add that he was drunk",
        "1/2 hour later he came back",
        "",
    ],
    ids=repr,
)
def test_leading_date_time_ignores_paragraphs_not_starting_with_a_date(text: str) -> None:
    assert leading_date_time(text) == (None, None, text)


# ---------------------------------------------------------------------------------------------
# Speed and the lazy dateparser import
# ---------------------------------------------------------------------------------------------

FAST_CELLS = ["07/02/26", "2026-04-03", "Tues 3rd March", "the 3rd", "yesterday", "N/A"]
FAST_TIMES = ["22.30", "10.30pm - 11.15pm", "between 9 and 11pm", "half ten at night"]


def test_fast_paths_never_import_dateparser() -> None:
    code = (
        "import datetime as dt, sys\n"
        "from parsers.dates import parse_date, parse_time, leading_date_time\n"
        f"for text in {FAST_CELLS!r}:\n"
        "    parse_date(text, base=dt.date(2026, 3, 20))\n"
        f"for text in {FAST_TIMES!r}:\n"
        "    parse_time(text)\n"
        "leading_date_time('Monday 3rd March about 10pm – he shouted')\n"
        "assert 'dateparser' not in sys.modules, 'dateparser imported on a fast path'\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, timeout=60)


# ---------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------

bases = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2035, 12, 31))
# Pieces residents write, so random strings reach the interesting paths, not only "no date".
DATE_WORDS = "3rd 31st the of March Feb Tues Th 2026 26 / . - 12 04 last Friday ago 2 weeks"
date_words = st.sampled_from([*DATE_WORDS.split(), "yesterday", "about", "?", "pm", "10.30"])
date_like = st.lists(date_words, max_size=6).map(" ".join)
TIME_WORDS = "10 10.30 pm am - to between and half ten quarter past midnight about ish until"
time_words = st.sampled_from([*TIME_WORDS.split(), "at night", "23:30", "0730", "12", "p.m.", "–"])
time_like = st.lists(time_words, max_size=6).map(" ".join)


@settings(max_examples=300, deadline=None)  # dateparser's first call takes ~0.3 s
@given(text=st.text(max_size=40) | date_like, base=bases, hint=st.none() | bases)
def test_parse_date_never_raises_and_never_passes_base(
    text: str, base: dt.date, hint: dt.date | None
) -> None:
    result = parse_date(text, base=base, hint=hint)
    assert result.value is None or result.value <= base
    assert all(isinstance(warning, str) and warning for warning in result.warnings)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=40) | time_like, context=st.text(max_size=40))
def test_parse_time_never_raises_and_flags_midnight_consistently(text: str, context: str) -> None:
    result = parse_time(text, context=context)
    both = result.start is not None and result.end is not None
    assert result.crosses_midnight == (both and result.end < result.start)  # type: ignore[operator]


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=60) | date_like | time_like)
def test_splitters_never_raise_and_keep_the_text(text: str) -> None:
    date_text, time_text, rest = leading_date_time(text)
    if date_text is None:
        assert (time_text, rest) == (None, text)
    else:
        assert date_text in text and rest in text
    for part in split_date_time(text):
        assert part is None or part.lower() in " ".join(text.lower().split()) or part in text


@pytest.mark.parametrize(
    ("text", "base", "expected", "warns"),
    [
        ("Monday 3rd March", dt.date(2026, 12, 1), dt.date(2025, 3, 3), True),
        ("Tues 3rd March", dt.date(2026, 12, 1), dt.date(2026, 3, 3), False),
        ("Sat 14th March", dt.date(2027, 1, 10), dt.date(2026, 3, 14), False),
        # Recent: the weekday is more likely a slip than the incident a year old.
        ("Monday 3rd March", dt.date(2026, 3, 20), dt.date(2026, 3, 3), True),
    ],
    ids=["stale-weekday-picks-year", "fits-this-year", "fits-last-year", "recent-slip"],
)
def test_weekday_picks_the_year_when_none_is_written(
    text: str, base: dt.date, expected: dt.date, warns: bool
) -> None:
    result = parse_date(text, base=base)
    assert result.value == expected
    assert bool(result.warnings) is warns
