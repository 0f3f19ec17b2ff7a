"""Time read_message over 1,000 generated emails: half plain enquiries, half carrying a .docx.

    .venv/bin/python tests/mime/bench_mime.py

Prints the cost per message; nothing is asserted (timings belong in reports, not in tests).
"""

from __future__ import annotations

import time
from email.message import EmailMessage
from pathlib import Path

from ingest.mime import read_message

REPO = Path(__file__).resolve().parents[2]
MESSAGES = 1000
ROUNDS = 3


def generated_emails(count: int) -> list[bytes]:
    docx = (REPO / "examples" / "table-python-docx.docx").read_bytes()
    emails = []
    for number in range(count):
        message = EmailMessage()
        message["From"] = f"Resident {number} <resident{number}@example.org>"
        message["To"] = "enquiries@housing.example.org"
        message["Subject"] = f"Enquiry {number}: repairs and my tenancy"
        message["Date"] = "Tue, 05 Mar 2024 10:00:00 +0000"
        message["Message-ID"] = f"<{number}@example.org>"
        body = "Dear team,\n\nThe boiler at flat 3 is still broken. " * 8
        message.set_content(body)
        message.add_alternative(
            f"<html><body><p>{body}</p><p>Kind regards</p></body></html>", subtype="html"
        )
        if number % 2:
            message.add_attachment(
                docx,
                maintype="application",
                subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
                filename=f"diary sheet {number}.docx",
            )
        emails.append(message.as_bytes())
    return emails


def main() -> None:
    emails = generated_emails(MESSAGES)
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for raw in emails:
            read_message(raw)
        best = min(best, time.perf_counter() - started)
    per_message_ms = best / MESSAGES * 1000
    print(f"read_message: {per_message_ms:.3f} ms per message over {MESSAGES} (best of {ROUNDS})")


if __name__ == "__main__":
    main()
