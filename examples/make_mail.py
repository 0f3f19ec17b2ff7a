"""Write examples/mail: a Maildir of the emails an enquiries inbox gets, for `make demo`.

Run it again after changing the example sheets: `python examples/make_mail.py`. The files are
committed, so the demo needs nothing but the repository. Every email is made with the `email`
package the way a mail client would make it: a sheet attached normally, one forwarded inside
another email, one sent as application/octet-stream, a PDF nobody can parse, a reply quoting
only a police reference, and two ordinary enquiries that must stay in the inbox untouched.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import os
import shutil
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
MAILDIR = HERE / "mail"
TEAM = "asb-enquiries@example-housing.org.uk"
DOCX = "vnd.openxmlformats-officedocument.wordprocessingml.document"
# A fixed clock: the files (and so their hashes) are the same on every run.
BASE = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=0)))


def _message(sender: str, subject: str, body: str, hours: int) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = TEAM
    message["Subject"] = subject
    message["Date"] = format_datetime(BASE + dt.timedelta(hours=hours))
    message["Message-ID"] = f"<demo{hours}.diarydesk@mail.example.org>"
    message.set_content(body)
    return message


def _attach(message: EmailMessage, sheet: str, filename: str, subtype: str = DOCX) -> None:
    data = (HERE / sheet).read_bytes()
    message.add_attachment(data, maintype="application", subtype=subtype, filename=filename)


def emails() -> list[tuple[str, EmailMessage]]:
    out: list[tuple[str, EmailMessage]] = []

    patel = _message(
        "Aisha Patel <aisha.patel@example.net>",
        "Diary sheets - Gary next door",
        "Hello,\n\nPlease find my diary sheets attached. I reported it to the police, the "
        "reference is 43260012345 and the officer is PC 4471 Green.\n\nAisha Patel\n",
        hours=1,
    )
    _attach(patel, "table-python-docx.docx", "Diary sheet Nov.docx")
    out.append(("1764493200.M1P1.demo", patel))

    reid = _message(
        "Callum Reid <callum.reid@example.com>",
        "My diary",
        "Diary attached, thanks.\n",
        hours=2,
    )
    _attach(reid, "table-libreoffice.docx", "diary.docx")
    out.append(("1764496800.M2P1.demo", reid))

    inner = _message(
        "Linda Okafor <linda.okafor@example.net>",
        "what happened this week",
        "I've written it all down in the attached.\n",
        hours=3,
    )
    _attach(inner, "free-text.docx", "Incidents.docx")
    forward = _message(
        "Neighbourhood Office <office@example-housing.org.uk>",
        "Fwd: what happened this week",
        "Forwarding Mrs Okafor's diary, sent to the wrong address.\n",
        hours=4,
    )
    forward.add_attachment(inner)
    out.append(("1764500400.M3P1.demo", forward))

    barker = _message(
        "Chloe Barker <chloe.barker@example.org>",
        "incident forms",
        "Here are the forms.\n",
        hours=5,
    )
    # Some webmail sends every attachment as octet-stream: the content decides, not the label.
    _attach(barker, "form-per-incident.docx", "forms.docx", subtype="octet-stream")
    out.append(("1764504000.M4P1.demo", barker))

    scan = _message(
        "Ravi Sharma <ravi.sharma@example.com>",
        "noise diary",
        "I printed and scanned my diary, attached.\n",
        hours=6,
    )
    scan.add_attachment(
        b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
        maintype="application",
        subtype="pdf",
        filename="noise diary scan.pdf",
    )
    out.append(("1764507600.M5P1.demo", scan))

    reply = _message(
        "Aisha Patel <aisha.patel@example.net>",
        "Re: Diary sheets - Gary next door",
        "Sorry, I forgot: the crime number for the car is 43260012399, PC 4471 Green.\n",
        hours=7,
    )
    out.append(("1764511200.M6P1.demo", reply))

    boiler = _message(
        "Tom Ellis <t.ellis@example.com>",
        "Boiler not working",
        "Hi, my boiler has stopped working again, can someone come out? Flat 3.\n",
        hours=8,
    )
    out.append(("1764514800.M7P1.demo", boiler))

    rent = _message(
        "Jo Whitfield <jo.whitfield@example.org>",
        "Rent statement",
        "Could you send me a rent statement for this year please?\n",
        hours=9,
    )
    out.append(("1764518400.M8P1.demo", rent))
    return out


def main() -> None:
    if MAILDIR.exists():
        shutil.rmtree(MAILDIR)
    for sub in ("cur", "new", "tmp"):
        (MAILDIR / sub).mkdir(parents=True)
    for key, message in emails():
        # Fixed boundaries too, so the bytes (and the demo's hashes) never change.
        for number, part in enumerate(message.walk()):
            if part.is_multipart():
                part.set_boundary(f"demo-{key}-{number}")
        path = MAILDIR / "new" / key
        path.write_bytes(message.as_bytes())
        # Delivery order is the file's mtime; make it the Date header's.
        when = email.utils.parsedate_to_datetime(str(message["Date"])).timestamp()
        os.utime(path, (when, when))
    print(f"wrote {len(emails())} emails to {MAILDIR}")


if __name__ == "__main__":
    main()
