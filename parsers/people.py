"""Who did it and who saw it, from what residents type in "Who" and "Witnesses" boxes.

Residents hedge ("Darren Cope (I think)", "Unknown but I believe it was Darren Cope"), add
addresses ("Darren Cope, Flat 5, 27 Paget Court") and companions ("Kyle Dunmore and two other
lads"). The parser keeps the names as written; matching "Mr G Hollis" to "Gary Hollis" needs the
store's known persons and lives there.
"""

from __future__ import annotations

import re

_NOBODY = re.compile(
    r"^\s*(none|no|nil|n/?a|nobody|no one|no-one|not known|unknown|don'?t know|not sure|-+|"
    r"no witnesses?|none seen|just me|only me|myself)\s*[.!]?\s*$",
    re.IGNORECASE,
)
_HEDGES = re.compile(r"\((?:[^)]*)\)|\b(?:i think|i believe|probably|possibly|maybe)\b", re.I)
_SPLIT = re.compile(r"\s*(?:[,;/&\n]|\band\b|\bwith\b|\bplus\b)\s*")
_TITLE = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?"
_WORD = r"(?:[A-Z][a-z'’-]+|[A-Z]\.?|[A-Z]{2,}(?![a-z]))"
_NAME = re.compile(rf"(?:{_TITLE}\s+)?{_WORD}(?:\s+{_WORD}){{0,3}}")
# Capitalised words that begin sentences or hedges, never names.
_NOT_NAMES = frozenset(
    """unknown i don't dont not sure none the he she they it was but think believe maybe
    probably possibly no yes a an my his her their our someone somebody man woman boy girl lad
    lads neighbour neighbours police pc pcso withheld number flat house road street avenue close
    court lane drive way crescent place grove gardens terrace view also and or from at on in of
    to told said""".split()
)
_ADDRESS_WORDS = re.compile(
    r"\b(flat|house|road|rd|street|st|avenue|ave|close|court|lane|drive|way|crescent|grove|"
    r"gardens|terrace|mews|row|square|walk|estate|block)\b",
    re.IGNORECASE,
)


def _is_name(candidate: str) -> bool:
    words = [w.strip(".").lower() for w in candidate.split()]
    significant = [w for w in words if w not in {"mr", "mrs", "ms", "miss", "mx", "dr"}]
    if not significant or all(w in _NOT_NAMES for w in significant):
        return False
    return not _ADDRESS_WORDS.search(candidate)


def _names_in(segment: str) -> list[str]:
    names = []
    for match in _NAME.finditer(segment):
        words = match.group(0).split()
        # Drop leading hedge words ("Unknown", "I") that the capital-letter rule picked up.
        while words and words[0].strip(".").lower() in _NOT_NAMES:
            words.pop(0)
        candidate = " ".join(words)
        if candidate and _is_name(candidate):
            names.append(candidate)
    return names


def names_in_who(text: str | None) -> list[str]:
    """Names of the people a "Who was involved" box accuses, as written, in order."""
    if not text or _NOBODY.match(text):
        return []
    cleaned = _HEDGES.sub(" ", text)
    names: list[str] = []
    for segment in _SPLIT.split(cleaned):
        for name in _names_in(segment):
            if name not in names:
                names.append(name)
    return names


def mentions_of(subject_name: str | None, text: str | None) -> list[str]:
    """Where a free-text entry names the sheet's alleged perpetrator: full name, else a part.

    Used when the sheet has no "Who" column: "Wayne was banging on the wall" names Wayne
    Tolley's first name, and the entry records "Wayne" as written.
    """
    if not subject_name or not text:
        return []
    parts = [p for p in re.split(r"\s+", subject_name.strip()) if len(p) > 1]
    candidates = [subject_name.strip(), *parts]
    for candidate in candidates:
        if re.search(rf"\b{re.escape(candidate)}\b", text):
            return [candidate]
    return []


def witnesses(text: str | None) -> list[str]:
    """Witnesses as written, one per line or semicolon; "None" means nobody."""
    if not text or _NOBODY.match(text):
        return []
    items = [item.strip(" .") for item in re.split(r"[\n;]+", text)]
    return [item for item in items if item and not _NOBODY.match(item)]


def split_name_address(text: str) -> tuple[str | None, str | None]:
    """ "Darren Cope, Flat 5" -> ("Darren Cope", "Flat 5"); a lone name has no address."""
    head, sep, tail = text.partition(",")
    head, tail = head.strip(), tail.strip()
    if sep and tail and (re.search(r"\d", tail) or _ADDRESS_WORDS.search(tail)):
        return head or None, tail
    return text.strip() or None, None
