"""read_message, from the sender's side: real emails built with the email package (and raw bytes
where a mail client writes what the package would not), in; what the worker needs, out.

The winmail.dat cases use tests/mime/winmail.dat, written by tests/mime/make_fixtures.py to the
[MS-OXTNEF] layout; test_committed_winmail_is_real_tnef proves tnefparse itself reads it.
"""

from __future__ import annotations

import datetime as dt
import re
from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import SMTP
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tnefparse import TNEF

from ingest.mime import MAX_FORWARD_DEPTH, MAX_SHEETS, MailContent, Part, read_message
from parsers import Status, parse_sheet
from tests.mime.make_fixtures import (
    BODY,
    DOCX_LONG_NAME,
    MINIMAL_PDF,
    PDF_TITLE,
    SIGNATURE_PNG,
    TnefFile,
    build_tnef,
    committed_winmail,
)

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
DOCX = (EXAMPLES / "table-python-docx.docx").read_bytes()
SMALL_DOCX = (EXAMPLES / "content-controls.docx").read_bytes()
WINMAIL = (REPO / "tests" / "mime" / "winmail.dat").read_bytes()
WORDML = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
RECEIVED = dt.date(2026, 3, 12)


def enquiry(
    subject: str = "Diary sheet",
    body: str = "Please find my diary sheet attached.",
    sender: str = "Aisha Patel <aisha@example.org>",
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "asb@housing.example.org"
    message["Subject"] = subject
    message["Date"] = "Tue, 05 Mar 2024 10:00:00 +0000"
    message["Message-ID"] = "<diary-1@example.org>"
    message.set_content(body)
    return message


def attach(
    message: EmailMessage,
    data: bytes,
    content_type: str = WORDML,
    filename: str | None = "diary.docx",
    disposition: str = "attachment",
) -> EmailMessage:
    maintype, subtype = content_type.split("/")
    message.add_attachment(
        data, maintype=maintype, subtype=subtype, filename=filename, disposition=disposition
    )
    return message


def read(message: EmailMessage | MIMEMultipart | bytes) -> MailContent:
    raw = message if isinstance(message, bytes) else message.as_bytes()
    return read_message(raw)


def names(content: MailContent) -> list[str]:
    return [part.filename for part in content.sheets]


def raw_email(headers: str, parts: list[tuple[str, bytes]]) -> bytes:
    """A multipart/mixed email written byte for byte: (part headers, part body) pairs."""
    out = [headers.strip().encode() + b'\r\nContent-Type: multipart/mixed; boundary="XX"\r\n\r\n']
    for part_headers, body in parts:
        out.append(b"--XX\r\n" + part_headers.strip().encode("utf-8") + b"\r\n\r\n" + body)
        out.append(b"\r\n")
    out.append(b"--XX--\r\n")
    return b"".join(out)


def b64(data: bytes) -> bytes:
    import base64

    return base64.encodebytes(data)


# --- the ordinary cases -------------------------------------------------------------------


def test_docx_attached_normally_is_the_one_sheet_with_its_exact_bytes() -> None:
    content = read(attach(enquiry(), DOCX, filename="Diary sheet March.docx"))

    assert content.sheets == (Part("Diary sheet March.docx", DOCX, WORDML, "attachment"),)
    assert content.problems == ()
    assert content.subject == "Diary sheet"
    assert content.sender == "aisha@example.org"
    assert content.sender_name == "Aisha Patel"
    assert content.message_id == "<diary-1@example.org>"
    assert content.date == dt.datetime(2024, 3, 5, 10, 0, tzinfo=dt.UTC)
    assert "Please find my diary sheet attached." in content.text
    assert parse_sheet(content.sheets[0].data, received=RECEIVED).status is Status.PARSED


def test_plain_enquiry_has_no_sheets_and_its_body_is_text() -> None:
    content = read(enquiry(subject="Repairs", body="The boiler at flat 3 is broken."))

    assert content.sheets == ()
    assert content.text == "Repairs\n\nThe boiler at flat 3 is broken."
    assert content.problems == ()


def test_mimemultipart_built_email_with_octet_stream_diary_sheet() -> None:
    message = MIMEMultipart()
    message["From"] = "resident@example.org"
    message["Subject"] = "my diary"
    message.attach(MIMEText("attached", "plain"))
    part = MIMEApplication(DOCX, "octet-stream")
    part.add_header("Content-Disposition", "attachment", filename="Diary sheet.docx")
    message.attach(part)

    content = read(message)

    assert content.sheets == (
        Part("Diary sheet.docx", DOCX, "application/octet-stream", "attachment"),
    )
    assert content.sender_name is None


def test_sender_address_is_bare_and_lower_case_and_name_decoded() -> None:
    raw = (
        b"From: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <Juergen.Mueller@Example.ORG>\r\n"
        b"Subject: hi\r\n\r\nbody\r\n"
    )
    content = read_message(raw)

    assert content.sender == "juergen.mueller@example.org"
    assert content.sender_name == "Jürgen Müller"


@pytest.mark.parametrize(
    ("header", "sender", "name"),
    [
        ("aisha@example.org", "aisha@example.org", None),
        ('"Patel, Aisha" <AISHA@example.org>', "aisha@example.org", "Patel, Aisha"),
        ("aisha@example.org (Aisha Patel)", "aisha@example.org", "Aisha Patel"),
        ("Aisha Patel", None, None),
        ("", None, None),
    ],
)
def test_sender_forms(header: str, sender: str | None, name: str | None) -> None:
    content = read_message(f"From: {header}\r\nSubject: x\r\n\r\nbody\r\n".encode())

    assert (content.sender, content.sender_name) == (sender, name)


def test_rfc2047_subject_split_mid_character_across_words_is_joined() -> None:
    # "März" with the two UTF-8 bytes of "ä" split across two adjacent base64 words.
    raw = b"Subject: Tagebuch =?utf-8?b?TcM=?=\r\n =?utf-8?b?pHJ6?= neu\r\n\r\nbody\r\n"

    assert read_message(raw).subject == "Tagebuch März neu"


# --- forwarded email -----------------------------------------------------------------------


def test_forwarded_email_carries_its_docx_and_its_text() -> None:
    original = attach(
        enquiry(subject="diary for March", body="Ref CAD 4411/02MAR24, PC 2231 Whitlock."),
        DOCX,
        filename="march.docx",
    )
    forward = enquiry(subject="Fwd: diary for March", body="Forwarding for my mum.")
    forward.add_attachment(original)

    content = read(forward)

    assert content.sheets == (Part("march.docx", DOCX, WORDML, "forwarded"),)
    assert "Fwd: diary for March" in content.text
    assert "diary for March\n\nRef CAD 4411/02MAR24, PC 2231 Whitlock." in content.text
    assert content.subject == "Fwd: diary for March"


def test_forward_of_a_forward_reaches_the_innermost_attachment() -> None:
    original = attach(enquiry(subject="original", body="PC 1234 Smith"), DOCX, filename="a.docx")
    first = enquiry(subject="Fwd: original", body="first forward")
    first.add_attachment(original)
    second = attach(
        enquiry(subject="Fwd: Fwd: original", body="second"),
        MINIMAL_PDF,
        "application/pdf",
        "b.pdf",
    )
    second.add_attachment(first)

    content = read(second)

    assert [(p.filename, p.origin) for p in content.sheets] == [
        ("b.pdf", "attachment"),
        ("a.docx", "forwarded"),
    ]
    assert "PC 1234 Smith" in content.text
    assert content.sheets[1].data == DOCX


def test_forwarded_message_bodies_are_not_sheets() -> None:
    inner = enquiry(subject="inner", body="just words")
    inner.add_alternative("<p>just <b>words</b></p>", subtype="html")
    outer = enquiry(subject="Fwd: inner")
    outer.add_attachment(inner)

    assert read(outer).sheets == ()


def test_eml_file_attached_as_octet_stream_is_read_as_a_forward() -> None:
    inner = attach(enquiry(subject="inner", body="PC 99 Brown"), DOCX, filename="inside.docx")
    outer = attach(enquiry(), inner.as_bytes(), "application/octet-stream", "Fwd diary.eml")

    content = read(outer)

    assert content.sheets == (Part("inside.docx", DOCX, WORDML, "forwarded"),)
    assert "PC 99 Brown" in content.text


def test_base64_encoded_message_rfc822_part_is_unwrapped() -> None:
    inner = attach(enquiry(subject="inner"), DOCX, filename="inside.docx").as_bytes()
    raw = raw_email(
        "From: a@example.org\r\nSubject: outer",
        [
            ("Content-Type: text/plain", b"see attached"),
            ("Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64", b64(inner)),
        ],
    )

    content = read_message(raw)

    assert names(content) == ["inside.docx"]
    assert content.sheets[0].data == DOCX


def test_forwards_nested_past_the_limit_stop_with_a_problem() -> None:
    message = attach(enquiry(subject="level 0"), DOCX, filename="deepest.docx")
    for level in range(1, MAX_FORWARD_DEPTH + 3):
        outer = enquiry(subject=f"level {level}")
        outer.add_attachment(message)
        message = outer

    content = read(message)

    assert content.sheets == ()
    assert any("nested more than 10 deep" in problem for problem in content.problems)
    assert f"level {MAX_FORWARD_DEPTH + 2}" in content.text


def test_forwards_within_the_limit_are_all_read() -> None:
    message = attach(enquiry(subject="level 0"), DOCX, filename="deepest.docx")
    for level in range(1, MAX_FORWARD_DEPTH + 1):
        outer = enquiry(subject=f"level {level}")
        outer.add_attachment(message)
        message = outer

    content = read(message)

    assert names(content) == ["deepest.docx"]
    assert content.problems == ()


def nested_multiparts(levels: int, leaf: bytes) -> bytes:
    inner = leaf
    for level in range(levels):
        inner = b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n%s--b%d--\r\n" % (
            level,
            level,
            inner,
            level,
        )
    return b"From: a@example.org\r\n" + inner


