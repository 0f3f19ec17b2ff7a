"""Explainable incident categories and urgency for diary-sheet descriptions.

`categorise(description, location=...)` tags one incident with the organisation's harassment
taxonomy (the parse contract's `categories` and `urgent`). It is pure: text in, a frozen
`Categorisation` out; no I/O, no settings.

Every decision comes from a small named `Rule` (one per category, plus two that only raise
urgency), each a list of whole-word regex terms: together, one alternation. A hit only counts
when none of the rule's `Blocker`s fires in the few words before it. That keeps out "no damage",
"did not threaten", "nobody was hurt" (negation), "said he would smash my windows" (a threat,
not damage yet), "I rang my sister" (the resident's own action) and "the police came round"
(not a harassing visit). Each category that fires records the phrase that made it fire.

Rules read normalised, lower-cased text: curly quotes and apostrophes become straight, dashes
become "-" and runs of whitespace one space, so a pattern spells any gap as a single space.

Speed: a term is only tried where the text could hold a hit of it (see "where a term can start"),
and is compiled the first time that happens, so importing the module compiles no rule.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property, lru_cache, reduce
from itertools import accumulate, compress
from operator import itemgetter, or_
from typing import NamedTuple

CATEGORIES: tuple[str, ...] = (
    "phone_calls",
    "letters",
    "emails",
    "messages",
    "visits",
    "stalking",
    "verbal_abuse",
    "online_abuse",
    "threats",
    "property_damage",
    "violence",
    "hate",
    "unwanted_deliveries",
    "noise",
    "other",
)
OTHER = "other"
_RANK = {name: rank for rank, name in enumerate(CATEGORIES)}
# The `name` of a rule that only raises urgency and adds no category.
URGENT_ONLY = "urgent"

# How far back (characters) a blocker looks before a hit: more than its longest word window.
_LOOKBACK_CHARS = 120
# Longest phrase quoted in a reason, so a reason stays one readable line.
_MAX_QUOTE_CHARS = 80


def _alt(*parts: str) -> str:
    """A non-capturing group of `|`-separated alternatives (parts are concatenated)."""
    return "(?:" + "".join(parts) + ")"


# --- shared vocabulary ------------------------------------------------------------------------

_PERSON_NOUN = _alt(
    "sons?|daughters?|child|children|kids?|boys?|girls?|baby|partner|husband|wife|boyfriend"
    "|girlfriend|fiancee?|mum|mother|dad|father|brother|sister|nan|nana|grandma|grandad|grandson"
    "|granddaughter|grandchildren|grandkids|family|friends?|neighbour|carer|visitor|lodger|niece"
    "|nephew|auntie|aunt|uncle|cousin|stepson|stepdaughter"
)
# Things that get damaged; kept apart from people so "kicked my door" is damage, not violence.
_PROPERTY = _alt(
    "front doors?|back doors?|doors?|door frame|gates?|fences?|fence panels?|panels?|cars?|vans?"
    "|vehicles?|motorbikes?|bikes?|mobility scooter|scooter|wheelchair|windows?|windscreen"
    "|wing mirrors?|mirrors?|tyres?|tires?|bonnet|boot|roof|paintwork|walls?|sheds?|garage"
    "|greenhouse|plants?|plant pots?|pots|flowers|hanging baskets?|bins?|wheelie bins?"
    "|letter ?box|door ?bell|ring doorbell|cameras?|cctv|security lights?|lights?|hedges?|trees?"
    "|lawn|washing line|washing|locks?|property|house|home|flat|caravan|post ?box|ramp|railings"
    "|decking|patio|ornaments|gnomes?|satellite dish|aerial|conservatory|porch|garden"
)
# Words allowed between a verb and the property it damaged: "smashed both my wing mirrors".
_DET = (
    r"(?:(?:my|our|the|a|an|both|all|two|three|four|several|some|his|her|their|\w+'s|front|back"
    r"|side|rear|new|bedroom|kitchen|lounge|bathroom|upstairs|downstairs|garden|car|van"
    r"|passenger|driver's|left|right|wooden|glass|fence|brand new|living room|of|one|each|every)"
    r" ){0,4}"
)
_BODY = _alt(
    "face|head|arms?|legs?|chest|stomach|belly|neck|throat|body|hands?|shoulders?|ribs|nose"
    "|mouth|eyes?|jaw|hair|cheek|lips?|ears?|knees?|shin|wrist",
    # "my back door" and "my side gate" are property, not a body.
    r"|back(?! (?:door|gate|garden|yard|window|wall|fence|bedroom|step))",
    r"|side(?! (?:gate|door|window|passage|of|return))",
)
# Someone on the receiving end. "her" is a person unless one of her things follows, so "hit her
# car" is not violence. (A short list: the full _PROPERTY here would triple compile time.)
# Feet are left out on purpose: see VIOLENCE.
_HER_THINGS = _alt(
    "cars?|vans?|doors?|windows?|windscreen|house|flat|home|bikes?|tyres?|garden|fence|gate|bins?"
    "|phone|bag|shed|wall|plants|property"
)
_VICTIM = _alt(
    "me|us|him|them|myself",
    rf"|her(?! (?:\w+ )?{_HER_THINGS}(?!\w))",
    rf"|my (?:\w+ )?{_PERSON_NOUN}",
    rf"|(?:my|his|her|their|our) {_BODY}",
)
_INSULT = _alt(
    r"slags?|sluts?|whores?|bitch(?:es)?|cows?|cunts?|c\*+t|twats?|pricks?|bastards?|wankers?"
    r"|grass(?:es)?|snitch(?:es)?|nonces?|paedos?|pedos?|paedophiles?|perverts?|pervs?|scum"
    r"|scumbags?|scroungers?|junkies?|junkie|smackheads?|crackheads?|druggies?|psychos?|nutters?"
    r"|freaks?|losers?|idiots?|morons?|dickheads?|knobheads?|arseholes?|assholes?|tramps?"
    r"|skanks?|slappers?|liars?|thie(?:f|ves)|fatty|witch|hags?|pigs?|rats?|vermin|trash"
    r"|scrubbers?|tarts?|weirdos?"
)
_SLUR = _alt(
    r"pakis?|niggers?|niggas?|n-? ?word|p-? ?word|wogs?|coons?|chinks?|gooks?|spics?|kikes?"
    r"|yids?|ragheads?|towelheads?|gyppos?|gypos?|gippos?|pikeys?|darkies|darky|golliwogs?"
    r"|jungle bunny|faggots?|fags|poofs?|poofters?|batty ?(?:boy|man)|bum ?boys?|dykes?|lezzas?"
    r"|lesbos?|trann(?:y|ie|ies)|shemales?|she-males?|he-she|spastics?|spaz|spazzes|spackers?"
    r"|retards?|retarded|cripples?|mongs?|mongol|mongoloid|window licker|terrorists?|jihadis?"
    r"|muzzies|muzzy|kafirs?|christ killers?|taigs?|fenians?|polacks?|sand n\w+|foreigners?"
    r"|gay boys?"
)
# Slurs are name calling as well as hate.
_NAME = _alt(_INSULT, "|", _SLUR)
_NATION = _alt(
    "polish|romanian|lithuanian|latvian|bulgarian|albanian|slovak|czech|russian|ukrainian"
    "|kurdish|turkish|eastern european|english|irish|scottish|scots|welsh|pakistani|indian"
    "|bangladeshi|bengali|asian|chinese|african|somali|nigerian|ghanaian|jamaican|caribbean|arab"
    "|iraqi|iranian|afghan|syrian|eritrean|black|brown|foreign|immigrant|migrant|asylum seeker"
    "|refugee|gypsy|traveller|romany|muslim|jewish|jew|hindu|sikh|catholic|protestant|gay"
    "|lesbian|queer|trans|disabled"
)
# Adjectives inside an insult aimed at someone: "you stupid fat cow", "you Polish scum".
_ABUSIVE_ADJ = _alt(
    r"fucking|fuckin|fkn|f\*+ing|effing|stupid|fat|dirty|ugly|thick|old|silly|little|lying"
    r"|thieving|bloody|disgusting|horrible|sad|pathetic|nasty|smelly|mental|grassing|filthy"
    rf"|useless|{_NATION}"
)
# Where the resident lives, works or is: stalking is being followed to, or waited for at, these.
_PLACE = _alt(
    "house|home|flat|door|front door|window|gate|work|workplace|office|school|kids'? school|car"
    "|drive|driveway|block|building|garden|address|property"
)
_WEAPON_OBJECT = _alt(
    "knife|knives|machete|blade|gun|pistol|shotgun|rifle|crossbow|sword|bat|baseball bat|hammer"
    "|bottle|brick|crowbar|bar|iron bar|screwdriver|axe|stick|pole|plank|spade|shovel|golf club"
    "|club|chain|weapon|taser|wrench|spanner|scaffold pole"
)

# --- blockers ---------------------------------------------------------------------------------

# Where a look-back stops. A clause ends at punctuation or a conjunction, so in "I wasn't in,
# he smashed my window" the negation does not reach the damage. A sentence ends only at a full
# stop, a quote or "then": the future/threat check needs that longer reach ("said he would come
# round and smash my windows").
# A boundary is punctuation, or one of its words after a space (normalised text has a space
# before every word but the first). `_boundary` builds its regex, and records its parts so that
# `_Text` can read the same cuts off the words it has already cut the text into: the regex
# sources `_boundary` made, and which of them each punctuation mark and each word ends.
_BOUNDARIES: set[str] = set()
_BOUNDARY_MARKS: dict[str, list[str]] = {}
_BOUNDARY_WORDS: dict[str, list[str]] = {}


def _boundary(marks: str, words: str) -> re.Pattern[str]:
    """A regex matching one of the characters `marks`, or a space and one of `words`."""
    pattern = re.compile(f"[{re.escape(marks)}]| (?:{words})\\b")
    _BOUNDARIES.add(pattern.pattern)
    for mark in marks:
        _BOUNDARY_MARKS.setdefault(mark, []).append(pattern.pattern)
    for word in words.split("|"):
        _BOUNDARY_WORDS.setdefault(word, []).append(pattern.pattern)
    return pattern


_CLAUSE_END = _boundary(
    """.!?;:,"()[]""",
    "and|but|then|so|because|when|while|whilst|until|after|as|though|although|or|however",
)
_SENTENCE_END = _boundary(""".!?;"()[]""", "then")
# Who is acting changes at a subordinate clause but not at "and": in "the police were called
# after he rang me" he rang; in "I rang 101 and they said they would call me back" they did.
_AGENT_END = _boundary(
    """.!?;:,"()[]""",
    "but|then|so|because|when|while|whilst|until|after|before|as|though|although|or|however",
)


@dataclass(frozen=True)
class Blocker:
    """Words shortly before a hit that mean it does not count ("no damage")."""

    name: str
    pattern: re.Pattern[str]
    words: int  # how many words before the hit are looked at
    boundary: re.Pattern[str]  # the look-back never crosses one of these

    def blocks(self, text: _Text, start: int) -> bool:
        return self.pattern.search(text.before(start, self.words, self.boundary)) is not None


