"""Who is who: normalise the names and addresses residents write, and compare two names.

Pure functions, no database: `store.persons` applies them to the known persons of a case.

- `name_key` is the matching form of a written name: "Mr G. Hollis" -> "g hollis",
  "Gary Hollis (no. 16)" -> "gary hollis", "Gary from 16" -> "gary". It is stored as
  `PersonAlias.alias_key`, so changing it means re-keying the stored aliases.
- `house_number` and `street_key` pull the address evidence out of text.
- `compare(written, known_name, known_address)` says whether a written name is a known person,
  as a `NameMatch` whose `reason` names the rule that decided. Strong means link; weak means
  link as unconfirmed and show a reviewer; below `WEAK_SCORE` means no match.

A wrong answer hurts either way (a false link raises an alarm about the wrong person, a missed
one hides a victim at risk), so the rules are explicit and a surname or first name that is
clearly different vetoes a match however similar the rest of the spelling is.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz import fuzz

# Scores are 0-100, on rapidfuzz's scale.
STRONG_SCORE = 92.0  # at or above: the same person (a typo such as "Gary Holis")
WEAK_SCORE = 80.0  # at or above (and below STRONG_SCORE): maybe the same person, for review
# Below this, two words are different words rather than one word misspelt
# ("gary"/"grace" 44, "hollis"/"smith" 18; "mohammed"/"muhammad" 75 still counts as close).
SAME_WORD_SCORE = 75.0
# A first name may be a short form of another ("Chris"/"Christopher") from this many letters.
SHORT_FORM_LETTERS = 3

# The scores the rules give, so every score says how sure the rule is.
SAME_NAME = 100.0
SAME_FIRST_AND_SURNAME = 98.0
INITIAL_AND_SURNAME = 95.0
PART_NAME_AND_HOUSE = 93.0
PART_NAME_ONLY = 85.0
SHORT_FORM = 85.0
DOUBLE_BARRELLED = 85.0
REORDERED = 88.0
MIDDLE_NAME = 85.0
# A strong rule overruled by an address that disagrees, or a generation suffix on one side only.
DOWNGRADED = 88.0

_APOSTROPHES = str.maketrans({c: "'" for c in "\u2018\u2019\u201b\u02bc\u02bb`\u00b4\u2032"})
_DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2212"})
# Only titles that are never surnames ("Gary Lord" keeps Lord), dropped from the front.
_TITLES = frozenset("mr mrs ms miss mx dr master rev prof".split())
_SUFFIXES = {"jr": "jr", "jnr": "jr", "junior": "jr", "sr": "sr", "snr": "sr", "senior": "sr"}
_BRACKETED = re.compile(r"\([^)]*\)?|\[[^\]]*\]?")
# Where the name stops and the "where they live" starts: "Gary from 16", "Gary Hollis no. 16",
# "Gary next door", "Gary Hollis 16 Elm Road".
_NAME_TAIL = re.compile(
    r"(?:\b(?:no|nr|number|num|flat|house|apt|apartment|unit)\b\.?\s*)?#?\s*\d.*$"
    r"|\b(?:from|at|of|in|lives|living|next|opposite|upstairs|downstairs|across|over|above"
    r"|below|behind)\b.*$",
    re.IGNORECASE | re.DOTALL,
)
_ADDRESS_WORD = re.compile(
    r"\b(?:flat|house|road|rd|street|st|avenue|ave|close|court|lane|drive|way|crescent|grove"
    r"|gardens|terrace|mews|row|square|walk|estate|block)\b",
    re.IGNORECASE,
)
_NOT_LETTERS = re.compile(r"[^\w'\-]+|[\d_]+")

# UK postcodes, full ("LE13 0AB") or outward code only ("LE13"), so their digits are not
# taken for house numbers.
_POSTCODE = re.compile(r"\b[a-z]{1,2}\d[a-z\d]?\s*\d[a-z]{2}\b", re.IGNORECASE)
_OUTWARD_CODE = re.compile(r"\b[a-z]{1,2}\d[a-z\d]?\b", re.IGNORECASE)
# "no. 16", "No16", "number 16", "#16": the word goes, the number stays.
_NUMBER_WORD = re.compile(r"\b(?:number|num|no|nr)\.?\s*#?\s*(?=\d)|#\s*(?=\d)", re.IGNORECASE)
_FLAT_WORD = r"flat|apartment|apt|unit|room|maisonette"
_HOUSE_NUMBER = re.compile(
    rf"\b(?:(?P<flat>{_FLAT_WORD})\.?\s*)?(?P<number>\d{{1,4}}[a-z]?)\b",
    re.IGNORECASE,
)
_FLAT_PART = re.compile(
    rf"\b(?:{_FLAT_WORD})\.?\s*(?:no\.?\s*)?(?:\d+[a-z]?|[a-z])\b", re.IGNORECASE
)
_NUMBER_PART = re.compile(r"\b\d+[a-z]?(?:\s*-\s*\d+[a-z]?)?\b", re.IGNORECASE)
_STREET_TYPES = frozenset(
    """road street avenue close court lane drive way crescent grove gardens terrace place
    square mews row walk hill rise view green parade park vale yard approach chase croft gate
    boulevard circus wharf""".split()
)
_STREET_ABBREVIATIONS = {
    "rd": "road",
    "ave": "avenue",
    "av": "avenue",
    "cl": "close",
    "ct": "court",
    "crt": "court",
    "ln": "lane",
    "dr": "drive",
    "cres": "crescent",
    "gdns": "gardens",
    "gr": "grove",
    "tce": "terrace",
    "terr": "terrace",
    "pl": "place",
    "sq": "square",
    "pde": "parade",
}


def _fold(text: str) -> str:
    """Lower case without accents, with one kind of apostrophe and one kind of dash."""
    text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).translate(_DASHES)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _name_part(text: str) -> str:
    """The name in "Darren Cope, Flat 5, 27 Paget Court"; "Hollis, Gary" reads "Gary Hollis"."""
    head, comma, tail = text.partition(",")
    head, tail = head.strip(), tail.strip()
    if not comma or not tail or re.search(r"\d", tail) or _ADDRESS_WORD.search(tail):
        return head
    if len(head.split()) == 1 and len(tail.split()) <= 2:
        return f"{tail} {head}"
    return head


def name_key(name: str) -> str:
    """The matching form of a written name: lower case, no titles, no address, no punctuation.

    "Mr G. Hollis" -> "g hollis"; "Gary Hollis (no. 16)" -> "gary hollis"; "Gary from 16" ->
    "gary"; "GARY HOLLIS" -> "gary hollis"; "Hollis, Gary" -> "gary hollis". Apostrophes are
    dropped, curly or straight ("O’Neill", "O'Neill" and "ONeill" are all "oneill"); hyphens
    inside a name stay ("anne-marie"); accents go ("Zoë" -> "zoe"). Generation suffixes are
    spelt one way ("Jnr", "Junior" -> "jr"; "Snr", "Senior" -> "sr"). "" when nothing of a
    name is left.
    """
    text = _BRACKETED.sub(" ", _fold(name))
    text = _name_part(text)
    tail = _NAME_TAIL.search(text)
    if tail is not None:
        text = text[: tail.start()]
    text = _NOT_LETTERS.sub(" ", text.replace("'", ""))
    words = [w.strip("-") for w in text.split()]
    words = [_SUFFIXES.get(w, w) for w in words if w]
    while words and words[0] in _TITLES:
        words.pop(0)
    return " ".join(words)


def house_number(text: str | None) -> str | None:
    """The house or building number in an address or a written name, else None.

    "Gary from 16", "16 Elm Road", "(no. 16)" and "No16" -> "16"; "16A Elm Road" -> "16a";
    "Flat 3, 27 Paget Court" -> "27" (the building, which is what neighbours name). A flat
    number alone is returned with its word, "Flat 5" -> "flat 5", so that it can never equal
    a house number ("Gary from flat 5" is not evidence for 5 Elm Road). Postcode digits
    ("LE13 0AB") are not numbers here, nor are ordinals ("16th") or numbers in words.
    """
    if not text:
        return None
    folded = _NUMBER_WORD.sub(" ", _POSTCODE.sub(" ", _fold(text)))
    folded = _OUTWARD_CODE.sub(" ", folded)
    flat = None
    for match in _HOUSE_NUMBER.finditer(folded):
        if match.group("flat") is None:
            return match.group("number")
        flat = flat or f"flat {match.group('number')}"
    return flat


def _street_words(part: str) -> list[str]:
    part = _NUMBER_PART.sub(" ", _FLAT_PART.sub(" ", part))
    words = _NOT_LETTERS.sub(" ", part.replace("'", "")).split()
    words = [_STREET_ABBREVIATIONS.get(w, w) for w in words]
    if words and words[-1] == "st":  # "St" is Street at the end, Saint elsewhere
        words[-1] = "street"
    return words


def street_key(address: str | None) -> str | None:
    """The street of an address, normalised for comparison, else None.

    "16 Elm Road, Melton LE13 0AB" -> "elm road"; "Flat 3, 27 Paget Court, Loughborough" ->
    "paget court"; "16 Elm Rd" -> "elm road". The street is the first comma-separated part
    with a street word (road, close, court, ...), cut after its last street word; failing
    that, the first part that starts with a house number ("16 The Spinney" -> "the spinney").
    The town is not part of the key: two Elm Roads in one area share it.
    """
    if not address:
        return None
    folded = _OUTWARD_CODE.sub(" ", _POSTCODE.sub(" ", _fold(address)))
    parts = re.split(r"[,;\n]+", folded)
    numbered = None
    for part in parts:
        words = _street_words(part)
        types = [i for i, word in enumerate(words) if word in _STREET_TYPES]
        if types and types[-1] > 0:
            return " ".join(words[: types[-1] + 1])
        if numbered is None and words and _NUMBER_PART.match(part.strip()):
            numbered = " ".join(words)
    return numbered


@dataclass(frozen=True)
class NameMatch:
    """How sure we are that a written name is a known person, and which rule said so."""

    score: float
    strong: bool
    reason: str

    @property
    def matched(self) -> bool:
        """Strong or weak: link (weak ones as unconfirmed); False means a different person."""
        return self.strong or self.score >= WEAK_SCORE


def _strong(score: float, reason: str) -> NameMatch:
    return NameMatch(score=score, strong=True, reason=reason)


def _weak(score: float, reason: str) -> NameMatch:
    return NameMatch(score=min(score, STRONG_SCORE - 1), strong=False, reason=reason)


def _none(reason: str, score: float = 0.0) -> NameMatch:
    return NameMatch(score=min(score, WEAK_SCORE - 1), strong=False, reason=reason)


class _Evidence(enum.Enum):
    AGREES = "agrees"
    DIFFERS = "differs"
    UNKNOWN = "unknown"


def _address_evidence(
    written: str, written_address: str | None, known_address: str | None
) -> tuple[_Evidence, str]:
    """Whether the written house number and street agree with the known address."""
    written_number = house_number(written) or house_number(written_address)
    known_number = house_number(known_address)
    written_street, known_street = street_key(written_address), street_key(known_address)
    if written_street and known_street and written_street != known_street:
        return _Evidence.DIFFERS, f"street {written_street!r} is not {known_street!r}"
    if written_number and known_number:
        if written_number != known_number:
            return _Evidence.DIFFERS, f"house number {written_number} is not {known_number}"
        return _Evidence.AGREES, f"house number {written_number} matches"
    return _Evidence.UNKNOWN, "no house number to compare"


def _similar(a: str, b: str) -> float:
    return float(fuzz.ratio(a, b))


def _first_name_relation(a: str, b: str) -> str:
    """same / initial / short / close / different, for two first names."""
    if a == b:
        return "same"
    if (len(a) == 1 or len(b) == 1) and a[0] == b[0]:
        return "initial"
    shorter, longer = sorted((a, b), key=len)
    if len(shorter) >= SHORT_FORM_LETTERS and longer.startswith(shorter):
        return "short"
    if len(a) > 1 and len(b) > 1 and _similar(a, b) >= SAME_WORD_SCORE:
        return "close"
    return "different"


def _surname_relation(a: str, b: str) -> str:
    """same / part / close / different, for two surnames."""
    if a == b:
        return "same"
    if a in b.split("-") or b in a.split("-"):
        return "part"
    return "close" if _similar(a, b) >= SAME_WORD_SCORE else "different"


def _split_suffix(words: list[str]) -> tuple[list[str], str | None]:
    if len(words) > 1 and words[-1] in ("jr", "sr"):
        return words[:-1], words[-1]
    return words, None


def _spelling(written: list[str], known: list[str]) -> NameMatch:
    """The fuzzy rule, for names whose first names and surnames are each close."""
    if len(written[0]) == 1:  # "G Holis": compare as if the initial were spelt out
        written = [known[0], *written[1:]]
    elif len(known[0]) == 1:
        known = [written[0], *known[1:]]
    score = float(fuzz.token_sort_ratio(" ".join(written), " ".join(known)))
    if score >= STRONG_SCORE:
        return _strong(score, f"close spelling ({score:.0f})")
    if score >= WEAK_SCORE:
        return _weak(score, f"similar spelling ({score:.0f})")
    return _none(f"spelling too different ({score:.0f})", score)


def _goes_by_middle_name(written: list[str], known: list[str]) -> bool:
    """ "J Hollis" for Gary James Hollis: one side's first name is the other's middle name."""
    return any(
        _first_name_relation(a[0], middle) in ("same", "initial")
        for a, b in ((written, known), (known, written))
        for middle in b[1:-1]
    )


def _middle_names_differ(written: list[str], known: list[str]) -> bool:
    """Both give middle names and they are not the same names or initials."""
    pairs = zip(written[1:-1], known[1:-1], strict=False)
    return any(_first_name_relation(a, b) not in ("same", "initial") for a, b in pairs)


def _full_names(written: list[str], known: list[str]) -> NameMatch:
    """Both names have a first name and a surname (the last word)."""
    if written == known:
        return _strong(SAME_NAME, "same name")
    if sorted(written) == sorted(known):
        return _weak(REORDERED, "same words in a different order")
    surname = _surname_relation(written[-1], known[-1])
    first = _first_name_relation(written[0], known[0])
    if surname == "different":
        return _none(f"different surname ({written[-1]!r}, {known[-1]!r})")
    if first == "different":
        if surname == "same" and _goes_by_middle_name(written, known):
            return _weak(MIDDLE_NAME, "same surname, first name matches a middle name")
        return _none(f"different first name ({written[0]!r}, {known[0]!r})")
    if surname == "same" and first == "same":
        if _middle_names_differ(written, known):
            return _weak(MIDDLE_NAME, "same first name and surname, but middle names differ")
        return _strong(SAME_FIRST_AND_SURNAME, "same first name and surname")
    if surname == "same" and first == "initial":
        return _strong(INITIAL_AND_SURNAME, "same surname, initial matches the first name")
    if surname == "same" and first == "short":
        return _weak(SHORT_FORM, "same surname, one first name is a short form of the other")
    if surname == "part" and first in ("same", "initial"):
        return _weak(DOUBLE_BARRELLED, "surname is part of a double-barrelled surname")
    return _spelling(written, known)


def _part_name(
    single: str, full: list[str], evidence: tuple[_Evidence, str], *, written_is_full: bool
) -> NameMatch:
    """One side is a single word: a first name ("Gary") or a surname ("Mr Hollis")."""
    if len(single) == 1:
        return _none("only an initial")
    if single == full[0]:
        part = "first name"
    elif len(full) > 1 and single == full[-1]:
        part = "surname"
    elif len(full) == 1 and _similar(single, full[0]) >= STRONG_SCORE:
        return _weak(PART_NAME_ONLY, "single names with close spelling")
    else:
        return _none("single name does not match")
    only = f"{part} only" if not written_is_full else f"known by {part} only"
    state, detail = evidence
    if state is _Evidence.AGREES:
        return _strong(PART_NAME_AND_HOUSE, f"{only}, {detail}")
    if state is _Evidence.DIFFERS:
        return _none(f"{only}, but {detail}")
    return _weak(PART_NAME_ONLY, f"{only}, {detail}")


def _suffixes_clash(written: str | None, known: str | None) -> NameMatch | None:
    if written and known and written != known:
        return _none(f"different generation ({written}, {known})")
    return None


def compare(
    written: str,
    known_name: str,
    known_address: str | None = None,
    *,
    written_address: str | None = None,
) -> NameMatch:
    """Whether `written` (as on a sheet) names the person known as `known_name`.

    Rules, first that applies: the same name -> strong; same surname and a compatible first
    name or initial ("g hollis" / "gary hollis") -> strong; a first name or surname alone
    ("Gary from 16") -> strong only when its house number matches `known_address`, no match
    when it contradicts it, weak without evidence; a surname or first name that is a different
    word ("Gary Hollis" / "Gary Smith") -> no match; otherwise rapidfuzz `token_sort_ratio`:
    >= STRONG_SCORE strong (typos), >= WEAK_SCORE weak. A strong full-name match whose address
    disagrees (`written_address` or a number in `written` against `known_address`) is only
    weak, and so is one where only one side says "Jr"/"Sr"; different suffixes never match.
    """
    written_words, written_suffix = _split_suffix(name_key(written).split())
    known_words, known_suffix = _split_suffix(name_key(known_name).split())
    if not written_words or not known_words:
        return _none("no name to compare")
    clash = _suffixes_clash(written_suffix, known_suffix)
    if clash is not None:
        return clash
    evidence = _address_evidence(written, written_address, known_address)
    if len(written_words) == 1:
        match = _part_name(written_words[0], known_words, evidence, written_is_full=False)
    elif len(known_words) == 1:
        match = _part_name(known_words[0], written_words, evidence, written_is_full=True)
    else:
        match = _full_names(written_words, known_words)
        if match.strong and evidence[0] is _Evidence.DIFFERS:
            match = _weak(DOWNGRADED, f"{match.reason}, but {evidence[1]}")
    if match.strong and written_suffix != known_suffix:
        match = _weak(DOWNGRADED, f"{match.reason}, but only one name says jr/sr")
    return match