def test_parts_nested_past_the_mime_depth_limit_are_skipped_with_a_problem() -> None:
    leaf = b"Content-Type: application/pdf\r\n\r\n" + MINIMAL_PDF
    assert names(read_message(nested_multiparts(30, leaf))) == ["attachment-1.pdf"]

    content = read_message(nested_multiparts(100, leaf))

    assert content.sheets == ()
    assert content.problems == (
        "the email nests parts more than 40 deep; the parts below that level were not read — "
        "open the email in a mail program to look for a diary sheet there",
    )


def test_thousands_of_nested_multiparts_give_a_problem_not_an_exception() -> None:
    content = read_message(nested_multiparts(3000, b"Content-Type: text/plain\r\n\r\nleaf\r\n"))

    assert content.sheets == ()
    assert len(content.problems) == 1
    assert "nested too deeply" in content.problems[0] or "more than 40 deep" in content.problems[0]


# --- winmail.dat -------------------------------------------------------------------------


def test_committed_winmail_is_real_tnef() -> None:
    tnef = TNEF(WINMAIL)

    assert len(tnef.attachments) == 3
    assert tnef.attachments[0].long_filename() == DOCX_LONG_NAME
    assert tnef.attachments[0].data == SMALL_DOCX
    assert tnef.body == BODY
    assert all(obj.good_checksum for obj in tnef.objects)