class _Text:
    """Normalised, lower-cased text being categorised.

    It cuts itself into words once, for the start keys (see "where a term can start" below) and
    for the boundaries; `fast=False` leaves that out and finds boundaries by regex, as the
    index-free reference does. Each kind of boundary is found only once.
    """

    __slots__ = ("_cuts", "_lengths", "pieces", "text")

    def __init__(self, text: str, *, fast: bool = True) -> None:
        self.text = text
        self._cuts: dict[str, list[int]] = {}  # boundary regex source -> where its matches end
        # The text split at every non-word character, digits folded to "0": the runs of word
        # characters, with "" between two non-word characters in a row.
        self.pieces: list[str] | None = None
        self._lengths: list[int] = []  # the length of all the pieces before each one
        if not fast:
            return
        if text.isascii():  # the same split, faster: non-word characters become spaces
            self.pieces = text.translate(_ASCII_PIECES).split(" ")
        else:
            self.pieces = _NON_WORD.split(_DIGIT.sub("0", text))
        self._lengths = list(accumulate(map(len, self.pieces), initial=0))

    def start(self, piece: int) -> int:
        """Where the `piece`th piece starts (a non-word character separates each from the next)."""
        return self._lengths[piece] + piece

    def before(self, start: int, words: int, boundary: re.Pattern[str]) -> str:
        """Up to `words` words before `start`, not reaching back past a `boundary`."""
        cuts = self._cuts.get(boundary.pattern)
        if cuts is None:
            cuts = self._find_cuts(boundary)
        index = bisect.bisect_right(cuts, start)
        begin = max(cuts[index - 1] if index else 0, start - _LOOKBACK_CHARS)
        return " ".join(self.text[begin:start].rsplit(None, words)[-words:])

    def _find_cuts(self, boundary: re.Pattern[str]) -> list[int]:
        """Where each match of `boundary` ends, in order.

        The boundaries `_boundary` made are all read off the pieces at once: where each of their
        marks is, and where one of their words follows a space.
        """
        pieces, text = self.pieces, self.text
        if pieces is None or boundary.pattern not in _BOUNDARIES:
            cuts = self._cuts[boundary.pattern] = [end.end() for end in boundary.finditer(text)]
            return cuts
        found: dict[str, list[int]] = {source: [] for source in _BOUNDARIES}
        for mark, sources in _BOUNDARY_MARKS.items():
            if mark in text:
                for at in _find_all(text, mark):
                    for source in sources:
                        found[source].append(at + 1)
        for piece in compress(range(len(pieces)), map(_BOUNDARY_WORDS.__contains__, pieces)):
            start = self.start(piece)
            if start and text[start - 1] == " ":
                for source in _BOUNDARY_WORDS[pieces[piece]]:
                    found[source].append(start + len(pieces[piece]))
        for cuts in found.values():
            cuts.sort()
        self._cuts.update(found)
        return found[boundary.pattern]

    def run_start(self, end: int) -> int:
        """Where the run of word characters that ends just before `end` starts."""
        text = self.text
        start = end
        while start and (text[start - 1].isalnum() or text[start - 1] == "_"):  # what \w matches
            start -= 1
        return start


def _find_all(text: str, part: str) -> Iterator[int]:
    """Where `part` starts in `text`, in order."""
    at = text.find(part)
    while at >= 0:
        yield at
        at = text.find(part, at + 1)


NEGATION = Blocker(
    "negation",
    re.compile(
        r"\b(?:no(?!\.? ?\d)|not|never|nobody|noone|none|nothing|neither|nor|cannot|\w+n't"
        r"|(?:did|was|were|is|are|has|have|had|could|would|should|does|do|ca|wo|ai)nt)\b"
        # "would not stop banging", "didn't stop", "not only": these negate nothing after them.
        r"(?! (?:stop|stopping|leave|let up|go away|only|just|until|care))"
    ),
    words=3,
    boundary=_CLAUSE_END,
)
# "said he would smash my windows", "threatened to hit me": threats, not damage or violence.
# A bare "would" is often the habitual past ("he would wait for me outside work"), so it only
# counts after a verb of saying or fearing.
IRREALIS = Blocker(
    "future or threatened",
    re.compile(
        r"\b(?:said|says|saying|told|telling|warned|warning|promised|vowed|swore|scared|afraid"
        r"|worried|frightened|fear\w*)\b.*\bwould\b"
        r"|\b(?:will|'ll|ill|wo?n't|going to|gonna|threat\w*|wants? to|wanted to|might)\b"
    ),
    words=6,
    boundary=_SENTENCE_END,
)
# "I rang my sister", "we were waiting at the bus stop": the resident did it.
SELF = Blocker(
    "the resident's own action",
    re.compile(
        r"(?:^|\s)(?:i|we|i'm|im|i've|ive|we're|we've)(?: (?:have|had|was|were|am|are|then|also"
        r"|later|just|already|immediately|been))*$"
    ),
    words=3,
    boundary=_CLAUSE_END,
)
# "I sent an email to PC Patel", "I then texted my sister".
SELF_REPORT = Blocker(
    "the resident reporting",
    re.compile(
        r"\b(?:i|we)(?:'ve|'d)?(?: (?:have|had|then|also|later|just|already|immediately))* "
        r"(?:sent|send|wrote|forwarded|reported|rang|phoned|called|texted|messaged|contacted)\b"
    ),
    words=3,
    boundary=_CLAUSE_END,
)
# "the police came round", "PC Shaw rang me back": contact from the authorities.
AUTHORITY = Blocker(
    "contact from the authorities",
    re.compile(
        r"\b(?:police|officers?|pc|pcso|council|housing|landlord|solicitor|101|999|social worker"
        r"|asb|caseworker|case officer|victim support|paramedics?|ambulance|gp|doctor|school)\b"
    ),
    words=6,
    boundary=_AGENT_END,
)
# "the taxi was waiting outside" is an unwanted delivery, not stalking or a visit.
HIRED = Blocker(
    "a taxi or delivery",
    re.compile(
        r"\b(?:taxis?|cabs?|drivers?|pizzas?|delivery|deliveries|couriers?|postman|undertakers?"
        r"|funeral directors?|locksmiths?|plumbers?|estate agents?)\b"
    ),
    words=6,
    boundary=_AGENT_END,
)
# "People commented calling me names" is online abuse, not verbal abuse (sample 12): name
# calling after a post or comment earlier in the same sentence stays online.
ONLINE_CONTEXT = Blocker(
    "said online",
    re.compile(
        r"\b(?:facebook|fb|instagram|insta|tiktok|tik tok|snapchat|twitter|tweet\w*|youtube"
        r"|online|internet|social media|comment\w*|(?<!lamp )post(?:ed|s|ing)?|page|profile"
        r"|group chat|whatsapp group|story|status)\b"
    ),
    words=40,
    boundary=_SENTENCE_END,
)
# "I reported it online" is not online abuse.
REPORTED = Blocker(
    "reported",
    re.compile(r"\b(?:report\w*|police|101|crime)\b"),
    words=3,
    boundary=_CLAUSE_END,
)


# --- where a term can start -------------------------------------------------------------------

# Scanning every rule's whole alternation over every description is slow, and almost all of it
# is wasted: a text holds a few dozen words, and each term can only start at a handful of them.
#
# Every hit starts where a word starts (the patterns open with (?<!\w)), so it starts with the
# first four characters of that word, the whole word when it is shorter ("me", "tv"), or with a
# punctuation mark ('"go home'): the hit's start key. `_StartKeys` reads off each term's source,
# once, at import, the start keys its hits can have (`_Starts.keys`); and, when the term's first
# word is always followed by one non-word character and another word, that second word's start
# keys (`next_word`: "kicked" must be followed by "my", "the", "door", ...); and the start keys of
# words the term must go on to, anywhere after a space (`later`). Digits fold to "0" on both
# sides, so `\d+ calls` starts with "0", "00", "000" or "0000". A term may also start with a run
# of any word characters and then punctuation (`\w+'ll`): the run in front of that punctuation
# is then a candidate. Any other opening (a bare `\w+`, `.`, a negated class) cannot be read and
# is refused at import, so such a term fails loudly instead of being skipped.
#
# A text is cut into words once (`_Text.pieces`); `_Index.candidates` looks each word up and
# keeps the terms whose next word and later words the text has. Each such term is then matched,
# anchored, where the word starts. Trying those positions left to right, the terms at one
# position in rule order, and skipping whatever a hit covered, finds exactly the hits
# `Rule.pattern.finditer` finds: every filter only drops a term where it cannot match. The tests
# check the start keys against Python's own regex parser, and `categorise` against the plain
# scan (`_categorise_unfiltered`) on every table row and on generated text.

_KEY_LENGTH = 4
_DIGIT = re.compile(r"\d")
_WORD_CHAR = re.compile(r"\w")
_NON_WORD = re.compile(r"\W")
_key_of_piece = itemgetter(slice(_KEY_LENGTH))
# For ASCII text (nearly all of it) str.translate does the cutting: every non-word character
# becomes a space, digits fold. (Every code is in the table: str.translate pays for each
# character a table lacks.)
_ASCII_PIECES = {
    code: "0" if _DIGIT.match(char) else char if _WORD_CHAR.match(char) else " "
    for code, char in ((code, chr(code)) for code in range(128))
}
# Open prefixes that are not real ones (a real one is word characters): "a run of any word
# characters", and "still in the first word" (while looking for the second word's keys).
_RUN = r"\w+"
_FIRST = "(first word)"
_UNREAD = frozenset(("", _RUN, _FIRST))
# Structure of a regex source: escapes and classes are skipped whole, so what is left of "(", ")"
# and "|" is syntax.
_STRUCTURE = re.compile(r"\\.|\[\^?\]?(?:\\.|[^\]\\])*\]|[()|]", re.DOTALL)
_QUANTIFIER = re.compile(r"([?*+])|\{(\d*)(,?)(\d*)\}")
_LOOKAROUNDS = ("(?=", "(?!", "(?<=", "(?<!")
_WORD_ENDS = r"(?!\w)"
_MAX_OPEN = 4096


# What a group (by its source) reads from a set of open prefixes: (open prefixes after it, keys
# and runs_before it finishes); and whether it always ends on a non-word character.
_GROUP_WALKS: dict[tuple[str, frozenset[str]], tuple[frozenset[str], ...]] = {}
_GROUP_BREAKS: dict[tuple[str, bool], bool] = {}


class _UnindexableTermError(ValueError):
    """A rule term whose possible start keys cannot be listed (see "where a term can start")."""


@dataclass(frozen=True)
class _Starts:
    """Where a term's hits can start, and what else the text must then hold.

    A hit starts at one of `keys`, or on the run of word characters just before one of
    `runs_before`. `next_word` and `later` are worked out when first needed (the index needs
    only the keys to be built).
    """

    term: str
    keys: frozenset[str]
    runs_before: frozenset[str]

    @cached_property
    def next_word(self) -> frozenset[str] | None:
        """When every hit's first word is followed by one non-word character and a word: the
        start keys of that second word ("kicked" must be followed by "my", "the", "door"...)."""
        return _StartKeys(self.term).next_word()

    @cached_property
    def later(self) -> tuple[tuple[frozenset[str], ...], ...] | None:
        """For each top-level alternative, the key sets of the words it must go on to, each
        after a non-word character: a text can only hold a hit if, for some alternative, it
        holds a key from each of its sets. None: nothing is known."""
        return _StartKeys(self.term).later_words()


class _Atom(NamedTuple):
    """One step of a term's source."""

    kind: str  # "chars", "group" (with its alternatives' spans), "word end" (?!\w) or "nothing"
    chars: frozenset[str] = frozenset()
    any_word: bool = False  # besides `chars`, any word character
    spans: tuple[tuple[int, int], ...] = ()
    source: str = ""  # a group's own source, which alone decides what it reads


_NOTHING = _Atom("nothing")
_SPACE = _Atom("chars", frozenset(" "))


def _start_keys(term: str) -> _Starts:
    """Every start key a hit of `(?<!\\w)(?:term)(?!\\w)` can have."""
    return _StartKeys(term).derive()


