"""Argument types shared by the CLI's commands, with errors that say what to type."""

from __future__ import annotations

import argparse
import datetime as dt


def iso_datetime(text: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 time such as 2026-03-20T09:15:00+00:00"
        ) from err