def test_committed_winmail_is_what_make_fixtures_writes() -> None:
    assert committed_winmail() == WINMAIL, "run .venv/bin/python tests/mime/make_fixtures.py"


def test_winmail_dat_attachments_become_sheets_and_its_body_text() -> None:
    message = attach(enquiry(body=""), WINMAIL, "application/ms-tnef", "winmail.dat")

    content = read(message)

    assert content.sheets == (
        Part(DOCX_LONG_NAME, SMALL_DOCX, WORDML, "winmail.dat"),
        Part(PDF_TITLE, MINIMAL_PDF, "application/octet-stream", "winmail.dat"),
    )
    assert "PC 4567 Jones, ref CAD 2211/04MAR24" in content.text
    assert content.problems == ()
    assert parse_sheet(content.sheets[0].data, received=RECEIVED).status is Status.PARSED


def test_winmail_dat_labelled_octet_stream_is_still_unwrapped() -> None:
    content = read(attach(enquiry(), WINMAIL, "application/octet-stream", "winmail.dat"))

    assert names(content) == [DOCX_LONG_NAME, PDF_TITLE]


def test_winmail_dat_that_cannot_be_decoded_is_kept_whole_with_a_problem() -> None:
    # An attachment attribute before any attAttachRendData: tnefparse cannot place it.
    broken = WINMAIL[:6] + WINMAIL[WINMAIL.index(b"\x02\x0f\x80") :]
    content = read(attach(enquiry(), broken, "application/ms-tnef", "winmail.dat"))

    assert content.sheets == (Part("winmail.dat", broken, "application/ms-tnef", "winmail.dat"),)
    assert len(content.problems) == 1
    assert content.problems[0].startswith("winmail.dat could not be decoded: ")
    assert "Rich Text" in content.problems[0]