class _StartKeys:
    """Walks a term's source from its start until every path has spelt out its start key.

    The state is the set of open prefixes: word characters read so far on some path, fewer than
    `_KEY_LENGTH` of them. A prefix closes into a key at four characters, or when a non-word
    character or a word end follows. Only the opening of a term is read; groups are skipped using
    `_STRUCTURE`, so the long vocabulary further in costs almost nothing.
    """

    def __init__(self, term: str) -> None:
        self.term = term
        self.keys: set[str] = set()
        self.runs_before: set[str] = set()
        self.closes: dict[int, int] = {}
        self.bars: dict[int, list[int]] = {-1: []}
        self.class_ends: dict[int, int] = {}
        stack = [-1]
        for token in _STRUCTURE.finditer(term):
            char, at = token.group()[0], token.start()
            if char == "(":
                stack.append(at)
                self.bars[at] = []
            elif char == ")" and len(stack) > 1:
                self.closes[stack.pop()] = at
            elif char == "|":
                self.bars[stack[-1]].append(at)
            elif char == "[":
                self.class_ends[at] = token.end()
            elif char == ")":
                raise self.error("unbalanced ')'")
        if len(stack) > 1:
            raise self.error("unbalanced '('")

    def error(self, why: str) -> _UnindexableTermError:
        return _UnindexableTermError(f"cannot list where {self.term[:60]!r} starts: {why}")

    def derive(self) -> _Starts:
        keys, runs_before = self.keys_from(self.group(-1, 0, len(self.term)))
        return _Starts(self.term, keys, runs_before)

    def keys_from(self, atom: _Atom) -> tuple[frozenset[str], frozenset[str]]:
        """(keys, runs_before) of the hits of `atom` that run on to the end of the term."""
        self.keys, self.runs_before = set(), set()
        for prefix in self.walk(atom, {""}):
            if prefix in ("", _RUN):
                raise self.error("it can match no word, or any word")
            self.keys.add(prefix)
        return frozenset(self.keys), frozenset(self.runs_before)

    def later_words(self) -> tuple[tuple[frozenset[str], ...], ...] | None:
        """For each top-level alternative, the key sets of the words it must go on to.

        A word must follow wherever every way of reaching that point in the alternative has just
        read a non-word character (such as the space in "kicked my door"); its key set is the
        start keys of the rest of the alternative, when they can be listed.
        """
        options = []
        for start, end in self.group(-1, 0, len(self.term)).spans:
            words = []
            at, after_break = start, False
            try:
                while at < end:
                    atom, after = self.atom(at)
                    low, high, after = self.quantifier(after)
                    after_break = self.breaks_after(atom, low, high, after_break)
                    if after_break and after < end:
                        try:
                            keys, runs_before = self.keys_from(self.group(-1, after, end))
                            words.append(keys | runs_before)
                        except _UnindexableTermError:
                            pass
                    at = after
            except _UnindexableTermError:
                pass  # the words found so far still hold; nothing further is known
            if not words:
                return None
            options.append(tuple(words))
        return tuple(options)

    def next_word(self) -> frozenset[str] | None:
        """The start keys of a hit's second word, when every hit's first word is followed by
        exactly one non-word character and then a word (else None)."""
        self.keys, self.runs_before = set(), set()
        try:
            rest = self.walk(self.group(-1, 0, len(self.term)), {_FIRST})
        except _UnindexableTermError:
            return None
        keys = self.keys | rest
        if rest & {_FIRST, "", _RUN} or self.runs_before or not all(map(_WORD_CHAR.match, keys)):
            return None
        return frozenset(keys)

    def breaks_after(self, atom: _Atom, low: int, high: int | None, before: bool) -> bool:
        """Whether every way through `atom` repeated `low` to `high` times ends on a non-word
        character (`before`: whether every way to it did)."""
        once = self.breaks(atom, before)
        if high != 1 and self.breaks(atom, once) != once:
            once = False
        return before and once if low == 0 else once

    def breaks(self, atom: _Atom, before: bool) -> bool:
        if atom.kind == "chars":
            return not atom.any_word and not any(map(_WORD_CHAR.match, atom.chars))
        if atom.kind != "group":
            return before
        memo = (atom.source, before)
        if atom.source and memo in _GROUP_BREAKS:
            return _GROUP_BREAKS[memo]
        _GROUP_BREAKS[memo] = found = self.group_breaks(atom, before)
        return found

    def group_breaks(self, atom: _Atom, before: bool) -> bool:
        for start, end in atom.spans:
            at, state = start, before
            while at < end:
                inner, after = self.atom(at)
                low, high, after = self.quantifier(after)
                state = self.breaks_after(inner, low, high, state)
                at = after
            if not state:
                return False
        return True

    def group(self, opening: int, body: int, close: int) -> _Atom:
        """The group opening at `opening` (-1: the whole term), its body `body` to `close`."""
        bars = [bar for bar in self.bars[opening] if body <= bar < close]
        starts = [body, *(bar + 1 for bar in bars)]
        spans = tuple(zip(starts, [*bars, close], strict=True))
        return _Atom(
            "group", spans=spans, source=self.term[opening : close + 1] if opening >= 0 else ""
        )

    def walk(self, atom: _Atom, open_: set[str]) -> set[str]:
        """The open prefixes after `atom`, from those before it."""
        if atom.kind == "chars":
            return self.step(open_, atom.chars, atom.any_word)
        if atom.kind == "group":
            return self.walk_group(atom, open_)
        if atom.kind == "word end":
            for prefix in open_ - _UNREAD:
                self.keys.add(prefix)
            return open_ & _UNREAD
        return open_

    def walk_group(self, atom: _Atom, open_: set[str]) -> set[str]:
        """`walk` for a group. The same groups recur in many terms (`_VICTIM`, `_PROPERTY`), so
        what a group does from given prefixes is kept, by its source."""
        memo = (atom.source, frozenset(open_)) if atom.source else None
        if memo is not None and memo in _GROUP_WALKS:
            after, keys, runs_before = _GROUP_WALKS[memo]
            self.keys |= keys
            self.runs_before |= runs_before
            return set(after)
        outer = self.keys, self.runs_before
        self.keys, self.runs_before = set(), set()
        try:
            found: set[str] = set()
            for start, end in atom.spans:
                found |= self.sequence(start, end, set(open_))
            if memo is not None:
                _GROUP_WALKS[memo] = (
                    frozenset(found),
                    frozenset(self.keys),
                    frozenset(self.runs_before),
                )
            return found
        finally:
            outer[0].update(self.keys)
            outer[1].update(self.runs_before)
            self.keys, self.runs_before = outer

    def sequence(self, at: int, end: int, open_: set[str]) -> set[str]:
        while at < end and open_:
            atom, after = self.atom(at)
            low, high, after = self.quantifier(after)
            if (low, high) == (1, 1):
                open_ = self.walk(atom, open_)
            else:
                open_ = self.repeat(atom, open_, low, high)
            if len(open_) > _MAX_OPEN:
                raise self.error("too many openings")
            at = after
        return open_

    def atom(self, at: int) -> tuple[_Atom, int]:
        """The step that starts at `at`, and where it ends."""
        term = self.term
        char = term[at]
        if char == "(":
            close = self.closes[at]
            if term.startswith(_LOOKAROUNDS, at):
                ends_word = term[at : close + 1] == _WORD_ENDS
                return _Atom("word end") if ends_word else _NOTHING, close + 1
            if term.startswith(("(?:", "(?>"), at):
                body = at + 3
            elif term.startswith("(?P<", at):
                body = term.index(">", at) + 1
            elif term.startswith("(?", at):
                raise self.error(f"unsupported group {term[at : at + 4]!r}")
            else:
                body = at + 1
            return self.group(at, body, close), close + 1
        if char == "[":
            end = self.class_ends[at]
            return self.char_class(term[at + 1 : end - 1]), end
        if char == "\\":
            escaped = term[at + 1]
            if escaped in "bBAZ":
                return _NOTHING, at + 2
            return self.escape(escaped), at + 2
        if char in "^$":
            return _NOTHING, at + 1
        if char in ".*+?{})|":
            raise self.error(f"unsupported {char!r}")
        return _Atom("chars", frozenset(char)), at + 1

    def escape(self, escaped: str) -> _Atom:
        if escaped == "w":
            return _Atom("chars", any_word=True)
        if escaped == "d":
            return _Atom("chars", frozenset("0"))
        if escaped == "s":
            return _Atom("chars", frozenset(" "))  # any space ends a word; no hit starts with one
        if escaped.isalnum():
            raise self.error(f"unsupported escape \\{escaped}")
        return _Atom("chars", frozenset(escaped))

    def char_class(self, body: str) -> _Atom:
        if body.startswith("^"):
            raise self.error("a negated class")
        chars: set[str] = set()
        any_word = False
        at = 0
        while at < len(body):
            char = body[at]
            if char == "\\":
                escaped = self.escape(body[at + 1])
                chars |= escaped.chars
                any_word |= escaped.any_word
                at += 2
                if body[at : at + 1] == "-" and at + 1 < len(body):
                    raise self.error("an unsupported range")
                continue
            if body[at + 1 : at + 2] == "-" and at + 2 < len(body):
                last = body[at + 2]
                if last == "\\" or ord(last) - ord(char) > 128:
                    raise self.error("an unsupported range")
                chars.update(map(chr, range(ord(char), ord(last) + 1)))
                at += 3
                continue
            chars.add(char)
            at += 1
        return _Atom("chars", frozenset(chars), any_word)

    def quantifier(self, at: int) -> tuple[int, int | None, int]:
        """(least, most or None, end) of the repeat written at `at`; (1, 1, at) if there is none."""
        found = _QUANTIFIER.match(self.term, at)
        if found is None:
            return 1, 1, at
        symbol, low, comma, high = found.groups()
        least: int
        most: int | None
        if symbol:
            least, most = {"?": (0, 1), "*": (0, None), "+": (1, None)}[symbol]
        elif not (low or comma):
            raise self.error("a literal '{'")
        else:
            least = int(low) if low else 0
            most = (int(high) if high else None) if comma else least
        end = found.end()
        if self.term[end : end + 1] in ("?", "+"):  # lazy or possessive: the same openings
            end += 1
        return least, most, end

    def repeat(self, atom: _Atom, open_: set[str], least: int, most: int | None) -> set[str]:
        after: set[str] = set()
        count = 0
        current = open_
        while current:
            if count >= least:
                current = current - after  # a prefix seen before has nothing new to offer
                if not current:
                    break
                after |= current
            if count == most:
                break
            current = self.walk(atom, current)
            count += 1
        return after

    def step(self, open_: set[str], chars: frozenset[str], any_word: bool) -> set[str]:
        """Read one character that is one of `chars` (or, if `any_word`, any word character)."""
        after: set[str] = set()
        words = any_word or any(map(_WORD_CHAR.match, chars))
        others = [char for char in chars if not _WORD_CHAR.match(char)]  # non-word characters
        for prefix in open_:
            if prefix == _FIRST:
                if words:
                    after.add(_FIRST)
                if others:
                    after.add("")  # the second word starts next
            elif prefix == _RUN:
                if words:
                    after.add(_RUN)
                if " " in others:
                    raise self.error("a run of any word characters before a space")
                self.runs_before.update(others)
            else:
                self.extend(prefix, chars, any_word, after)
        return after

    def extend(self, prefix: str, chars: frozenset[str], any_word: bool, after: set[str]) -> None:
        """Read one of `chars` after the real `prefix`: a longer prefix, or a finished key."""
        if any_word:
            if prefix:
                raise self.error(f"any word character after {prefix!r}")
            after.add(_RUN)
        for char in chars:
            if not _WORD_CHAR.match(char):
                if prefix:
                    self.keys.add(prefix)
                elif char == " ":
                    raise self.error("it can start with a space")
                else:
                    self.keys.add(char)
                continue
            longer = prefix + ("0" if _DIGIT.match(char) else char)
            if len(longer) == _KEY_LENGTH:
                self.keys.add(longer)
            else:
                after.add(longer)


