"""Name and address normalisation, and the rules that decide whether two names are one person."""

from __future__ import annotations

import pytest

from store.names import STRONG_SCORE, WEAK_SCORE, NameMatch, compare, house_number, name_key
from store.names import street_key as street_key_of

ELM_16 = "16 Elm Road, Melton LE13 0AB"


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("Mr G. Hollis", "g hollis"),
        ("Gary Hollis (no. 16)", "gary hollis"),
        ("Gary from 16", "gary"),
        ("GARY HOLLIS", "gary hollis"),
        ("  Gary   Hollis ", "gary hollis"),
        ("Mr. G.Hollis", "g hollis"),
        ("O’Neill", "oneill"),
        ("O'Neill", "oneill"),
        ("ONeill", "oneill"),
        ("Mrs O‘Neill", "oneill"),
        ("Hollis, Gary", "gary hollis"),
        ("Darren Cope, Flat 5, 27 Paget Court", "darren cope"),
        ("Gary Hollis 16 Elm Road", "gary hollis"),
        ("Gary next door", "gary"),
        ("Gary Hollis Jnr", "gary hollis jr"),
        ("Gary Hollis Senior", "gary hollis sr"),
        ("Zoë Smith", "zoe smith"),
        ("Anne-Marie Smith", "anne-marie smith"),
        ("Anne–Marie Smith", "anne-marie smith"),
        ("Gary Lord", "gary lord"),
        ('Gary "Gaz" Hollis', "gary gaz hollis"),
        ("(unknown)", ""),
        ("Mr", ""),
        ("", ""),
    ],
    ids=repr,
)
def test_name_key(written: str, key: str) -> None:
    assert name_key(written) == key


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Gary from 16", "16"),
        ("16 Elm Road", "16"),
        ("(no. 16)", "16"),
        ("Gary Hollis (No16)", "16"),
        ("number 16", "16"),
        ("#16", "16"),
        ("16A Elm Road", "16a"),
        ("Flat 3, 27 Paget Court", "27"),
        ("Flat 5", "flat 5"),
        ("Gary from flat5", "flat 5"),
        ("Elm Road, Melton LE13 0AB", None),
        ("NR1 2AB", None),
        ("16th floor", None),
        ("number sixteen", None),
        ("Gary Hollis", None),
        ("", None),
        (None, None),
    ],
    ids=repr,
)
def test_house_number(text: str | None, number: str | None) -> None:
    assert house_number(text) == number


@pytest.mark.parametrize(
    ("address", "street"),
    [
        (ELM_16, "elm road"),
        ("Flat 3, 27 Paget Court, Loughborough", "paget court"),
        ("27 Paget Court Loughborough", "paget court"),
        ("16 Elm Rd", "elm road"),
        ("16 ELM ROAD", "elm road"),
        ("Flat A 27 Paget Court", "paget court"),
        ("16 Park Road", "park road"),
        ("12 St Mary’s St", "st marys street"),
        ("16 The Spinney, Melton", "the spinney"),
        ("Melton", None),
        ("Flat 5", None),
        ("", None),
        (None, None),
    ],
    ids=repr,
)
def test_street_key(address: str | None, street: str | None) -> None:
    assert street_key_of(address) == street


STRONG, WEAK, NONE = "strong", "weak", "none"


def _verdict(match: NameMatch) -> str:
    if match.strong:
        return STRONG
    return WEAK if match.matched else NONE