def test_ms_tnef_part_without_the_signature_is_kept_with_a_problem() -> None:
    content = read(attach(enquiry(), b"not tnef at all", "application/ms-tnef", None))

    assert names(content) == ["winmail.dat"]
    assert "not TNEF" in content.problems[0]


def test_damaged_winmail_dat_still_gives_its_files_and_says_so() -> None:
    tnef = bytearray(build_tnef([TnefFile(b"DIARY~1.DOC", SMALL_DOCX, "diary.docx")]))
    tnef[-200] ^= 0xFF  # inside attAttachData: its checksum no longer matches
    content = read(attach(enquiry(), bytes(tnef), "application/ms-tnef", "winmail.dat"))

    assert names(content) == ["diary.docx"]
    assert any("winmail.dat is damaged" in problem for problem in content.problems)


def test_outlook_message_embedded_in_winmail_dat_gives_its_attachments() -> None:
    from tests.mime.make_fixtures import (
        ATT_ATTACH_REND_DATA,
        ATT_ATTACHMENT,
        LVL_ATTACHMENT,
        attribute,
        mapi_props,
    )

    embedded = build_tnef([TnefFile(b"INNER~1.DOC", SMALL_DOCX, "inner diary.docx")]) + b"\x01"
    imessage = b"\x07\x03\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46"
    rend = b"\x01\x00\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00"
    props = mapi_props([(0x0003, 0x3705, 5), (0x000D, 0x3701, imessage + embedded)])
    outer = build_tnef([]) + attribute(LVL_ATTACHMENT, ATT_ATTACH_REND_DATA, rend)
    outer += attribute(LVL_ATTACHMENT, ATT_ATTACHMENT, props)

    content = read(attach(enquiry(), outer, "application/ms-tnef", "winmail.dat"))

    assert names(content) == ["inner diary.docx"]
    assert content.sheets[0].data == SMALL_DOCX


# --- what counts as a sheet ----------------------------------------------------------------


def test_octet_stream_named_docx_is_a_sheet() -> None:
    content = read(attach(enquiry(), DOCX, "application/octet-stream", "Diary sheet.docx"))

    assert content.sheets == (
        Part("Diary sheet.docx", DOCX, "application/octet-stream", "attachment"),
    )


@pytest.mark.parametrize("filename", ["Tagebuch-März.docx", "dïary – sheet.docx"])
def test_rfc2231_encoded_non_ascii_filename_is_decoded(filename: str) -> None:
    message = attach(enquiry(), DOCX, "application/octet-stream", filename)
    raw = message.as_bytes()
    assert b"filename*=utf-8''" in raw  # the email package wrote RFC 2231

    assert names(read_message(raw)) == [filename]


def test_rfc2231_continuations_are_joined() -> None:
    raw = raw_email(
        "From: a@example.org",
        [
            (
                "Content-Type: application/octet-stream\r\n"
                "Content-Transfer-Encoding: base64\r\n"
                "Content-Disposition: attachment;\r\n"
                " filename*0*=utf-8''Tagebuch-M%C3%A4rz-;\r\n"
                " filename*1*=Teil%202.docx",
                b64(DOCX),
            )
        ],
    )

    assert names(read_message(raw)) == ["Tagebuch-März-Teil 2.docx"]


ENCODED_NAME = "=?UTF-8?B?ZMOvYXJ5IOKAkyBzaGVldC5kb2N4?="  # "dïary – sheet.docx"


def test_rfc2047_encoded_filename_is_decoded() -> None:
    # Outlook and Gmail put encoded words inside the quoted name, which RFC 2047 forbids.
    raw = raw_email(
        "From: a@example.org",
        [
            (
                f'Content-Type: application/octet-stream; name="{ENCODED_NAME}"\r\n'
                "Content-Transfer-Encoding: base64\r\n"
                f'Content-Disposition: attachment; filename="{ENCODED_NAME}"',
                b64(DOCX),
            )
        ],
    )

    assert names(read_message(raw)) == ["dïary – sheet.docx"]


def test_raw_utf8_filename_is_decoded_not_replaced() -> None:
    raw = raw_email(
        "From: a@example.org",
        [
            (
                "Content-Type: application/octet-stream\r\n"
                "Content-Transfer-Encoding: base64\r\n"
                'Content-Disposition: attachment; filename="Tagebuch-März.docx"',
                b64(DOCX),
            )
        ],
    )

    assert names(read_message(raw)) == ["Tagebuch-März.docx"]


