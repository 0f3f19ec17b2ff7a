"""Pure parsers: bytes and text in, frozen dataclasses out. No I/O, no settings, no clock."""

from parsers.model import SheetResult, Status
from parsers.sheet import PARSER_VERSION, parse_sheet

__all__ = ["PARSER_VERSION", "SheetResult", "Status", "parse_sheet"]