# (id, written, known name, known address, written address, verdict, words in the reason)
COMPARISONS: list[tuple[str, str, str, str | None, str | None, str, str]] = [
    ("same name", "Gary Hollis", "Gary Hollis", None, None, STRONG, "same name"),
    ("same name in capitals", "GARY HOLLIS", "Gary Hollis", None, None, STRONG, "same name"),
    ("title and initial", "Mr G Hollis", "Gary Hollis", None, None, STRONG, "initial"),
    ("initial with a dot", "Mr G. Hollis", "Gary Hollis", None, None, STRONG, "initial"),
    ("middle name given", "Gary James Hollis", "Gary Hollis", None, None, STRONG, "same first"),
    ("house number in brackets", "Gary Hollis (no. 16)", "Gary Hollis", ELM_16, None, STRONG, ""),
    ("typo in surname", "Gary Holis", "Gary Hollis", None, None, STRONG, "close spelling"),
    ("typo in first name", "Garry Hollis", "Gary Hollis", None, None, STRONG, "close spelling"),
    ("initial and typo", "G Holis", "Gary Hollis", None, None, STRONG, "close spelling"),
    ("first name and house", "Gary from 16", "Gary Hollis", ELM_16, None, STRONG, "16 matches"),
    (
        "first name, header address",
        "Gary",
        "Gary Hollis",
        ELM_16,
        "16 Elm Road",
        STRONG,
        "16 matches",
    ),
    ("surname and house", "Mr Hollis from 16", "Gary Hollis", ELM_16, None, STRONG, "surname"),
    ("first name alone", "Gary", "Gary Hollis", ELM_16, None, WEAK, "first name only"),
    ("first name, no address", "Gary", "Gary Hollis", None, None, WEAK, "first name only"),
    ("surname alone", "Mr Hollis", "Gary Hollis", None, None, WEAK, "surname only"),
    ("known by first name", "Gary Hollis", "Gary", None, None, WEAK, "known by first name"),
    ("two lone first names", "Gary", "Gary", None, None, WEAK, "first name only"),
    ("first name, other house", "Gary from 18", "Gary Hollis", ELM_16, None, NONE, "18 is not 16"),
    (
        "first name, other street",
        "Gary",
        "Gary Hollis",
        ELM_16,
        "16 Oak Road",
        NONE,
        "'oak road' is not 'elm road'",
    ),
    ("same name, other house", "Gary Hollis (no. 18)", "Gary Hollis", ELM_16, None, WEAK, "18"),
    ("words swapped", "Hollis Gary", "Gary Hollis", None, None, WEAK, "different order"),
    ("short first name", "Chris Hollis", "Christine Hollis", None, None, WEAK, "short form"),
    ("transliteration", "Mohammed Khan", "Muhammad Khan", None, None, WEAK, "similar spelling"),
    ("goes by middle name", "James Hollis", "Gary James Hollis", None, None, WEAK, "middle"),
    ("middle names differ", "Gary James Hollis", "Gary John Hollis", None, None, WEAK, "middle"),
    ("double-barrelled", "Gary Hollis", "Gary Hollis-Smith", None, None, WEAK, "double-barrelled"),
    ("only one says junior", "Gary Hollis Jnr", "Gary Hollis", None, None, WEAK, "jr/sr"),
    ("same first, other surname", "Gary Hollis", "Gary Smith", None, None, NONE, "surname"),
    ("other first, same surname", "Grace Hollis", "Gary Hollis", None, None, NONE, "first name"),
    ("other initial", "K Hollis", "Gary Hollis", None, None, NONE, "first name"),
    ("junior and senior", "Gary Hollis Jnr", "Gary Hollis Snr", None, None, NONE, "generation"),
    ("someone else", "Kyle Dunmore", "Gary Hollis", None, None, NONE, "surname"),
    ("initial alone", "G", "Gary Hollis", None, None, NONE, "initial"),
    ("other first name alone", "Kyle", "Gary Hollis", None, None, NONE, "does not match"),
    ("no name written", "(unknown)", "Gary Hollis", None, None, NONE, "no name"),
]


def _match(case: tuple[str, str, str, str | None, str | None, str, str]) -> NameMatch:
    _, written, known, known_address, written_address, _, _ = case
    return compare(written, known, known_address, written_address=written_address)


@pytest.mark.parametrize("case", COMPARISONS, ids=[case[0] for case in COMPARISONS])
def test_compare(case: tuple[str, str, str, str | None, str | None, str, str]) -> None:
    *_, verdict, reason = case
    match = _match(case)
    assert _verdict(match) == verdict, match
    assert reason in match.reason


@pytest.mark.parametrize("case", COMPARISONS, ids=[case[0] for case in COMPARISONS])
def test_score_agrees_with_the_verdict(
    case: tuple[str, str, str, str | None, str | None, str, str],
) -> None:
    """Callers may rank by score: strong >= STRONG_SCORE > weak >= WEAK_SCORE > no match."""
    verdict, match = case[5], _match(case)
    if verdict == STRONG:
        assert match.score >= STRONG_SCORE
    elif verdict == WEAK:
        assert WEAK_SCORE <= match.score < STRONG_SCORE
    else:
        assert match.score < WEAK_SCORE


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Gary Hollis", "Mr G. Hollis"),
        ("Gary Holis", "Gary Hollis"),
        ("Gary Smith", "Gary Hollis"),
        ("Gary", "Gary Hollis"),
        ("Chris Hollis", "Christine Hollis"),
    ],
    ids=repr,
)
def test_the_verdict_does_not_depend_on_which_name_is_known(one: str, other: str) -> None:
    assert _verdict(compare(one, other)) == _verdict(compare(other, one))
