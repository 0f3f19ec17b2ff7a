"""Domain errors raised inside the parser and turned into a status + problem at its boundary.

Each error carries a stable snake_case `code` (for machines and tests) and a `message` written for
the member of staff who will read it in the review queue: it says what is wrong and what to ask
the resident for. `parse_sheet` never lets any of these escape; it returns them as `Problem`s.
"""

from __future__ import annotations

from parsers.model import Problem, Status


class ParseError(Exception):
    """Base class: a file the parser could not turn into a diary sheet."""

    status: Status = Status.REJECTED

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def problem(self) -> Problem:
        return Problem(code=self.code, message=self.message)


class RejectedFile(ParseError):
    """Unsafe, broken, or not a Word document at all: nothing in it is read."""

    status = Status.REJECTED


class NeedsReview(ParseError):
    """A safe file we cannot read as a diary sheet; a person has to look at it."""

    status = Status.NEEDS_REVIEW