def test_raw_utf8_subject_and_sender_name_are_decoded() -> None:
    raw = "From: Zoë Brontë <zoe@example.org>\r\nSubject: Tagebuch März\r\n\r\nbody\r\n".encode()

    content = read_message(raw)

    assert (content.subject, content.sender_name) == ("Tagebuch März", "Zoë Brontë")


@pytest.mark.parametrize(
    ("given_name", "shown"),
    [
        ("C:\\Users\\aisha\\Documents\\diary.docx", "diary.docx"),
        ("../../etc/diary.docx", "diary.docx"),
        ("diary\x00\x07sheet.docx", "diary sheet.docx"),
        ("invoice\u202excod.docx", "invoice xcod.docx"),
        ("  spaced\tout \r\n name.docx ", "spaced out name.docx"),
        ("/", "attachment-1.docx"),
        ("..", "attachment-1.docx"),
    ],
)
def test_filenames_are_safe_to_display(given_name: str, shown: str) -> None:
    raw = raw_email(
        "From: a@example.org",
        [
            (
                f"Content-Type: {WORDML}\r\nContent-Transfer-Encoding: base64\r\n"
                "Content-Disposition: attachment; filename*=utf-8''"
                + "".join(f"%{byte:02X}" for byte in given_name.encode()),
                b64(DOCX),
            )
        ],
    )

    assert names(read_message(raw)) == [shown]


def test_very_long_filename_is_shortened_keeping_its_extension() -> None:
    content = read(attach(enquiry(), DOCX, filename="diary " * 60 + ".docx"))

    (name,) = names(content)
    assert len(name) <= 150
    assert name.endswith(".docx")


def test_inline_word_part_is_a_sheet_marked_inline() -> None:
    content = read(attach(enquiry(), DOCX, WORDML, "diary.docx", disposition="inline"))

    assert content.sheets == (Part("diary.docx", DOCX, WORDML, "inline"),)


@pytest.mark.parametrize(
    "content_type", ["application/zip", "text/plain", "application/octet-stream"]
)
def test_mislabelled_unnamed_docx_is_sniffed(content_type: str) -> None:
    # What phones send: no name, no disposition, and a type that says nothing about Word.
    message = MIMEMultipart()
    message["From"] = "a@example.org"
    message.attach(MIMEText("see attached"))
    part = MIMEApplication(DOCX, "octet-stream")
    part.replace_header("Content-Type", content_type)
    message.attach(part)

    content = read(message)

    assert content.sheets == (Part("attachment-1.docx", DOCX, content_type, "attachment"),)
    assert content.text == "see attached"


def test_unnamed_parts_are_numbered_in_order() -> None:
    message = attach(enquiry(), DOCX, "application/octet-stream", None)
    attach(message, MINIMAL_PDF, "application/pdf", None)
    attach(message, OLE_MAGIC + b"\0" * 600, "application/octet-stream", None)

    assert names(read(message)) == ["attachment-1.docx", "attachment-2.pdf", "attachment-3.doc"]


def test_unnamed_odt_is_sniffed() -> None:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as odt:
        odt.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        odt.writestr("content.xml", "<office:document-content/>")
    content = read(attach(enquiry(), buffer.getvalue(), "application/octet-stream", None))

    assert names(content) == ["attachment-1.odt"]


def test_a_zip_that_is_not_a_document_is_not_a_sheet() -> None:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("photos/1.jpg", b"\xff\xd8\xff")
    content = read(attach(enquiry(), buffer.getvalue(), "application/zip", "photos.zip"))

    assert content.sheets == ()


def test_pdf_is_a_sheet_candidate() -> None:
    content = read(attach(enquiry(), MINIMAL_PDF, "application/pdf", "diary.pdf"))

    assert content.sheets == (Part("diary.pdf", MINIMAL_PDF, "application/pdf", "attachment"),)


@pytest.mark.parametrize(
    ("filename", "content_type"),
    [
        ("old diary.doc", "application/msword"),
        ("diary.rtf", "application/rtf"),
        ("diary.odt", "application/vnd.oasis.opendocument.text"),
        ("diary.docm", "application/vnd.ms-word.document.macroenabled.12"),
        (
            "template.dotx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.template",
        ),
        ("diary.DOCX", "application/octet-stream"),
        ("notes.txt", "text/plain"),
    ],
)
def test_documents_by_name_or_type_are_sheets(filename: str, content_type: str) -> None:
    data = b"some words, not a real document"
    content = read(attach(enquiry(), data, content_type, filename))

    assert content.sheets == (Part(filename, data, content_type, "attachment"),)


