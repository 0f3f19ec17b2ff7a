"""ImapSource against a real Dovecot: what the mailbox looks like to its owner afterwards."""

from __future__ import annotations

import datetime as dt
import shlex
import sys
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import pytest

from ingest.config import MailboxSettings
from ingest.credentials import CredentialError, oauth_token, password
from ingest.sources.base import MailSourceError, MessageRef
from ingest.sources.imap import ImapSource
from tests.dovecot_fixture import DovecotMailbox, DovecotServer

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PROCESSED = "Diarydesk/Processed"
# Dovecot's Maildir++ layout separates folders with ".", unlike the configuration's "/".
PROCESSED_ON_SERVER = "Diarydesk.Processed"


def diary_email(number: int, *, attachment: bytes = b"PK\x03\x04 diary sheet") -> bytes:
    message = EmailMessage(policy=SMTP)
    message["From"] = f"Resident {number} <resident{number}@example.org>"
    message["To"] = "enquiries@housing.example.org"
    message["Subject"] = f"Diary sheet week {number}"
    message["Message-ID"] = f"<diary-{number}@example.org>"
    message.set_content(f"Please find my diary sheet number {number} attached.\n")
    message.add_attachment(
        attachment,
        maintype=DOCX.split("/")[0],
        subtype=DOCX.split("/")[1],
        filename=f"diary-{number}.docx",
    )
    # A fixed boundary, so the same number always gives the same bytes.
    message.set_boundary(f"diary-{number}-boundary")
    return message.as_bytes()


def source(mailbox: DovecotMailbox, **overrides: object) -> ImapSource:
    return ImapSource(mailbox.settings(**overrides))


def inbox(mailbox: DovecotMailbox) -> list[tuple[int, tuple[bytes, ...], bytes]]:
    return mailbox.folders()["INBOX"]


# -- listing and fetching -----------------------------------------------------------------


