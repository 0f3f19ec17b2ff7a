"""Read one attachment: the parser, plus LibreOffice for legacy .doc when the config allows."""

from __future__ import annotations

import datetime as dt

from ingest.config import ParserSettings
from ingest.convert import convert_legacy_doc
from parsers import SheetResult, parse_sheet
from parsers.package import Limits


def read_sheet(data: bytes, *, received: dt.datetime, settings: ParserSettings) -> SheetResult:
    limits = Limits(max_input_bytes=settings.max_attachment_mb * 1024 * 1024)
    result = parse_sheet(data, received=received, limits=limits)
    if (
        result.problem is not None
        and result.problem.code == "legacy_doc"
        and settings.convert_legacy_doc
    ):
        converted = convert_legacy_doc(data, timeout_s=settings.convert_timeout_s)
        if converted is not None:
            result = parse_sheet(converted, received=received, limits=limits)
    return result