# --- rules ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One named, explainable rule: a hit of one of its terms that none of `blockers` cancels.

    `name` is the category the rule votes for, or `URGENT_ONLY`. When `urgent_kind` is set, hits
    of the `urgent` terms (of any term, when there are none) make the incident urgent, explained
    as `urgent_kind`. Terms are whole-word regexes (`pattern` is their alternation, `urgent` ones
    first); each is compiled on its own the first time a text could hold a hit of it.
    """

    name: str
    description: str
    terms: tuple[str, ...]
    urgent: tuple[str, ...] = ()
    blockers: tuple[Blocker, ...] = ()
    urgent_kind: str | None = None
    # Every term in the order `pattern` tries them, its start keys, and its compiled regex.
    _sources: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _starts: tuple[_Starts, ...] = field(init=False, repr=False, compare=False)
    _compiled: list[re.Pattern[str] | None] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        tried = self.urgent + self.terms
        sources = tuple(
            r"(?<!\w)" + ("(?P<urgent>" if index < len(self.urgent) else "(?:") + term + r")(?!\w)"
            for index, term in enumerate(tried)
        )
        object.__setattr__(self, "_sources", sources)
        object.__setattr__(self, "_starts", tuple(map(_start_keys, tried)))
        object.__setattr__(self, "_compiled", [None] * len(tried))

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        """All the terms as ONE whole-word alternation, `urgent` ones first in an `urgent` group."""
        body = "|".join(self.terms)
        if self.urgent:
            body = "(?P<urgent>" + "|".join(self.urgent) + ")" + ("|" + body if body else "")
        return re.compile(r"(?<!\w)(?:" + body + r")(?!\w)")

    @cached_property
    def _windows(self) -> tuple[_Window, ...]:
        return _window_groups(self.blockers)

    @cached_property
    def _index(self) -> _Index:
        return _Index((self,))

    def hits(self, text: str) -> Iterator[re.Match[str]]:
        """Every hit in normalised, lower-cased `text` that no blocker cancels."""
        found = _Text(text)
        candidates = self._index.candidates(found)[0]
        return self._hits(found, candidates) if candidates else iter(())

    def check(self, text: str) -> bool:
        return next(self.hits(text), None) is not None

    def is_urgent(self, match: re.Match[str]) -> bool:
        if self.urgent_kind is None:
            return False
        if self.urgent:
            return "urgent" in match.re.groupindex and match.group("urgent") is not None
        return True

    def _hits(self, text: _Text, candidates: list[tuple[int, int]]) -> Iterator[re.Match[str]]:
        """The hits at `candidates` ((position, term) pairs, in order) no blocker cancels.

        The same hits as `_scanned_hits`, which scans the whole text with `pattern`: a hit can
        only start at a candidate, and among candidates at one position the earliest term wins,
        as in the alternation.
        """
        resume = 0  # a hit covers the text up to here
        for position, term in candidates:
            if position >= resume:
                match = self._match(text, position, term)
                if match is not None:
                    resume = match.end()
                    if not self._blocked(text, position):
                        yield match

    def _first_hits(
        self, text: _Text, candidates: list[tuple[int, int]]
    ) -> tuple[re.Match[str] | None, re.Match[str] | None]:
        """`_scan` over `_hits`, without the generator: the first hit and the first urgent one."""
        first = None
        resume = 0
        compiled, body, windows = self._compiled, text.text, self._windows
        for position, term in candidates:
            if position >= resume:
                pattern = compiled[term] or self._compile(term)
                match = pattern.match(body, position)
                if match is not None:
                    resume = match.end()
                    if windows and self._blocked(text, position):
                        continue
                    if first is None:
                        first = match
                        if self.urgent_kind is None:
                            break
                    if term < len(self.urgent) or not self.urgent:  # `is_urgent`
                        return first, match
        return first, None

    def _match(self, text: _Text, position: int, term: int) -> re.Match[str] | None:
        return (self._compiled[term] or self._compile(term)).match(text.text, position)

    def _compile(self, term: int) -> re.Pattern[str]:
        pattern = self._compiled[term] = re.compile(self._sources[term])
        return pattern

    def _scanned_hits(self, text: _Text) -> Iterator[re.Match[str]]:
        """The hits of `pattern` anywhere in the text that no blocker cancels (no index)."""
        for match in self.pattern.finditer(text.text):
            if not any(blocker.blocks(text, match.start()) for blocker in self.blockers):
                yield match

    def _blocked(self, text: _Text, start: int) -> bool:
        """Whether a blocker cancels the hit at `start`: `any(blocker.blocks(...))`, but
        blockers that read the same words share one look-back and one search."""
        for words, boundary, pattern in self._windows:
            if pattern.search(text.before(start, words, boundary)) is not None:
                return True
        return False


_Window = tuple[int, re.Pattern[str], re.Pattern[str]]  # words, boundary, any blocker's pattern
_WINDOW_GROUPS: dict[tuple[Blocker, ...], tuple[_Window, ...]] = {}


def _window_groups(blockers: tuple[Blocker, ...]) -> tuple[_Window, ...]:
    """`blockers` grouped by the look-back they read, each group's patterns as one alternation.

    A string holds a match of the alternation exactly when it holds one of any of its patterns.
    """
    groups = _WINDOW_GROUPS.get(blockers)
    if groups is None:
        sources: dict[tuple[int, re.Pattern[str], int], list[str]] = {}
        for blocker in blockers:
            window = (blocker.words, blocker.boundary, blocker.pattern.flags)
            sources.setdefault(window, []).append(f"(?:{blocker.pattern.pattern})")
        groups = _WINDOW_GROUPS[blockers] = tuple(
            (words, boundary, re.compile("|".join(found), flags))
            for (words, boundary, flags), found in sources.items()
        )
    return groups


def _rule(
    name: str,
    description: str,
    terms: tuple[str, ...],
    *,
    urgent: tuple[str, ...] = (),
    urgent_kind: str | None = None,
    blockers: tuple[Blocker, ...] = (NEGATION,),
) -> Rule:
    """A rule whose hits are whole-word matches of `terms`, or of `urgent` terms (tried first)."""
    return Rule(name, description, terms, urgent, blockers, urgent_kind)


class _Index:
    """For each start key, which terms of which rules a hit starting with it could be."""

    __slots__ = (
        "_bits",
        "_later_bits",
        "_later_marks",
        "_mark_table",
        "_needs",
        "_piece_bits",
        "_pieces",
        "_rules",
    )

    def __init__(self, rules: tuple[Rule, ...]) -> None:
        words: dict[str, list[tuple[int, int]]] = {}
        marks: dict[str, list[tuple[int, int, bool]]] = {}
        for number, rule in enumerate(rules):
            for term, starts in enumerate(rule._starts):
                for key in starts.keys:
                    if _WORD_CHAR.match(key):
                        words.setdefault(key, []).append((number, term))
                    else:
                        marks.setdefault(key, []).append((number, term, False))
                for key in starts.runs_before:
                    marks.setdefault(key, []).append((number, term, True))
        self._rules = rules
        self._mark_table = {key: tuple(entries) for key, entries in marks.items()}
        # Each set of later-word keys a term needs gets a bit, when first needed; a term's
        # `later` becomes, per alternative, the mask of the sets it needs, and a text the mask of
        # the sets it holds a key from (`met`).
        self._bits: dict[frozenset[str], int] = {}
        self._later_bits: dict[str, int] = {}  # key -> the bits of the sets holding it
        self._later_marks: list[str] = []  # the punctuation among those keys
        self._piece_bits = _PieceBits(self._later_bits)
        self._needs: dict[tuple[int, int], tuple[int, ...] | None] = {}
        self._pieces = _Pieces(
            _Nodes({key: tuple(entries) for key, entries in words.items()}, self)
        )

    def entry(self, number: int, term: int) -> _Entry:
        """(rule number, term number, `next_word`, the masks `later` needs or None)."""
        starts = self._rules[number]._starts[term]
        return number, term, starts.next_word, self.needs(number, term)

    def needs(self, number: int, term: int) -> tuple[int, ...] | None:
        """The masks of the later-word sets the term needs, per alternative (None: none known)."""
        if (number, term) not in self._needs:
            later = self._rules[number]._starts[term].later
            self._needs[number, term] = (
                None if later is None else tuple(sum(map(self._bit, set(sets))) for sets in later)
            )
        return self._needs[number, term]

    def _bit(self, keys: frozenset[str]) -> int:
        bit = self._bits.get(keys)
        if bit is None:
            bit = self._bits[keys] = 1 << len(self._bits)
            for key in keys:
                self._later_bits[key] = self._later_bits.get(key, 0) | bit
                if not _WORD_CHAR.match(key) and key not in self._later_marks:
                    self._later_marks.append(key)
            self._piece_bits.clear()  # what it remembered lacks the new bit
        return bit

    def candidates(self, text: _Text) -> list[list[tuple[int, int]] | None]:
        """For each rule, in order, where in `text` (position, term) a hit could start, in order;
        None when nowhere."""
        assert text.pieces is not None
        found: list[list[tuple[int, int]] | None] = [None] * len(self._rules)
        # Looking the words and marks up first gives every set they need its bit before the
        # text's `met` is worked out.
        nodes = list(map(self._pieces.__getitem__, text.pieces))
        marks = [
            (mark, [(*entry[:2], entry[2], self.needs(*entry[:2])) for entry in entries])
            for mark, entries in self._mark_table.items()
            if mark in text.text
        ]
        met = self._word_candidates(text, nodes, found)
        if marks:
            self._mark_candidates(text, marks, found, met)
            for pairs in found:
                if pairs is not None:
                    pairs.sort()
        return found

    def _word_candidates(
        self, text: _Text, nodes: list[_Node | None], found: list[list[tuple[int, int]] | None]
    ) -> int:
        """Add the candidates that start with a word; return `met(text)`, or -1 if not needed."""
        pieces = text.pieces
        assert pieces is not None
        met = -1  # the later-word key sets the text holds a key from, once needed
        lengths = text._lengths
        last = len(pieces) - 1
        for piece in compress(range(len(nodes)), nodes):
            node = nodes[piece]
            assert node is not None
            entries = node.default
            if node.after and piece < last:
                entries = node.after.get(pieces[piece + 1][:_KEY_LENGTH], entries)
            position = lengths[piece] + piece  # `text.start(piece)`
            for number, term, needs in entries:
                if needs is not None:  # `_meets(needs, met)`, inline: this loop is the hot one
                    if met < 0:
                        met = self.met(text)
                    for need in needs:
                        if need & met == need:
                            break
                    else:
                        continue
                pairs = found[number]
                if pairs is None:
                    found[number] = [(position, term)]
                else:
                    pairs.append((position, term))
        return met

    def _mark_candidates(
        self,
        text: _Text,
        marks: list[tuple[str, list[tuple[int, int, bool, tuple[int, ...] | None]]]],
        found: list[list[tuple[int, int]] | None],
        met: int,
    ) -> None:
        """Add the candidates the punctuation marks in the text give."""
        body = text.text
        for mark, entries in marks:
            for number, term, run_before, needs in entries:
                if needs is not None:
                    if met < 0:
                        met = self.met(text)
                    if not _meets(needs, met):
                        continue
                pairs = found[number]
                if pairs is None:
                    pairs = found[number] = []
                for at in _find_all(body, mark):
                    pairs.append((text.run_start(at) if run_before else at, term))

    def met(self, text: _Text) -> int:
        """The mask of the later-word key sets `text` holds a key from."""
        assert text.pieces is not None
        met: int = reduce(or_, map(self._piece_bits.__getitem__, set(text.pieces)), 0)
        for mark in self._later_marks:
            if mark in text.text:
                met |= self._later_bits[mark]
        return met


class _PieceBits(dict[str, int]):
    """Piece -> the later-word bits of its start key (see `_Index`), remembered."""

    def __init__(self, bits: dict[str, int]) -> None:
        super().__init__()
        self._bits = bits

    def __missing__(self, piece: str) -> int:
        if len(self) > _MAX_PIECES:
            self.clear()
        bits = self[piece] = self._bits.get(piece[:_KEY_LENGTH], 0)
        return bits


class _Node(NamedTuple):
    """The terms a hit starting with one word key can be, in order: those whose next word
    `after` lists when the hit's next word has that key, else `default`."""

    default: tuple[tuple[int, int, tuple[int, ...] | None], ...]
    after: dict[str, tuple[tuple[int, int, tuple[int, ...] | None], ...]]


class _Nodes(dict[str, _Node | None]):
    """Word key -> its `_Node` (None: no term starts with it), built on first use."""

    def __init__(self, table: dict[str, tuple[tuple[int, int], ...]], index: _Index) -> None:
        super().__init__()
        self._table = table
        self._index = index

    def __missing__(self, key: str) -> _Node | None:
        node = None
        if key in self._table:
            entries = tuple(self._index.entry(*entry) for entry in self._table[key])
            following = {word for *_, next_word, _ in entries for word in next_word or ()}
            node = _Node(
                _following(entries, None),
                {word: _following(entries, word) for word in following},
            )
        self[key] = node
        return node