def test_a_sheet_named_docx_that_is_an_image_still_goes_to_the_parser() -> None:
    # The parser rejects it with a reason staff can act on; dropped here nobody would know.
    content = read(attach(enquiry(), SIGNATURE_PNG, "image/png", "diary.docx"))

    assert names(content) == ["diary.docx"]


@pytest.mark.parametrize(
    ("filename", "kept"),
    [
        ("image001.png", False),
        ("company-logo.png", False),
        ("IMG_2041.jpg", False),
        ("diary page 2.jpg", True),
        ("Incident 3 March.png", True),
        ("noise log.jpeg", True),
        ("sheet1.png", True),
    ],
)
def test_images_are_sheets_only_when_named_like_a_diary(filename: str, kept: bool) -> None:
    content = read(attach(enquiry(), SIGNATURE_PNG, "image/png", filename))

    assert names(content) == ([filename] if kept else [])


@pytest.mark.parametrize(
    ("content_type", "filename", "data"),
    [
        ("text/calendar", "invite.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"),
        ("text/vcard", "aisha.vcf", b"BEGIN:VCARD\r\nEND:VCARD\r\n"),
        ("application/pkcs7-signature", "smime.p7s", b"\x30\x82\x01\x00"),
        ("application/x-pkcs7-signature", "smime.p7s", b"\x30\x82\x01\x00"),
        ("image/gif", None, b"GIF89a\x01\x00"),
    ],
)
def test_invites_cards_signatures_and_images_are_not_sheets(
    content_type: str, filename: str | None, data: bytes
) -> None:
    content = read(attach(enquiry(), data, content_type, filename))

    assert content.sheets == ()


def test_delivery_status_report_is_not_read_as_sheets_or_text() -> None:
    raw = (
        b"From: MAILER-DAEMON@example.org\r\nSubject: Undelivered\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="R"\r\n\r\n'
        b"--R\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        b"--R\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.example.org\r\n\r\nFinal-Recipient: rfc822; x@example.org\r\n"
        b"Action: failed\r\nStatus: 5.1.1\r\n"
        b"--R--\r\n"
    )
    content = read_message(raw)

    assert content.sheets == ()
    assert "Reporting-MTA" not in content.text
    assert "could not be delivered" in content.text


@pytest.mark.parametrize(
    ("content_type", "filename"),
    [("application/pkcs7-mime", "smime.p7m"), ("application/pgp-encrypted", None)],
)
def test_encrypted_email_says_it_cannot_be_read(content_type: str, filename: str | None) -> None:
    content = read(attach(enquiry(), b"\x30\x80 ciphertext", content_type, filename))

    assert content.sheets == ()
    assert any("encrypted" in problem for problem in content.problems)


def test_body_parts_are_never_sheets() -> None:
    message = enquiry(body="plain body")
    message.add_alternative("<p>html body</p>", subtype="html")

    assert read(message).sheets == ()


def test_exchange_body_fragments_are_text_not_sheets() -> None:
    message = attach(enquiry(body="first half"), DOCX, filename="diary.docx")
    attach(message, b"Disclaimer: PC 77 Green.", "text/plain", "ATT00001.txt")

    content = read(message)

    assert names(content) == ["diary.docx"]
    assert "PC 77 Green" in content.text


def test_more_than_fifty_candidates_keeps_the_first_fifty_with_a_problem() -> None:
    message = enquiry()
    for number in range(60):
        attach(message, SMALL_DOCX, "application/octet-stream", f"sheet {number:02}.docx")

    content = read(message)

    assert len(content.sheets) == MAX_SHEETS
    assert names(content) == [f"sheet {number:02}.docx" for number in range(50)]
    assert any("60 possible diary-sheet attachments" in problem for problem in content.problems)


def test_damaged_base64_attachment_is_kept_with_a_problem() -> None:
    raw = raw_email(
        "From: a@example.org",
        [
            (
                "Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
                'Content-Disposition: attachment; filename="diary.pdf"',
                b64(MINIMAL_PDF)[:-6] + b"!!\r\n",
            )
        ],
    )
    content = read_message(raw)

    assert names(content) == ["diary.pdf"]
    assert any("damaged base64" in problem for problem in content.problems)


