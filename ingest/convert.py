"""Legacy .doc -> .docx through LibreOffice, out of process, for sites that allow it.

The parser itself stays pure (a .doc is `needs_review`); this adapter runs `soffice` in a
throwaway profile and directory with a timeout, because a converter crash or hang must never
take the worker with it.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path


def soffice_available() -> bool:
    return shutil.which("soffice") is not None


def convert_legacy_doc(data: bytes, *, timeout_s: float = 60.0) -> bytes | None:
    """The .docx LibreOffice makes of `data`, or None when it cannot (not installed, failed)."""
    soffice = shutil.which("soffice")
    if soffice is None:
        return None
    with tempfile.TemporaryDirectory(prefix="diarydesk-convert-") as tmp:
        work = Path(tmp)
        source = work / "sheet.doc"
        source.write_bytes(data)
        command = [
            soffice,
            f"-env:UserInstallation=file://{work / 'profile'}",
            "--headless",
            "--convert-to",
            "docx:MS Word 2007 XML",
            "--outdir",
            str(work / "out"),
            str(source),
        ]
        try:
            subprocess.run(command, capture_output=True, timeout=timeout_s, check=False)
        except (subprocess.TimeoutExpired, OSError):
            return None
        converted = work / "out" / "sheet.docx"
        return converted.read_bytes() if converted.exists() else None