class _Pieces(dict[str, _Node | None]):
    """Piece -> the `_Node` of its start key, remembered (a text's words mostly recur)."""

    def __init__(self, nodes: _Nodes) -> None:
        super().__init__()
        self._nodes = nodes

    def __missing__(self, piece: str) -> _Node | None:
        if len(self) > _MAX_PIECES:
            self.clear()
        node = self[piece] = self._nodes[piece[:_KEY_LENGTH]] if piece else None
        return node


_MAX_PIECES = 100_000


def _following(
    entries: tuple[_Entry, ...], word: str | None
) -> tuple[tuple[int, int, tuple[int, ...] | None], ...]:
    """The entries a hit can be when its next word has key `word` (None: one no term needs)."""
    return tuple(
        (number, term, needs)
        for number, term, next_word, needs in entries
        if next_word is None or (word is not None and word in next_word)
    )


# (rule number, term number, `_Starts.next_word`, and for each of the term's alternatives the
# mask of later-word key sets it needs, or None: none known)
_Entry = tuple[int, int, frozenset[str] | None, tuple[int, ...] | None]


def _meets(needs: tuple[int, ...], met: int) -> bool:
    """Whether `met` holds every set one of the alternatives `needs`."""
    return any(need & met == need for need in needs)


PHONE_CALLS = _rule(
    "phone_calls",
    "unwanted phone calls, including silent and withheld-number calls",
    (
        r"(?:phone|telephone|mobile|landline|voice|video|nuisance|silent|abusive|anonymous|prank"
        r"|hoax|missed|malicious|threatening|withheld|repeated|constant|persistent|unwanted"
        r"|several|numerous|multiple|more|further|another|two|three|four|five|six|seven|eight"
        r"|nine|ten|twenty|dozens of|lots of|loads of|\d+) (?:phone )?calls?",
        r"calls? (?:from (?:him|her|them|a|an|withheld|unknown|private)|to my|on my)",
        # "called me a stupid cow", "called my son a cripple" are name calling, not calls.
        r"(?:rang|phoned|called|ringing|phoning|calling|rings|phones|calls|ring|phone|call) "
        rf"(?:{_VICTIM}|my (?:phone|mobile|landline|number|house phone|work))"
        rf"(?! (?:a|an|names|all sorts|every name|(?:{_ABUSIVE_ADJ} )*{_NAME})(?!\w))",
        r"(?:kept|keeps|been|started|keep) (?:on )?(?:calling|ringing|phoning)"
        r"(?! (?:the|my|our) (?:front )?(?:door ?bell|bell|buzzer|intercom))",
        r"(?:phone|mobile|landline) (?:kept |keeps |was |started |has been |had been |kept on "
        r"|then |wouldn't stop |won't stop |would not stop )?(?:ringing|rang|going off|buzzing)",
        r"withheld (?:number|no)|number withheld|(?:private|unknown|blocked) number|no caller id",
        r"(?:nobody|no one|no-one|noone) (?:there|on the line|speaking|said anything)",
        r"heavy breathing|hung up on (?:me|us)|put the phone down on (?:me|us)",
        r"voice ?mails?|answer ?phone(?: messages?)?|face ?timed? (?:me|us)|video called",
    ),
    blockers=(NEGATION, SELF, SELF_REPORT, AUTHORITY),
)

LETTERS = _rule(
    "letters",
    "letters, notes or cards sent or left for the resident",
    (
        r"(?:letters?|notes?|cards?|leaflets?|envelopes?|flyers?) (?:was |were |had been "
        r"|has been |have been )?(?:put|pushed|posted|shoved|left|stuck|pinned|taped|slipped"
        r"|sellotaped|glued|dropped|thrown) (?:through|under|on|in|into|onto|at)",
        r"(?:letters?|notes?|cards?) (?:through|under|on|in) (?:my|our|the) (?:front |back )?"
        r"(?:door|letter ?box|windscreen|car|window|gate|mailbox|post ?box)",
        r"(?:anonymous|abusive|threatening|nasty|horrible|offensive|handwritten|hand written"
        r"|unsigned|poison pen|vile|disgusting|another|hate|racist|typed|intimidating|malicious)"
        r" (?:letters?|notes?|cards?|mail)",
        # A letter from the council or the police is correspondence, not harassment.
        r"(?:sent|wrote|written|received|receive|got|found|delivered|posted|pushed|shoved|left"
        rf"|slipped|stuck|put) (?:{_VICTIM} )?(?:(?:a|an|another|this|the|two|three|several|more"
        r"|some|\d+) )?(?:\w+ )?(?:letters?|notes?)(?!\w)(?! from (?:the )?(?:council|police"
        r"|housing|solicitors?|court|landlord|school|hospital|doctor|gp|bank|dwp|jobcentre))",
    ),
    blockers=(NEGATION, SELF, SELF_REPORT, AUTHORITY),
)

EMAILS = _rule(
    "emails",
    "emails sent to the resident",
    (r"e-?mails?", rf"e-?mail(?:ed|ing) (?:{_VICTIM}|my)", r"inbox"),
    blockers=(NEGATION, SELF, SELF_REPORT, AUTHORITY),
)

MESSAGES = _rule(
    "messages",
    "texts, WhatsApp and other direct messages",
    (
        r"texts?(?! book)|texted|texting|txts?|sms|whats ?app(?:ed|s)?|imessages?|messaged"
        r"|messaging|messages?|messenger|voice ?notes?|voice messages?|dms?|dm'?d"
        r"|direct messages?",
    ),
    blockers=(NEGATION, SELF, SELF_REPORT, AUTHORITY),
)

VISITS = _rule(
    "visits",
    "coming to the resident's door or home",
    (
        r"came (?:to|round to|up to|over to|back to|to knock on) (?:my|our|the) (?:front |back )?"
        r"(?:door|house|flat|home|address|gate|doorstep)",
        r"(?:came|come|comes|coming) round(?! the corner)",
        # Kicking the door (sample 1) is damage, not a visit; knocking or banging on it is.
        r"(?:knock|knocked|knocking|knocks|banged|banging|bang|bangs|hammered|hammering|pounding"
        r"|pounded|thumping|thumped|tapping|tapped|kept knocking) (?:on|at) (?:my|our|the) "
        r"(?:front |back |bedroom |kitchen |living room )?(?:door|windows?)",
        r"(?:rang|ringing|rings|ring|pressed|pressing|kept ringing) (?:on )?(?:my|our|the) "
        r"(?:door ?bell|bell|buzzer|intercom)",
        r"door ?bell (?:rang|ringing|went|kept ringing|going)",
        r"at (?:my|our|the) (?:front |back )?door(?! frame)",
        r"on (?:my|our|the) (?:front )?doorstep",
        r"turned up at (?:my|our) (?:house|flat|home|door|front door|address)",
        r"(?:trying|tried|tries) to (?:get in|break in|force (?:his|her|their|the|my) way in"
        r"|kick (?:the|my|our) (?:front |back )?door (?:in|down))",
        r"(?:was|were|came|walked|climbed|got|been) (?:over the fence )?(?:in|into) (?:my|our) "
        r"(?:back |front )?(?:garden|yard|house|flat|hallway|porch)",
        r"trespass\w*",
    ),
    blockers=(NEGATION, SELF, IRREALIS, AUTHORITY, HIRED),
)

STALKING = _rule(
    "stalking",
    "following, waiting for or watching the resident at home, work or elsewhere",
    (
        r"stalk(?:ed|ing|er|s)?",
        # Following someone "on Instagram" is online, not stalking in person.
        rf"follow(?:ed|ing|s)? {_VICTIM}(?! on (?:facebook|instagram|twitter|tiktok|snapchat"
        r"|social))",
        r"(?:walked|walking|walks|stayed|cycling|driving|drove) (?:right )?behind (?:me|us)",
        r"(?:was|were|been|is|are|stood|standing|sat|sitting|lurking|loitering|hanging around"
        r"|hanging about|hiding|waited|waiting|hung around|parked|parked up) (?:for (?:me|us) )?"
        rf"(?:outside|near|by|across from|opposite|over the road from|at the end of) (?:my|our) "
        rf"(?:\w+ )?{_PLACE}",
        # Waiting at the bus stop is stalking when he waits, not when the resident does
        # (SELF blocks "I was waiting").
        r"(?:wait|waited|waiting) (?:for (?:me|us)|(?:on|in|at|by|near|outside|round|around"
        r"|behind) (?:the|my|our) \w+)",
        r"(?:lying|lay|laying) in wait",
        r"(?:sat|sitting) (?:outside|in (?:his|her|their|a|the) (?:\w+ )?(?:car|van) (?:outside"
        r"|opposite|across|near|by|watching))",
        # "watching from his window" is not stalking (sample 4); watching the resident's home,
        # or the resident for a long time, is.
        r"watch(?:ed|ing|es)? (?:my|our) (?:\w+ )?(?:house|home|flat|property|door|windows?"
        r"|every move|movements|comings and goings)",
        r"watch(?:ed|ing|es)? (?:me|us) (?:for (?:hours|ages|a long time)|all (?:day|night"
        r"|the time)|from (?:his|her|their|a|the) (?:\w+ )?(?:car|van)|through|come|go|leave"
        r"|arrive|constantly|every)",
        r"(?:staring|stared|peering|peered|looking|looked) (?:in|into|through) (?:my|our) "
        r"(?:\w+ )?windows?",
        r"(?:keeps?|kept) (?:turning up|appearing|showing up|popping up)",
        r"turned up at (?:my|our) (?:work|workplace|office|kids'? school|school|gym|mum's"
        r"|college|place of work)",
        r"(?:drove|driving|drives|walked|walking|walks) (?:past|up and down|slowly past) "
        r"(?:my|our) (?:house|home|flat|road|street)(?: (?:again|slowly|repeatedly|several"
        r"|\w+ times|\d+))?",
        r"got on the same (?:bus|train|tram)",
        r"(?:tracker|tracking device|gps tracker|air ?tag) (?:on|in|under)|tracking (?:me|my)",
        r"(?:filming|filmed|photographing|photographed|recording|recorded|taking (?:photos"
        r"|pictures|videos|pics) of|took (?:photos|pictures|videos|pics) of) "
        rf"(?:me|us|my (?:house|home|flat|car|visitors|{_PERSON_NOUN}))",
    ),
    blockers=(NEGATION, SELF, IRREALIS, HIRED, AUTHORITY),
)


_SHOUT = r"(?:shout|shouted|shouting|shouts|scream|screamed|screaming|yell|yelled|yelling)"

VERBAL_ABUSE = _rule(
    "verbal_abuse",
    "shouting at, swearing at or calling the resident names",
    (
        rf"(?:{_SHOUT}|hurled|hurling) (?:\w+ )?(?:abuse|obscenities|insults|names|slurs)",
        # Sample 13: people shouting in their own garden is noise; shouting AT someone is abuse.
        rf"(?:{_SHOUT}|swore|swearing|sworn|swear|swears|cursing|cursed|effing and blinding) "
        rf"(?:at|to|towards) {_VICTIM}",
        rf"{_SHOUT} (?:out )?(?:that|how) (?:i|we|my|me)",
        rf'{_SHOUT} "[^"]{{1,120}}" (?:at|to) {_VICTIM}',
        rf"{_SHOUT} (?:\w+ ){{1,5}}?at {_VICTIM}",
        rf"call(?:ed|ing|s)? {_VICTIM} (?:a |an )?(?:names|all sorts|all the names|every name"
        rf"|(?:{_ABUSIVE_ADJ} ){{0,3}}{_NAME})",
        rf"call(?:ed|ing|s)? {_VICTIM} (?:a|an) (?:\w+ ){{0,2}}(?:{_NAME}|{_NATION})",
        r"name[- ]?calling",
        rf"you(?:'re| are| r)? (?:a |an )?(?:{_ABUSIVE_ADJ} ){{0,3}}{_NAME}",
        r"verbal(?:ly)? (?:abuse[ds]?|abusive|assault\w*|attack\w*)",
        r"(?:gave (?:me|us)|giving (?:me|us)|received|torrent of|mouthful of|stream of|foul"
        r"|racist|homophobic|sexist|disablist|transphobic|verbal) abuse",
        r"abusive (?:language|comments|remarks|names|words)|abused (?:me|us) verbally|obscenities",
        rf"(?:insulted|insulting|mocked|mocking|taunted|taunting|jeered at|ridiculed|humiliated"
        rf"|belittled) {_VICTIM}",
        rf"told {_VICTIM} to (?:fuck|f\*+k?|f|eff|piss|sod) off",
        r"(?:fuck|f\*+k?|eff|piss|sod) off (?:you|ya|u)",
        r"(?:sexual|lewd|crude|rude|vile|nasty|disgusting|derogatory|offensive) (?:comments"
        r"|remarks|names)",
        r"wolf[- ]?whistl\w+",
    ),
    blockers=(NEGATION, SELF, ONLINE_CONTEXT),
)