# --- text for reference search --------------------------------------------------------------


def test_html_only_body_gives_its_police_references_as_text() -> None:
    message = EmailMessage()
    message["From"] = "aisha@example.org"
    message["Subject"] = "Incident last night"
    message.set_content(
        "<html><head><title>ignore me</title><style>p {color: red}</style></head><body>"
        "<p>Dear team,</p><p>I rang the police: <b>CAD&nbsp;1234/05MAR24</b>.<br>"
        "The officer was <span>PC</span> 1234 <i>Smith</i>&nbsp;&amp; he&#39;ll call.</p>"
        "<script>var x = 'PC 9999 Fake';</script><!-- a comment --><table><tr><td>Date</td>"
        "<td>5 March</td></tr></table></body></html>",
        subtype="html",
    )

    content = read(message)

    assert content.sheets == ()
    assert content.text == (
        "Incident last night\n\nDear team,\n\nI rang the police: CAD 1234/05MAR24.\n"
        "The officer was PC 1234 Smith & he'll call.\n\nDate 5 March"
    )


def test_html_with_an_xml_declaration_and_a_charset_meta_is_read() -> None:
    html = (
        '<?xml version="1.0" encoding="iso-8859-1"?><html><head>'
        '<meta charset="iso-8859-1"></head><body>Zoë saw PC 12 Jones</body></html>'
    )
    message = EmailMessage()
    message.set_content(html, subtype="html", charset="utf-8")

    assert "Zoë saw PC 12 Jones" in read(message).text


@pytest.mark.parametrize(
    ("charset", "data", "expected"),
    [
        ("iso-8859-1", "Zoë".encode("latin-1"), "Zoë"),
        ("windows-1252", "it’s".encode("cp1252"), "it’s"),
        ("us-ascii", "Zoë".encode(), "Zoë"),  # mislabelled UTF-8
        ("x-no-such-charset", "Zoë".encode(), "Zoë"),
        ("x-no-such-charset", "Zoë".encode("cp1252"), "Zoë"),
        ("utf-8", b"Zo\xeb", "Zoë"),  # declared UTF-8 that is not
        ("punycode", b"plain", "plain"),
    ],
)
def test_body_charsets_are_honoured_with_fallbacks(
    charset: str, data: bytes, expected: str
) -> None:
    raw = (
        b"Content-Type: text/plain; charset=" + charset.encode() + b"\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + data + b"\r\n"
    )

    assert read_message(raw).text == expected


def test_quoted_printable_body_is_decoded() -> None:
    raw = (
        b"Subject: qp\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        b"PC 1234 Sm=\r\nith said Zo=C3=AB\r\n"
    )

    assert read_message(raw).text == "qp\n\nPC 1234 Smith said Zoë"


def test_text_has_no_nul_or_control_characters() -> None:
    raw = b"Subject: a\x00b\r\nContent-Type: text/plain\r\n\r\nline\x00one\x07\r\n"

    content = read_message(raw)

    assert content.subject == "a b"
    assert not re.search(r"[\x00-\x08\x0b-\x1f]", content.text)


# --- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Tue, 05 Mar 2024 10:00:00 +0100", dt.datetime(2024, 3, 5, 9, 0, tzinfo=dt.UTC)),
        ("Sun, 31 Mar 2024 23:30:00 -0500", dt.datetime(2024, 4, 1, 4, 30, tzinfo=dt.UTC)),
        ("5 Mar 2024 10:00 GMT", dt.datetime(2024, 3, 5, 10, 0, tzinfo=dt.UTC)),
        ("Tue, 05 Mar 2024 10:00:00 -0000", dt.datetime(2024, 3, 5, 10, 0, tzinfo=dt.UTC)),
        ("yesterday-ish", None),
        ("Tue, 99 Foo 2024 25:61:00 +0100", None),
        ("", None),
        ("Fri, 31 Dec 9999 23:59:59 -2359", None),
    ],
)
def test_date_header_becomes_utc_or_none(header: str, expected: dt.datetime | None) -> None:
    content = read_message(f"Date: {header}\r\nSubject: x\r\n\r\nbody\r\n".encode())

    assert content.date == expected
    if content.date is not None:
        assert content.date.utcoffset() == dt.timedelta(0)