def test_pending_and_fetch_give_every_message_oldest_first_byte_for_byte(
    dovecot: DovecotMailbox,
) -> None:
    raws = [diary_email(n) for n in range(3)]
    arrived = dt.datetime(2026, 3, 3, 22, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    uids = [dovecot.append(raw, internal_date=arrived) for raw in raws]

    with source(dovecot) as mailbox:
        refs = mailbox.pending()
        fetched = list(mailbox.fetch(refs))

    assert refs == [MessageRef(key=str(uid), uid=uid) for uid in sorted(uids)]
    assert [message.raw for message in fetched] == raws
    assert [message.ref for message in fetched] == refs
    assert {message.internal_date for message in fetched} == {
        dt.datetime(2026, 3, 3, 21, 30, tzinfo=dt.UTC)
    }


def test_fetching_leaves_messages_unread(dovecot: DovecotMailbox) -> None:
    dovecot.append(diary_email(1))
    dovecot.append(diary_email(2), flags=[b"\\Flagged"])

    with source(dovecot) as mailbox:
        assert len(list(mailbox.fetch(mailbox.pending()))) == 2

    assert [flags for _uid, flags, _raw in inbox(dovecot)] == [(), (b"\\Flagged",)]


def test_pending_after_a_uid_lists_only_later_messages(dovecot: DovecotMailbox) -> None:
    first, second, third = (dovecot.append(diary_email(n)) for n in range(3))

    with source(dovecot) as mailbox:
        assert [ref.uid for ref in mailbox.pending(after_uid=first)] == [second, third]
        # "UID n:*" matches the highest UID even when it is below n: nothing new is nothing.
        assert mailbox.pending(after_uid=third) == []
        assert mailbox.pending(after_uid=third + 100) == []


def test_an_empty_folder_has_nothing_pending(dovecot: DovecotMailbox) -> None:
    with source(dovecot) as mailbox:
        assert mailbox.pending() == []
        assert list(mailbox.fetch([])) == []


def test_fetch_goes_in_batches_and_skips_what_another_client_moved_meanwhile(
    dovecot: DovecotMailbox,
) -> None:
    raws = [diary_email(n) for n in range(5)]
    uids = [dovecot.append(raw) for raw in raws]

    with source(dovecot, batch_size=2) as mailbox:
        messages = mailbox.fetch(mailbox.pending())
        got = [next(messages).raw, next(messages).raw]
        # Only the first batch has been read: a person files the fourth message away now.
        with dovecot.client() as person:
            person.create_folder("Trash")
            person.select_folder("INBOX")
            person.move([uids[3]], "Trash")
        got += [message.raw for message in messages]

    assert got == [raws[0], raws[1], raws[2], raws[4]]


def test_unsolicited_flag_changes_from_another_client_do_not_confuse_fetch(
    dovecot: DovecotMailbox,
) -> None:
    first, second = dovecot.append(diary_email(1)), dovecot.append(diary_email(2))

    with source(dovecot) as mailbox, dovecot.client() as person:
        person.select_folder("INBOX")
        # The server reports this to our session as "* n FETCH (FLAGS ...)" for `second`.
        person.add_flags([second], [b"\\Flagged"])
        fetched = list(mailbox.fetch([MessageRef(key=str(first), uid=first)]))

    assert [message.ref.uid for message in fetched] == [first]
    assert fetched[0].raw == diary_email(1)


def test_a_five_megabyte_message_round_trips(dovecot: DovecotMailbox) -> None:
    # Varied bytes so no layer can get away with compressing or truncating them.
    attachment = bytes((n * 7919) % 251 for n in range(5 * 1024 * 1024))
    raw = diary_email(1, attachment=attachment)
    dovecot.append(raw)

    with source(dovecot) as mailbox:
        [message] = list(mailbox.fetch(mailbox.pending()))

    assert len(raw) > 5 * 1024 * 1024
    assert message.raw == raw


# -- moving ---------------------------------------------------------------------------------


def test_move_creates_the_nested_folder_and_moves_the_exact_bytes(
    dovecot: DovecotMailbox,
) -> None:
    raws = [diary_email(1), diary_email(2)]
    for raw in raws:
        dovecot.append(raw)

    with source(dovecot) as mailbox:
        first, _second = mailbox.pending()
        mailbox.move([first], PROCESSED)

    folders = dovecot.folders()
    assert [raw for _uid, _flags, raw in folders[PROCESSED_ON_SERVER]] == [raws[0]]
    assert [raw for _uid, _flags, raw in folders["INBOX"]] == [raws[1]]
    assert [flags for _uid, flags, _raw in folders[PROCESSED_ON_SERVER]] == [()]
    with dovecot.client() as person:
        subscribed = {name for _flags, _delimiter, name in person.list_sub_folders()}
    assert PROCESSED_ON_SERVER in subscribed


def test_moving_twice_is_moving_once(dovecot: DovecotMailbox) -> None:
    dovecot.append(diary_email(1))
    dovecot.append(diary_email(2))

    with source(dovecot) as mailbox:
        first, _second = mailbox.pending()
        mailbox.move([first], PROCESSED)
        mailbox.move([first], PROCESSED)
    with source(dovecot) as mailbox:
        mailbox.move([first], PROCESSED)
        assert [ref.uid for ref in mailbox.pending()] == [_second.uid]

    folders = dovecot.folders()
    assert [raw for _uid, _flags, raw in folders[PROCESSED_ON_SERVER]] == [diary_email(1)]
    assert [raw for _uid, _flags, raw in folders["INBOX"]] == [diary_email(2)]


def test_move_to_a_folder_with_a_non_ascii_name(dovecot: DovecotMailbox) -> None:
    dovecot.append(diary_email(1))

    with source(dovecot) as mailbox:
        mailbox.move(mailbox.pending(), "Diarydesk/Geprüft – Überprüfung")

    assert [raw for _u, _f, raw in dovecot.folders()["Diarydesk.Geprüft – Überprüfung"]] == [
        diary_email(1)
    ]


def test_without_move_copy_and_expunge_leave_other_clients_deleted_mail_alone(
    dovecot_legacy: DovecotMailbox,
) -> None:
    with dovecot_legacy.client() as person:
        assert b"MOVE" not in person.capabilities()
    mine = diary_email(1)
    theirs = diary_email(2)
    dovecot_legacy.append(mine)
    # Another client marked this deleted and has not expunged it yet: it must survive.
    their_uid = dovecot_legacy.append(theirs, flags=[b"\\Deleted"])

    with source(dovecot_legacy) as mailbox:
        refs = [ref for ref in mailbox.pending() if ref.uid != their_uid]
        mailbox.move(refs, PROCESSED)
        mailbox.move(refs, PROCESSED)

    folders = dovecot_legacy.folders()
    assert [raw for _uid, _flags, raw in folders[PROCESSED_ON_SERVER]] == [mine]
    assert folders["INBOX"] == [(their_uid, (b"\\Deleted",), theirs)]


def test_without_move_or_uidplus_move_refuses_and_changes_nothing(
    dovecot_legacy_server: DovecotServer,
) -> None:
    mailbox_owner = dovecot_legacy_server.add_user(capability="IMAP4rev1")
    mailbox_owner.append(diary_email(1))
    mailbox_owner.append(diary_email(2), flags=[b"\\Deleted"])
    before = mailbox_owner.folders()

    with source(mailbox_owner) as mailbox, pytest.raises(MailSourceError) as refused:
        mailbox.move(mailbox.pending()[:1], PROCESSED)

    assert not refused.value.transient
    assert "UIDPLUS" in str(refused.value)
    assert mailbox_owner.folders() == before


# -- UIDVALIDITY ------------------------------------------------------------------------------


def test_uidvalidity_is_reported_and_changes_when_the_folder_is_recreated(
    dovecot: DovecotMailbox,
) -> None:
    dovecot.append(diary_email(1), folder="Enquiries")
    with dovecot.client() as person:
        expected = person.select_folder("Enquiries")[b"UIDVALIDITY"]

    with source(dovecot, folder="Enquiries") as mailbox:
        before = mailbox.uidvalidity()
        [ref] = mailbox.pending()
    with dovecot.client() as person:
        person.delete_folder("Enquiries")
        person.create_folder("Enquiries")
    dovecot.append(diary_email(2), folder="Enquiries")
    with source(dovecot, folder="Enquiries") as mailbox:
        after = mailbox.uidvalidity()
        [new_ref] = mailbox.pending()

    assert before == expected
    assert after is not None and after != before
    # The same UID now names a different message: only UIDVALIDITY tells them apart.
    assert new_ref.uid == ref.uid


def test_a_missing_watched_folder_is_an_error_for_the_administrator(
    dovecot: DovecotMailbox,
) -> None:
    with pytest.raises(MailSourceError) as missing, source(dovecot, folder="Enquiries"):
        pass

    assert not missing.value.transient
    assert "'Enquiries'" in str(missing.value)
    assert "mailbox.folder" in str(missing.value)


# -- identity, login and failures --------------------------------------------------------------


def test_the_name_identifies_the_account_without_the_password(dovecot: DovecotMailbox) -> None:
    mailbox = source(dovecot)

    assert mailbox.name == f"imap://{dovecot.user}@127.0.0.1:{dovecot.port}/"
    assert mailbox.folder == "INBOX"
    assert dovecot.password not in mailbox.name


def test_a_wrong_password_is_refused_with_a_message_naming_user_and_host(
    dovecot: DovecotMailbox, tmp_path: Path
) -> None:
    wrong = tmp_path / "password"
    wrong.write_text("not-the-password-4711\n", encoding="utf-8")

    with pytest.raises(MailSourceError) as refused, source(dovecot, password_file=str(wrong)):
        pass

    message = str(refused.value)
    assert not refused.value.transient
    assert "refused the login" in message
    assert dovecot.user in message
    assert f"127.0.0.1:{dovecot.port}" in message
    assert f"the password in the file {wrong}" in message
    assert "not-the-password-4711" not in message


def test_a_stopped_server_is_a_transient_error_and_service_resumes(
    dovecot: DovecotMailbox,
) -> None:
    dovecot.append(diary_email(1))
    dovecot.stop()

    with pytest.raises(MailSourceError) as down, source(dovecot):
        pass
    assert down.value.transient
    assert f"127.0.0.1:{dovecot.port}" in str(down.value)

    dovecot.start()
    with source(dovecot) as mailbox:
        assert len(mailbox.pending()) == 1


def test_a_server_dying_mid_session_is_transient_and_leaving_the_block_is_quiet(
    dovecot: DovecotMailbox,
) -> None:
    dovecot.append(diary_email(1))

    with source(dovecot) as mailbox:
        refs = mailbox.pending()
        dovecot.stop()
        with pytest.raises(MailSourceError) as lost:
            list(mailbox.fetch(refs))

    assert lost.value.transient
    dovecot.start()
    assert len(inbox(dovecot)) == 1


def test_plain_imap_to_a_remote_host_is_refused_before_connecting(
    dovecot: DovecotMailbox,
) -> None:
    # 192.0.2.1 is TEST-NET-1: were a connection attempted, it would hang, not fail.
    settings = dovecot.settings(host="192.0.2.1", port=143, security="none")

    with pytest.raises(MailSourceError) as refused:
        ImapSource(settings)

    assert not refused.value.transient
    assert "unencrypted" in str(refused.value)
    assert "192.0.2.1" in str(refused.value)


@pytest.mark.parametrize("host", ["localhost", "127.0.0.5", "::1"])
def test_plain_imap_to_loopback_is_allowed(dovecot: DovecotMailbox, host: str) -> None:
    ImapSource(dovecot.settings(host=host, security="none"))


def test_implicit_tls_with_the_servers_ca(dovecot: DovecotMailbox) -> None:
    dovecot.append(diary_email(1))
    settings = dovecot.settings(host="localhost", port=dovecot.tls_port, security="tls")

    with ImapSource(settings, ssl_context=dovecot.ssl_context) as mailbox:
        [message] = list(mailbox.fetch(mailbox.pending()))

    assert message.raw == diary_email(1)


def test_starttls_with_the_servers_ca(dovecot: DovecotMailbox) -> None:
    dovecot.append(diary_email(1))
    settings = dovecot.settings(host="localhost", port=dovecot.port, security="starttls")

    with ImapSource(settings, ssl_context=dovecot.ssl_context) as mailbox:
        [message] = list(mailbox.fetch(mailbox.pending()))

    assert message.raw == diary_email(1)


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_an_untrusted_certificate_is_refused_clearly(
    dovecot: DovecotMailbox, security: str
) -> None:
    port = dovecot.tls_port if security == "tls" else dovecot.port
    settings = dovecot.settings(host="localhost", port=port, security=security)

    # The system's CAs, which never signed the test server's certificate.
    with pytest.raises(MailSourceError) as refused, ImapSource(settings):
        pass

    assert not refused.value.transient
    assert "certificate" in str(refused.value)
    assert "could not be verified" in str(refused.value)


def test_starttls_is_required_when_configured(dovecot_legacy: DovecotMailbox) -> None:
    settings = dovecot_legacy.settings(security="starttls")

    with pytest.raises(MailSourceError) as refused, ImapSource(settings):
        pass

    assert not refused.value.transient
    assert "STARTTLS" in str(refused.value)


def test_tls_to_a_plain_port_says_what_to_check(dovecot: DovecotMailbox) -> None:
    settings = dovecot.settings(host="localhost", port=dovecot.port, security="tls")

    with (
        pytest.raises(MailSourceError) as failed,
        ImapSource(settings, ssl_context=dovecot.ssl_context),
    ):
        pass

    assert not failed.value.transient
    assert "mailbox.security" in str(failed.value)


def test_xoauth2_login_with_a_token_command(dovecot: DovecotMailbox) -> None:
    # The test server checks an XOAUTH2 token like a password (see tests/dovecot_fixture.py).
    command = shlex.join([sys.executable, "-c", f"print({dovecot.password!r})"])
    dovecot.append(diary_email(1))
    settings = dovecot.settings(auth="xoauth2", token_command=command, password_file="")

    with ImapSource(settings) as mailbox:
        assert len(mailbox.pending()) == 1


def test_a_refused_xoauth2_token(dovecot: DovecotMailbox) -> None:
    command = shlex.join([sys.executable, "-c", "print('expired-token-0815')"])
    settings = dovecot.settings(auth="xoauth2", token_command=command, password_file="")

    with pytest.raises(MailSourceError) as refused, ImapSource(settings):
        pass

    assert not refused.value.transient
    assert "XOAUTH2 token" in str(refused.value)
    assert "expired-token-0815" not in str(refused.value)


def test_a_missing_password_stops_the_login_with_the_credential_problem(
    dovecot: DovecotMailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DIARYDESK_TEST_IMAP_PASSWORD", raising=False)
    settings = dovecot.settings(password_env="DIARYDESK_TEST_IMAP_PASSWORD", password_file="")

    with pytest.raises(MailSourceError) as missing, ImapSource(settings):
        pass

    assert not missing.value.transient
    assert "DIARYDESK_TEST_IMAP_PASSWORD" in str(missing.value)


# -- credentials ---------------------------------------------------------------------------------


def _settings(**values: object) -> MailboxSettings:
    return MailboxSettings.model_validate(
        {"kind": "imap", "host": "mail.example.org", "username": "enquiries", **values}
    )


def test_password_from_an_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIARYDESK_TEST_PW", "s3cret with spaces ")

    assert password(_settings(password_env="DIARYDESK_TEST_PW")) == "s3cret with spaces "


def test_password_from_a_file_loses_only_the_trailing_newline(tmp_path: Path) -> None:
    (tmp_path / "unix").write_bytes(b" s3cret \n")
    (tmp_path / "windows").write_bytes(b"s3cret\r\n")

    assert password(_settings(password_file=str(tmp_path / "unix"))) == " s3cret "
    assert password(_settings(password_file=str(tmp_path / "windows"))) == "s3cret"


def test_a_missing_password_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DIARYDESK_TEST_PW", raising=False)

    with pytest.raises(CredentialError, match=r"mailbox\.password_env.*DIARYDESK_TEST_PW"):
        password(_settings(password_env="DIARYDESK_TEST_PW"))


def test_an_empty_password_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIARYDESK_TEST_PW", "")

    with pytest.raises(CredentialError, match=r"DIARYDESK_TEST_PW.*empty"):
        password(_settings(password_env="DIARYDESK_TEST_PW"))


def test_a_missing_or_empty_password_file_is_named(tmp_path: Path) -> None:
    missing, empty = tmp_path / "missing", tmp_path / "empty"
    empty.write_text("\n", encoding="utf-8")

    with pytest.raises(CredentialError, match=f"{missing}.*password_file"):
        password(_settings(password_file=str(missing)))
    with pytest.raises(CredentialError, match=f"{empty}.*empty"):
        password(_settings(password_file=str(empty)))


def test_no_password_configured_says_where_to_put_one() -> None:
    with pytest.raises(CredentialError, match=r"password_env.*password_file"):
        password(_settings())


def test_a_token_command_prints_the_token() -> None:
    command = shlex.join([sys.executable, "-c", "print('  eyJ0eXAi.token  ')"])

    assert oauth_token(_settings(auth="xoauth2", token_command=command)) == "eyJ0eXAi.token"


def test_a_failing_token_command_says_why() -> None:
    command = shlex.join(
        [sys.executable, "-c", "import sys; sys.exit('refresh token expired (AADSTS700082)')"]
    )

    with pytest.raises(CredentialError, match="status 1: refresh token expired") as failed:
        oauth_token(_settings(auth="xoauth2", token_command=command))
    assert not failed.value.transient


def test_a_token_command_that_prints_nothing_or_does_not_exist() -> None:
    silent = shlex.join([sys.executable, "-c", "pass"])

    with pytest.raises(CredentialError, match="printed nothing"):
        oauth_token(_settings(auth="xoauth2", token_command=silent))
    with pytest.raises(CredentialError, match="not found"):
        oauth_token(_settings(auth="xoauth2", token_command="/nonexistent/get-token --now"))


def test_a_hanging_token_command_is_a_transient_failure() -> None:
    command = shlex.join([sys.executable, "-c", "import time; time.sleep(30)"])

    with pytest.raises(CredentialError, match="read_timeout_s") as hung:
        oauth_token(_settings(auth="xoauth2", token_command=command, read_timeout_s=0.5))
    assert hung.value.transient


def test_microsoft_sign_in_needs_its_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(CredentialError, match=r"token_command.*mailbox\.oauth_tenant_id"):
        oauth_token(_settings(auth="xoauth2"))

    monkeypatch.delenv("DIARYDESK_TEST_SECRET", raising=False)
    configured = _settings(
        auth="xoauth2",
        oauth_tenant_id="contoso.onmicrosoft.com",
        oauth_client_id="00000000-0000-0000-0000-000000000000",
        oauth_client_secret_env="DIARYDESK_TEST_SECRET",
    )
    with pytest.raises(CredentialError, match=r"DIARYDESK_TEST_SECRET.*not set"):
        oauth_token(configured)