_PLATFORM = (
    r"facebook|face book|fb|instagram|insta|tik ?tok|snap ?chat|twitter|youtube|reddit|nextdoor"
    r"|telegram|social media|whats ?app group|group chat|online|internet"
)

ONLINE_ABUSE = _rule(
    "online_abuse",
    "abuse on social media or elsewhere online",
    (
        _PLATFORM,
        r"tweet(?:ed|s|ing)?",
        r"posted (?:(?:a|an|another|some|loads of|more|two|three|several) )?(?:photos?|pictures?"
        r"|pics?|videos?|clips?|comments?|status|statuses|posts?|memes?|lies|rumou?rs"
        r"|screenshots?|my|about (?:me|us|my)|online|on (?:his|her|their|the|a|my) (?:page"
        r"|profile|story|stories|group|wall|account|status))",
        r"put (?:up )?(?:a )?post|(?:a|his|her|their) post (?:on|about|saying|calling)",
        r"comment(?:s|ed)? (?:on|under) (?:the|his|her|my|a) (?:post|photo|picture|video|status"
        r"|page)",
        r"fake (?:account|profile|page)s?|troll(?:ing|ed|s)?|cyber ?-?bull(?:ying|ied)",
        r"tagged (?:me|us|my)|shared (?:a |my |the |our )?(?:photo|picture|post|video|address)",
        r"doxx?(?:ed|ing)|live ?stream(?:ed|ing)?",
    ),
    blockers=(NEGATION, REPORTED),
)

# What turns a threat into a threat of violence. Base forms only, so "he'd kicked" does not
# read as "he would kick".
_VIOLENT = _alt(
    # "kick my head in" (sample 5) is a threat, not damage and not (yet) violence.
    r"(?:kick|smash|cave|knock|bash|punch) (?:\w+ )?(?:head|face|teeth|brains?) in|",
    r"(?:kill|murder|stab|shoot|strangle|batter|rape|knife|glass|bottle|acid|torch|firebomb"
    r"|petrol bomb|slice|slit|cut|slash|hurt|hit|punch|kick|slap|beat|smash|burn|knock|deck"
    rf"|chin|leather|bash|attack|jump|finish|end) (?:{_VICTIM}|you|ya|u"
    rf"|your (?:\w+ )?(?:{_BODY}|{_PERSON_NOUN}))",
    r"|(?:kick|beat|knock) (?:the )?(?:shit|crap|hell|fuck|living daylights) out of",
    r"|break (?:your|my|his|her|their) (?:\w+ )?(?:legs?|neck|arms?|jaw|nose|face)",
    r"|(?:rip|tear) (?:your|my|his|her) (?:\w+ )?(?:head|face|throat) (?:off|out)",
    r"|do (?:you|ya|u|me|us|him|her|them) in|sort (?:you|ya|u|me|us|him|her|them) out",
    r"|(?:kill|poison|hurt|stab|shoot) (?:my|your|our|his|her) (?:\w+ )?(?:dogs?|cats?|pets?)",
    r"|get (?:you|ya|u|me|us)(?! (?:a|an|some|the|to|back|out|evicted|kicked|thrown|sacked)\b)",
    r"|have (?:you|ya|u|me|us) (?:done|killed|sorted|seen to|done in)",
    r"|come (?:for|after) (?:you|ya|u|me|us|my|your)",
    r"|(?:set fire to|burn|torch|firebomb) (?:\w+ ){0,3}(?:house|flat|home|car|door)(?: down)?",
    r"|burn (?:\w+ ){0,3}down|petrol (?:through|in) (?:your|my|the) letter ?box",
)

# "said he would", "I'll", "threatened to": what comes next has not happened yet.
_FUTURE = (
    r"(?:(?:said|says|saying|told \w+|telling \w+|shouted|shouting|screamed|yelled|warned"
    r"|texted|messaged|wrote) (?:that )?(?:\w+ ){0,2}?)?(?:\w+'ll|ill|will|would|going to|gonna"
    r"|threatened to|threatening to|threatens to|threaten to|wants? to|wanted to|promised to"
    r"|vowed to|swore to)(?: \w+){0,3}?"
)

THREATS = _rule(
    "threats",
    "threats, threatening gestures and brandished weapons",
    (
        r"threat(?:s|ened|ening|ens|en)?|intimidat(?:e|ed|ing|ion)|menacing",
        r"i know where you live|(?:just )?you wait|(?:your|ur) days are numbered",
        r"(?:you(?:'ll|ll| will)|you're going to|youre going to|you are going to) (?:\w+ )?"
        r"(?:regret|be sorry|pay for)",
        r"make (?:your|ur|my|our) life (?:a )?(?:hell|misery)",
        r"(?:said|told \w+|warned \w+) (?:that )?(?:i|we|you)(?:'d|'ll| would| will|d|ll) "
        r"(?:\w+ )?regret",
        r"get (?:you|ya|u|me|us) (?:evicted|kicked out|thrown out|sacked)",
        r"you won't be (?:here|around|living here) (?:long|much longer|for long)",
        # Threats to property are threats, but not of violence (burning is: see _VIOLENT).
        rf"{_FUTURE} (?:smash|wreck|trash|damage|key|slash|scratch|break|kick in|brick) (?:your"
        r"|my|our|his|her|the) (?:\w+ )?(?:windows?|car|van|house|flat|home|door|tyres?|bike"
        r"|garden|fence|property)",
    ),
    urgent=(
        # "said he would kick my head in", "I'll kill you", "threatened to stab me". The police
        # saying they "would call" is no threat: a violent verb is required.
        rf"{_FUTURE} {_VIOLENT}",
        r"(?:you(?:'re| are|re)|ur) (?:so |fucking |fkn )?(?:dead|a dead (?:man|woman|person))",
        r"dead (?:man|woman) walking|watch your back|sleep with one eye open|death threats?",
        r"you(?:'re| are|re)? (?:going to|gonna|will|'ll|ll) (?:die|get (?:it|hurt|stabbed|done))",
        # Sample 23: "you'll get what's coming to you" is a threat of violence.
        r"(?:you(?:'ll|ll| will)|you're going to|youre going to|you are going to) get"
        r" what(?:'s| is|s) coming|what(?:'s| is|s) coming to (?:you|ya|u)",
        r"threat(?:s|ened|ening)? (?:to|of) (?:kill|murder|stab|violence|burn|hurt|shoot)",
        r"threatened (?:my|our|his|her) (?:life|lives)",
        # Gestures: "made a cutting sign across his throat".
        r"(?:cutting|slitting|slit|cut|throat[- ]?cutting|throat[- ]?slitting) (?:\w+ )?(?:sign"
        r"|gesture|motion|movement)",
        r"(?:finger|hand|thumb)s? (?:across|along) (?:his|her|their|my) (?:own )?(?:throat|neck)",
        r"(?:gun|shooting|pistol) (?:sign|gesture|motion)",
        r"(?:mimed|mimicked|pretended to|pretending to) (?:shoot|stab|slit|cut|shooting|stabbing)",
        # A weapon shown to the resident is a threat (and urgent) even when nobody is hurt.
        r"(?:waving|waved|brandish\w*|wield\w*|pulled out|produced|flashed|pointed|pointing"
        rf"|holding|held|came at {_VICTIM} with|went for {_VICTIM} with|threatened {_VICTIM}"
        rf" with) (?:a|an|his|her|their|the|some|two|this) (?:\w+ ){{0,2}}?{_WEAPON_OBJECT}",
        r"(?:stood|standing|waiting|waited|stood there|came out|outside|on the landing|at the door)"
        rf" with (?:a|an|his|her|their) (?:\w+ ){{0,2}}?{_WEAPON_OBJECT}",
        # "said he'd kill me". A bare "he'd" is left out: "he'd kicked" is the past.
        r"(?:said|told \w+|saying|warned|threatened|shouted|screamed) (?:that )?(?:\w+ ){0,2}?"
        rf"\w+'d(?: \w+){{0,3}}? {_VIOLENT}",
    ),
    urgent_kind="threat of violence",
    blockers=(NEGATION, SELF),
)

_DAMAGE_VERB = _alt(
    r"smashed|smashing|broke|broken|breaking|damaged|damaging|scratched|scratching|keyed|dented"
    r"|kicked|kicking|hit|punched|thumped|whacked|booted|slashed|punctured|let down|sprayed"
    r"|spray-painted|spray painted|painted"
    r"|egged|ripped(?: up| out| off)?|pulled (?:up|down|out|off)|snapped|cracked|vandalised"
    r"|vandalized|wrecked|trashed|bent|cut(?: down| through)?|uprooted|trampled|stamped on"
    r"|poured|destroyed|knocked (?:over|down)|tipped (?:over|out)|superglued|glued|tampered with"
    r"|graffitied|put (?:a \w+ )?through|threw (?:\w+ ){0,3}?(?:at|through|over|onto|on)"
    r"|thrown (?:at|through|over|onto|on)"
)
_DAMAGE_PP = _alt(
    r"smashed(?: in)?|broken(?: into)?|damaged|scratched|keyed|dented|kicked (?:in|down)|slashed"
    r"|punctured|let down|deflated|sprayed|spray-painted|painted|egged|ripped(?: up| out| off)?"
    r"|pulled (?:up|down|out|off)|snapped|cracked|vandalised|vandalized|wrecked|trashed|bent|cut"
    r"|uprooted|destroyed|knocked (?:over|down)|tipped (?:over|out)|superglued|glued"
    r"|tampered with|put (?:through|in)|graffitied|covered in \w+|smeared with \w+"
)

PROPERTY_DAMAGE = _rule(
    "property_damage",
    "damage to the resident's home, car or belongings",
    (
        rf"{_DAMAGE_VERB} {_DET}{_PROPERTY}",
        rf"{_PROPERTY} (?:(?:was|were|had been|has been|have been|got|is|are|been|all|both|had"
        rf"|have) )?(?:(?:all|both|badly|completely|deliberately) )?{_DAMAGE_PP}",
        # "'GRASS' scratched on the bonnet" (sample 9), "kicked our fence panel in" (sample 16).
        r"(?:scratched|sprayed|painted|written|drawn|carved|etched|daubed) (?:\w+ ){0,3}?(?:on"
        rf"|into|onto|in|across|along|down|over|all over) {_DET}{_PROPERTY}",
        rf"kicked {_DET}(?:\w+ )?{_PROPERTY} (?:in|down)",
        rf"let {_DET}(?:tyres?|tires?) (?:down|out)",
        r"(?:dog poo|dog mess|dog muck|dog dirt|poo|excrement|faeces|urine|rubbish|bleach|paint"
        r"|oil|glue|superglue|eggs?) (?:\w+ ){0,2}?(?:through|on|over|in|into|onto|all over"
        rf"|smeared on) {_DET}{_PROPERTY}",
        r"graffiti|criminal damage|caused damage",
        rf"damage (?:to|on) {_DET}{_PROPERTY}",
        r"scratch(?:es)? (?:down|on|along|across|in|to|all over)|dents? (?:in|on)",
        r"eggs? (?:thrown|all over|on|at|smashed)",
        r"(?:bricks?|stones?|rocks?|eggs|paint|bottles?|paving slabs?) (?:through|at|over|on) "
        rf"{_DET}{_PROPERTY}",
        r"(?:glass|windows?) (?:smashing|breaking|shattering|shattered)",
        r"(?:smashing|breaking|shattering) (?:of )?glass",
    ),
    # Arson endangers whoever is inside or next door, so it is urgent with nobody hurt yet.
    urgent=(
        r"set fire to|set (?:\w+ ){0,3}(?:alight|on fire)|(?:was|were|had been|been) (?:set )?"
        r"(?:alight|on fire)",
        r"arson|burnt (?:out|down)|burned (?:out|down)|torched|petrol bomb(?:ed)?"
        r"|fire ?bomb(?:ed)?|molotov",
        r"(?:lit|burning) (?:\w+ ){0,2}(?:rags?|paper|fireworks?) (?:through|into)",
        r"fireworks? (?:through|into) (?:my|our|the) (?:front )?(?:door|letter ?box)",
        r"(?:poured|pouring|put|pushed) (?:petrol|fuel|lighter fluid)",
    ),
    urgent_kind="fire",
    blockers=(NEGATION, IRREALIS, SELF),
)