def test_missing_date_is_none() -> None:
    assert read_message(b"Subject: x\r\n\r\nbody\r\n").date is None


# --- never raises -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00" * 100,
        b"\xff\xfe garbage \x80\x81",
        b"PK\x03\x04" + b"\x00" * 50,
        b"Content-Type: multipart/mixed; boundary=X\r\n\r\n--X\r\nContent-Type: text/plain\r\n",
        b"Content-Type: multipart/mixed\r\n\r\nno boundary at all",
        b"Content-Type: application/ms-tnef\r\nContent-Transfer-Encoding: base64\r\n\r\neJ8+Ig==",
        b"Content-Type: message/rfc822\r\n\r\n",
        b"From: <<<@@@>>>\r\nDate: \x00\r\nSubject: =?bogus?x?zz?=\r\n\r\n",
        b"Subject: =?utf-8?b?!!!?= =?utf-8?q?=ZZ?=\r\n\r\n",
    ],
    ids=[
        "empty",
        "nuls",
        "garbage",
        "bare-zip-magic",
        "unclosed-multipart",
        "multipart-without-boundary",
        "truncated-tnef",
        "empty-rfc822",
        "bad-headers",
        "bad-encoded-words",
    ],
)
def test_malformed_input_never_raises(raw: bytes) -> None:
    content = read_message(raw)

    assert isinstance(content, MailContent)
    assert all(isinstance(problem, str) and problem for problem in content.problems)


def test_truncated_multipart_keeps_what_arrived_and_says_it_was_cut_off() -> None:
    raw = attach(enquiry(), MINIMAL_PDF, "application/pdf", "diary.pdf").as_bytes()
    attach_end = raw.rindex(b"--")  # the closing boundary
    content = read_message(raw[:attach_end])

    assert names(content) == ["diary.pdf"]
    assert any("cut off" in problem for problem in content.problems)


def test_truncated_in_the_middle_of_an_attachment_never_raises() -> None:
    raw = attach(enquiry(), DOCX, filename="diary.docx").as_bytes()
    for cut in range(0, len(raw), len(raw) // 37):
        assert isinstance(read_message(raw[:cut]), MailContent)


# --- fuzz -------------------------------------------------------------------------------------


def _seed_emails() -> list[bytes]:
    forwarded = enquiry(subject="Fwd")
    forwarded.add_attachment(attach(enquiry(body="PC 1 A"), SMALL_DOCX, filename="in.docx"))
    html = enquiry()
    html.add_alternative("<p>CAD 1/05MAR24<br>x</p>", subtype="html")
    return [
        attach(enquiry(), SMALL_DOCX, filename="Tagebuch-März.docx").as_bytes(),
        forwarded.as_bytes(policy=SMTP),
        attach(enquiry(), WINMAIL, "application/ms-tnef", "winmail.dat").as_bytes(),
        html.as_bytes(),
    ]


SEEDS = _seed_emails()
FUZZ = settings(
    max_examples=150,
    deadline=dt.timedelta(seconds=2),
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def check_contract(content: MailContent) -> None:
    assert isinstance(content, MailContent)
    assert len(content.sheets) <= MAX_SHEETS
    for part in content.sheets:
        assert part.filename and not re.search(r"[/\\\x00-\x1f\x7f]", part.filename)
        assert isinstance(part.data, bytes)
        assert part.content_type == part.content_type.lower()
    assert content.date is None or content.date.utcoffset() == dt.timedelta(0)
    assert "\x00" not in content.text


@FUZZ
@given(st.binary(max_size=4000))
def test_fuzz_arbitrary_bytes_never_raise(raw: bytes) -> None:
    check_contract(read_message(raw))


@st.composite
def mutated_email(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        position = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "duplicate"]))
        if action == "flip" and position < len(data):
            data[position] ^= draw(st.integers(1, 255))
        elif action == "insert":
            data[position:position] = draw(
                st.sampled_from([b"\r\n", b"--", b"=?utf-8?b?", b"\x00", b"\xff", b"boundary="])
                | st.binary(max_size=20)
            )
        elif action == "delete":
            del data[position : position + draw(st.integers(1, 200))]
        elif action == "truncate":
            del data[position:]
        elif action == "duplicate":
            data[position:position] = data[max(0, position - 300) : position]
    return bytes(data)


@FUZZ
@given(mutated_email())
def test_fuzz_mutated_real_emails_never_raise(raw: bytes) -> None:
    check_contract(read_message(raw))