VIOLENCE = _rule(
    "violence",
    "bodily harm or physical contact against the resident or their family",
    (),
    urgent=(
        r"(?:punched|hit|kicked|slapped|pushed|shoved|headbutted|head-butted|head butted"
        r"|strangled|choked|throttled|grabbed|assaulted|attacked|beat|beaten|battered|bit|bitten"
        r"|stabbed|slashed|cut|elbowed|kneed|tripped|stamped on|jumped on|jumped|dragged|pinned"
        r"|thumped|smacked|whacked|belted|decked|floored|knocked|wrestled|scratched|glassed"
        r"|bottled|shot|shot at|tasered|mugged|barged|barged into|rugby tackled|tackled|hurt"
        r"|injured|punching|hitting|kicking|slapping|pushing|shoving|strangling|choking"
        rf"|attacking|beating|grabbing|dragging|hurting) {_VICTIM}",
        # Sample 18: "spat at my feet" is contempt, not violence (_VICTIM has no feet); spitting
        # on or at a person is violence.
        rf"(?:spat|spit|spitting|spits) (?:at|on|in|into|onto) {_VICTIM}",
        rf"threw (?:\w+ ){{0,4}}?(?:at|over) {_VICTIM}",
        # An attempted blow is an assault even when it misses.
        rf"(?:swung|swinging|lunged|lunging|lashed out|ran) (?:\w+ ){{0,2}}?at {_VICTIM}",
        rf"(?:went|came) for {_VICTIM}(?! with)",
        r"(?:thrown|poured|tipped|sprayed|squirted) (?:\w+ ){0,3}?(?:at|over|in|into|on) "
        rf"{_VICTIM}",
        rf"(?:i|we|my (?:\w+ )?{_PERSON_NOUN}) (?:was|were|got|had been|have been|has been"
        r"|then got) (?:then |also |again |badly |physically |violently |repeatedly |actually )?"
        r"(?:punched|hit|kicked|slapped|pushed|shoved|headbutted|strangled|assaulted|attacked"
        r"|beaten|beaten up|battered|bitten|stabbed|knocked (?:down|over|out)|glassed|bottled"
        r"|spat (?:at|on)|jumped|mugged|grabbed|shot)",
        # "nobody was hurt", "I wasn't hurt": NEGATION cancels these.
        r"(?:was|were|got|been) (?:badly |seriously |slightly )?(?:hurt|injured)",
        r"(?:physical(?:ly)?|sexual(?:ly)?) (?:assault\w*|attack\w*|violen\w*|abused?)",
        r"assault(?:ed)?|beat (?:me|us|him|her|them) up",
        rf"set (?:his|her|their|the|a) dogs? on {_VICTIM}",
        r"(?:put|had) (?:his|her|their) hands? (?:round|around|on) (?:my|his|her) (?:neck|throat)",
        r"pulled (?:my|her|his) hair",
        r"pulled (?:off )?(?:my|her) (?:hijab|headscarf|head scarf|turban|niqab|wig)",
        r"black eye|split lip|bloody nose|broken (?:nose|jaw|arm|rib|ribs|wrist|finger|leg|tooth"
        r"|teeth)|bruises|bruised|bruising|bleeding|concussion|stitches|injur(?:y|ies)",
    ),
    urgent_kind="violence",
    blockers=(NEGATION, IRREALIS, SELF),
)


HATE = _rule(
    "hate",
    "abuse based on ethnicity, nationality, religion, disability, sexual orientation or gender "
    "identity",
    (
        r"racis[mt]\w*|racial(?:ly)?|homophob\w*|transphob\w*|biphob\w*|islamophob\w*"
        r"|anti-? ?semit\w*|sectarian|xenophob\w*|hate (?:crime|incident)s?|disablist|ableist"
        r"|bigot\w*|nazi|swastikas?|heil hitler|sieg heil|kkk|white power",
        _SLUR,
        rf"{_NATION} (?:{_ABUSIVE_ADJ} )?(?:scum|bastards?|bitch(?:es)?|cows?|cunts?|c\*+t|rats?"
        r"|vermin|pigs?|dogs?|filth|twats?|pricks?|wankers?|slags?|whores?|freaks?|trash|rubbish"
        r"|parasites?|scroungers?|cockroaches|monkeys?|apes?|savages?|animals?)",
        r"you(?:'re| are|re)? (?:a )?(?:fucking |fkn |little |stupid |bloody )?(?:gay|queer"
        r"|lesbian|lezza)",
        rf"(?:dirty|filthy|fucking|fkn|f\*+ing|stupid|bloody|smelly|thieving) {_NATION}",
        r"go back to (?:poland|romania|lithuania|latvia|bulgaria|albania|africa|pakistan|india"
        r"|bangladesh|jamaica|china|syria|iraq|iran|afghanistan|somalia|nigeria|turkey|russia"
        r"|ukraine|ireland|scotland|wales|europe|the jungle)",
        r"go back to (?:your|ur|yer|my|our|their) (?:own )?(?:country|countries)"
        r"|(?:your|ur|yer) own country",
        r"(?:go )?back (?:to )?where (?:you|ya|u|they) (?:came|come|belong) from",
        r"send (?:you|u|ya|them) (?:all )?back|this is (?:my|our) country",
        r"(?:get|go) (?:out of|back to) (?:my|our|this) country",
        # "go home" is hate only when shouted at someone: straight after a quote or a comma
        # ('"you Polish scum, go home"', sample 18), never "he told me to go home".
        r'"go (?:back )?home|, go (?:back )?home|go (?:back )?home (?:you|ya|u)',
        r"(?:monkey|ape|chimp) (?:noises|sounds|gestures|chants)|(?:nazi|hitler) salute",
        r"because (?:i am|i'm|im|we are|we're|he is|she is|he's|she's|of (?:my|our|his|her)) "
        r"(?:\w+ )?(?:black|asian|muslim|jewish|sikh|hindu|gay|lesbian|bisexual|trans"
        r"|transgender|disabled|autistic|foreign|polish|race|religion|colour|skin|accent"
        r"|sexuality|disability|nationality|ethnicity|wheelchair|hijab|headscarf|turban|faith)",
        r"(?:about|mocking|mocked|mimicking|mimicked|imitating|imitated|laughing at|laughed at"
        r"|making fun of|made fun of|comments about|remarks about) (?:my|our|his|her) (?:\w+ )?"
        r"(?:race|religion|colour|skin|accent|sexuality|disability|nationality|ethnicity"
        r"|wheelchair|walking stick|crutches|hearing aids?|limp|stammer|hijab|headscarf|turban"
        r"|burka|burqa|niqab|kippah|yarmulke|gender|mosque|synagogue|faith|autism)",
        r"pulled (?:off )?(?:my|her) (?:hijab|headscarf|head scarf|turban|niqab)",
    ),
    blockers=(NEGATION,),
)

UNWANTED_DELIVERIES = _rule(
    "unwanted_deliveries",
    "gifts, taxis, food or goods sent in the resident's name",
    (
        # Here the negation is the point ("that I had not ordered"), so it sits inside the term
        # where NEGATION (which only looks before a hit) cannot cancel it.
        # The resident is the subject here ("I had not ordered"), so it sits inside the term,
        # out of reach of SELF.
        r"(?:(?:i|we) )?(?:(?:had|have|has|did|do|does|was|were)(?:n'?t| not)|not|never) "
        r"(?:ordered|order|booked|book|asked for|requested|arranged)",
        r"(?:ordered|booked|sent|called out) (?:a |an |two |three |several |some |\w+ )?(?:taxis?"
        r"|cabs?|pizzas?|takeaways?|ambulances?|undertakers?|locksmiths?|plumbers?|skips?"
        r"|fire engines?) (?:to|for) (?:me|us|my|our)",
        r"(?:booked|ordered|bought|purchased|sent|requested|arranged|placed) (?:\w+ ){0,3}?"
        r"(?:in|under|using) (?:my|our) (?:name|address|details|card)",
        r"unwanted (?:gifts?|presents?|deliveries|delivery|parcels?|packages?|flowers|taxis?"
        r"|pizzas?|takeaways?|food|items|post|mail|catalogues?)",
        r"(?:taxis?|cabs?|pizzas?|takeaways?|deliveries|couriers?|undertakers?|funeral directors?"
        r"|locksmiths?|plumbers?|skips?|estate agents?|delivery drivers?) (?:\w+ )?(?:turned up"
        r"|arrived|came|showed up|kept arriving|kept turning up|kept coming|pulled up) (?:for me"
        r"|for us|at my|at our|at the door|one after another|in my name|saying)",
        r"(?:left|sent|delivered) (?:me |us )?(?:a |some |more |another )?(?:bunch of )?"
        r"(?:flowers|gifts?|presents?|chocolates|teddy bears?|teddies|parcels?|packages?)",
        r"(?:flowers|gifts?|presents?|chocolates|teddy bears?|parcels?|packages?) (?:were |was "
        r"|had been |have been )?(?:left|sent|delivered) (?:to me|for me|on my|at my|outside my)",
        r"signed (?:me|us) up (?:to|for)",
    ),
    blockers=(NEGATION, SELF),
)

# Drilling and hammering through the wall is noise; "hammering on my door" is a visit.
_NOT_AT_DOOR = r"(?! (?:on|at) (?:my|our|the) (?:front |back )?(?:door|windows?))"

# "He reported me to the council for noise" is a complaint about the resident, not noise.
COMPLAINT = Blocker(
    "a complaint about the resident",
    re.compile(
        r"\b(?:reported|accused|accusing|complained about|complaining about) (?:me|us|my|our)\b"
    ),
    words=8,
    boundary=_SENTENCE_END,
)

NOISE = _rule(
    "noise",
    "noise nuisance: music, banging, parties, barking, DIY, shouting, vehicles",
    (
        r"loud(?:ly)? (?:\w+ )?(?:music|bass|noises?|banging|bangs?|voices|party|parties|tv"
        r"|television|telly|radio|shouting|screaming|arguing|thumping|stereo|speakers?|crash"
        r"|crashing|drilling|hammering|singing|laughing|talking|revving|exhausts?|engines?)",
        rf"bang(?:ing|ed|s)?{_NOT_AT_DOOR}|hammering{_NOT_AT_DOOR}",
        rf"(?:thumping|thudding|stamping|stomping|thuds|thumps){_NOT_AT_DOOR}",
        r"music|bass(?:line)?|jumping up and down|drill(?:ing|s)?|bark(?:ing|ed|s)?|howling"
        r"|yapping|rev(?:ving|ved|s)?|karaoke|stereos?|speakers?|sound ?systems?|blar(?:ing|ed"
        r"|es)|full (?:blast|volume)|racket|din|fireworks?|car alarms?"
        r"|vibrat(?:ing|ion|ions|ed|es)|(?:motor ?bikes?|scramblers?|quad ?bikes?|mopeds?"
        r"|dirt bikes?)",
        r"part(?<!third part)(?:y|ies|ying)(?! wall)",
        # "monkey noises" are racist abuse (HATE), not a noise nuisance.
        r"nois(?<!monkey nois)(?<!ape nois)(?<!chimp nois)(?:e|es|y)",
        r"(?:tv|television|telly|radio) (?:on |was |turned )?(?:loud|blaring|(?:right )?up"
        r"|full blast|at full volume)",
        r"slamm(?:ing|ed) (?:of )?(?:doors|the door|his door|her door|their door|car doors"
        r"|cupboards)|doors? slamm\w+",
        r"screaming and shouting|shouting and (?:screaming|laughing|singing|arguing|cheering)",
        r"(?:people|kids|children|voices|lads|youths|drunks|guests|teenagers|crowd|they were"
        r"|were all|men|women) (?:\w+ )?(?:shouting|screaming|yelling|arguing|singing)"
        r"(?! (?:abuse|at (?:me|us)|that))",
        r"could hear (?:them|him|her|people|the neighbours|next door) (?:\w+ )?(?:arguing"
        r"|shouting|screaming|rowing|fighting|banging|singing|partying)",
        r"shaking (?:my|the|our) (?:\w+ )?(?:windows?|walls?|house|floor|ceiling|flat)",
    ),
    blockers=(NEGATION, COMPLAINT),
)

# --- urgency-only rules -----------------------------------------------------------------------

WEAPON = _rule(
    URGENT_ONLY,
    "a weapon seen, carried or used",
    (),
    urgent=(
        # A kitchen "knife block" or "knife and fork" is not a weapon.
        r"knife(?! (?:block|drawer|rack|set|sharpener|and fork))|knives(?! (?:and forks|block"
        r"|drawer))",
        r"machetes?|swords?|samurai|blades?(?! of)|bladed|firearms?|pistols?|shotguns?|rifles?"
        r"|revolvers?|crossbows?|tasers?|stun guns?|pepper spray|cs (?:spray|gas)"
        r"|knuckle ?-?dusters?|acid(?! reflux| house| jazz)|ammonia|weapons?|baseball bats?"
        r"|crowbars?",
        r"gun(?<!nail gun)(?<!glue gun)(?<!water gun)(?<!staple gun)(?<!heat gun)(?<!spray gun)"
        r"(?<!starting gun)s?",
        # Everyday objects count only when aimed at a person: a brick through the windscreen of
        # an empty car is damage, not immediate danger (sample 21).
        r"(?:waving|waved|brandishing|brandished|wielding|wielded|armed with|swung|swinging"
        rf"|came at {_VICTIM} with|went for {_VICTIM} with|threatened {_VICTIM} with"
        rf"|hit {_VICTIM} with|attacked {_VICTIM} with|pulled out) (?:a|an|his|her|their|the"
        rf"|some|two|this|that) (?:\w+ ){{0,2}}?{_WEAPON_OBJECT}",
    ),
    urgent_kind="weapon",
)

DANGER = _rule(
    URGENT_ONLY,
    "immediate danger: the person is there now, or is getting into the home",
    (),
    urgent=(
        r"(?:outside|here|at (?:my|the) (?:front |back )?door|in (?:my|the|our) (?:garden|house"
        r"|flat|building|hallway|stairwell)) (?:right )?now",
        r"(?:is|are|'s|'re|s|re) still (?:outside|here|at (?:my|the) door|in the (?:garden"
        r"|building))",
        r"right now|as (?:i|we) (?:write|type|speak|am writing|am typing|am speaking)|as we speak",
        r"(?:trying|tried|tries|try) to (?:get|break|force|kick|smash|barge|climb) (?:in|into"
        r"|through|the door|my door|our door|down|(?:my|our|the) (?:front |back )?(?:door"
        r"|window) (?:in|down|open))",
        r"(?:kick|kicked|kicking|smash|smashed|smashing|force|forced|forcing|boot|booted|booting"
        r"|barge|barged|break|broke|breaking) (?:my|our|the) (?:front |back |flat |bedroom "
        r"|bathroom )?door (?:in|down|open)",
        r"forced (?:his|her|their|a|its) way (?:in|into)|barged (?:in|into (?:my|our|the) "
        r"(?:house|flat|home))|broken? into (?:my|our) (?:house|flat|home)",
        r"(?:fear|feared|fearing|scared|frightened|afraid|terrified) for (?:my|our|his|her|their"
        r"|the) (?:life|lives)",
        r"locked (?:myself|ourselves|us|me) in|(?:hiding|hid) in (?:the|my|our) (?:bathroom"
        r"|bedroom|toilet|kitchen)",
        r"(?:couldn't|could not|couldnt|can't|cannot|cant) breathe|unconscious|out cold",
    ),
    urgent_kind="immediate danger",
    blockers=(NEGATION, IRREALIS),
)

RULES: tuple[Rule, ...] = (
    PHONE_CALLS,
    LETTERS,
    EMAILS,
    MESSAGES,
    VISITS,
    STALKING,
    VERBAL_ABUSE,
    ONLINE_ABUSE,
    THREATS,
    PROPERTY_DAMAGE,
    VIOLENCE,
    HATE,
    UNWANTED_DELIVERIES,
    NOISE,
    WEAPON,
    DANGER,
)

# The location cell says where it happened. It only ever adds a channel ("Facebook group", "on
# the phone"), never a visit or stalking: "outside my front door" is not a visit (sample 1).
LOCATION_RULES: tuple[Rule, ...] = (
    _rule("online_abuse", "the incident happened online", (_PLATFORM,)),
    _rule("messages", "the incident was a message", (r"whats ?app|texts?|sms|messages?",)),
    _rule("emails", "the incident was an email", (r"e-?mails?",)),
    _rule("phone_calls", "the incident was a call", (r"(?:tele)?phone|landline|mobile|calls?",)),
)

_RULE_INDEX = _Index(RULES)
_LOCATION_INDEX = _Index(LOCATION_RULES)

# --- normalisation ----------------------------------------------------------------------------

_TRANSLATE = str.maketrans(
    dict.fromkeys("\u2018\u2019\u201a\u201b\u02bc\u2032\u00b4`", "'")
    | dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"')
    | dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-")
    | dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\u00ad")
)


# What `_TRANSLATE` does to ASCII text, as replacements (it only straightens the backtick).
_ASCII_CHANGES = tuple((chr(code), new or "") for code, new in _TRANSLATE.items() if code < 128)


def normalise(text: str) -> str:
    """Straight quotes and apostrophes, plain dashes, single spaces; case is kept."""
    if not text.isascii():
        return " ".join(text.translate(_TRANSLATE).split())
    for old, new in _ASCII_CHANGES:
        if old in text:
            text = text.replace(old, new)
    # Printable ASCII has no white space but the space; often nothing is left to do.
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())


def _prepare(text: str) -> tuple[str, str]:
    """(what the rules read, what reasons quote): the lower-cased and the cased normalised text.

    Lower-casing a few characters (such as "İ") changes the length; quotes then come from the
    lower-cased text so that match offsets still line up.
    """
    cased = normalise(text)
    lowered = cased.lower()
    return lowered, cased if len(lowered) == len(cased) else lowered


# --- the result -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Categorisation:
    """The categories of one incident, whether it is urgent, and why.

    `categories` is in `CATEGORIES` order: `("other",)` when there was text but no rule fired,
    `()` when there was no text. A reason reads 'category: "matched phrase"' or
    'urgent: kind "matched phrase"'.
    """

    categories: tuple[str, ...]
    urgent: bool
    reasons: tuple[str, ...]


_EMPTY = Categorisation(categories=(), urgent=False, reasons=())


def _quote(cased: str, match: re.Match[str]) -> str:
    phrase = cased[match.start() : match.end()]
    if len(phrase) > _MAX_QUOTE_CHARS:
        phrase = phrase[: _MAX_QUOTE_CHARS - 3].rstrip() + "..."
    return f'"{phrase}"'


def _first_hits(
    rules: tuple[Rule, ...], index: _Index, text: _Text, indexed: bool
) -> list[tuple[Rule, re.Match[str] | None, re.Match[str] | None]]:
    """Each rule that may have a hit in `text`, in order, with its first hit and first urgent hit.

    `indexed=False` scans every rule's whole alternation instead, as the index must reproduce.
    """
    if not indexed:
        return [(rule, *_scan(rule, rule._scanned_hits(text))) for rule in rules]
    return [
        (rule, *rule._first_hits(text, candidates))
        for rule, candidates in zip(rules, index.candidates(text), strict=True)
        if candidates
    ]


def _scan(
    rule: Rule, hits: Iterator[re.Match[str]]
) -> tuple[re.Match[str] | None, re.Match[str] | None]:
    """The rule's first counted hit, and its first urgent hit."""
    first: re.Match[str] | None = None
    for match in hits:
        if first is None:
            first = match
        if rule.is_urgent(match):
            return first, match
        if rule.urgent_kind is None:
            break
    return first, None


def categorise(description: str | None, *, location: str | None = None) -> Categorisation:
    """Categorise one incident from its description, helped by its location cell."""
    return _categorise(description, location, indexed=True)


def _categorise_unfiltered(
    description: str | None, *, location: str | None = None
) -> Categorisation:
    """`categorise` without the start-key index: every rule's alternation scans the whole text.

    Slow; it is what `categorise` must always agree with, and the tests check that it does.
    """
    return _categorise(description, location, indexed=False)


def _categorise(description: str | None, location: str | None, indexed: bool) -> Categorisation:
    if description is None:
        return _EMPTY
    lowered, cased = _prepare(description)
    if not lowered:
        return _EMPTY
    found: dict[str, str] = {}  # category -> reason
    urgent: dict[str, str] = {}  # urgent kind -> reason
    text = _Text(lowered, fast=indexed)
    for rule, first, urgent_hit in _first_hits(RULES, _RULE_INDEX, text, indexed):
        if first is not None and rule.name != URGENT_ONLY:
            found.setdefault(rule.name, f"{rule.name}: {_quote(cased, first)}")
        if urgent_hit is not None and rule.urgent_kind is not None:
            reason = f"urgent: {rule.urgent_kind} {_quote(cased, urgent_hit)}"
            urgent.setdefault(rule.urgent_kind, reason)
    if location is not None:
        _add_location(location, found, indexed)
    if not found:
        found[OTHER] = f"{OTHER}: no category rule matched"
    categories = tuple(sorted(found, key=_RANK.__getitem__))
    reasons = tuple(found[name] for name in categories) + tuple(urgent.values())
    return Categorisation(categories=categories, urgent=bool(urgent), reasons=reasons)


def _add_location(location: str, found: dict[str, str], indexed: bool) -> None:
    """Add the channel categories the location names to `found` (category -> reason).

    Name calling in an incident that happened online is online abuse, not verbal abuse
    (sample 12), so an online location takes verbal abuse back out, and says so.
    """
    channels = _location_channels(location) if indexed else _channels(location, indexed=False)
    for name, reason in channels:
        if name == "online_abuse" and found.pop("verbal_abuse", None) is not None:
            reason += " (name calling online is online abuse)"
        found.setdefault(name, reason)


def _channels(location: str, *, indexed: bool) -> tuple[tuple[str, str], ...]:
    """(category, reason) for each location rule with a hit in `location`, in rule order."""
    lowered, cased = _prepare(location)
    text = _Text(lowered, fast=indexed)
    return tuple(
        (rule.name, f"{rule.name}: location {_quote(cased, match)}")
        for rule, match, _ in _first_hits(LOCATION_RULES, _LOCATION_INDEX, text, indexed)
        if match is not None
    )


# A sheet repeats its location cells ("outside my front door"), so their channels are kept.
@lru_cache(maxsize=1024)
def _location_channels(location: str) -> tuple[tuple[str, str], ...]:
    return _channels(location, indexed=True)
