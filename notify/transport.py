"""How a finished email leaves: an SMTP server, or a folder of .eml files (the embedded default).

A transport sends one message or raises `DeliveryError`, which says whether trying again later
can help (`transient`) and whether the failure is the server's or the configuration's rather
than this message's (`server_wide`: the rest of a batch would fail the same way). The outbox
(`notify.outbox`) decides what to do with each; a transport never retries by itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import logging
import os
import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from ingest import credentials
from ingest.config import MailOutSettings

log = logging.getLogger(__name__)

DEFAULT_PORTS = {"tls": 465, "starttls": 587, "none": 25}
# RFC 5321 reply classes: 4yz "try again later", 5yz "do not repeat this as it is".
TRANSIENT_CLASS = 4
# 421: the server is closing the connection for everyone, not refusing this message.
SERVICE_UNAVAILABLE = 421


class DeliveryError(Exception):
    """The message was not handed over; the message says what happened and what to do."""

    def __init__(self, message: str, *, transient: bool, server_wide: bool = False) -> None:
        super().__init__(message)
        self.transient = transient
        self.server_wide = server_wide


class TransportConfigError(Exception):
    """`[mail_out]` cannot work as written (caught at start-up, before anything is queued)."""


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Hand `message` over for delivery, or raise `DeliveryError`."""


class OutboxTransport:
    """Writes each message as `<UTC timestamp>-<hash of its Message-ID>.eml` in `outbox_dir`.

    The file appears whole or not at all (written to a dot-file, then renamed), so whatever
    picks the folder up never reads half a message. The same Message-ID written again (a resend
    after a crash) replaces its earlier file instead of adding a second one.
    """

    def __init__(self, outbox_dir: str | Path) -> None:
        self.outbox_dir = Path(outbox_dir)

    def send(self, message: EmailMessage) -> None:
        data = message.as_bytes()
        identity = message.get("Message-ID") or data.decode("ascii", "replace")
        key_hash = hashlib.sha256(str(identity).encode("utf-8")).hexdigest()[:16]
        try:
            self.outbox_dir.mkdir(parents=True, exist_ok=True)
            earlier = sorted(self.outbox_dir.glob(f"*-{key_hash}.eml"))
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
            target = earlier[0] if earlier else self.outbox_dir / f"{stamp}-{key_hash}.eml"
            temporary = self.outbox_dir / f".{key_hash}.{os.getpid()}.tmp"
            with temporary.open("wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, target)
        except OSError as err:
            raise DeliveryError(
                f"could not write to mail_out.outbox_dir {self.outbox_dir}: {err.strerror}; "
                "check that the folder exists and the worker may write to it",
                transient=True,
                server_wide=True,
            ) from err


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SmtpTransport:
    """One SMTP connection per message: TLS or STARTTLS (required, never optional), then login.

    `ssl_context` defaults to the system's trust store with hostname checks; tests pass one
    that trusts their own certificate. Plain text (`security = "none"`) is refused unless the
    server is on this machine, because the login and the alerts would cross the network bare.
    """

    def __init__(
        self, settings: MailOutSettings, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        if not settings.host:
            raise TransportConfigError(
                'mail_out.host is empty: set it to your SMTP server, or use kind = "outbox"'
            )
        if settings.security == "none" and not is_loopback(settings.host):
            raise TransportConfigError(
                f'mail_out.security = "none" sends in clear text to {settings.host}: use "tls" '
                'or "starttls" (plain SMTP is allowed only to a loopback relay)'
            )
        if settings.auth != "none" and not settings.username:
            raise TransportConfigError(
                f'mail_out.username is empty but mail_out.auth is "{settings.auth}": set the '
                'username, or auth = "none" for a relay that takes no login'
            )
        self.settings = settings
        self.port = settings.port or DEFAULT_PORTS[settings.security]
        self.ssl_context = ssl_context or ssl.create_default_context()

    def send(self, message: EmailMessage) -> None:
        where = f"{self.settings.host}:{self.port}"
        try:
            with self._connect() as smtp:
                self._login(smtp)
                refused = smtp.send_message(message)
        except DeliveryError:
            raise
        except credentials.CredentialError as err:
            raise DeliveryError(
                f"no SMTP credentials: {err}", transient=True, server_wide=True
            ) from err
        except smtplib.SMTPRecipientsRefused as err:
            raise _recipients_error(err.recipients) from err
        except smtplib.SMTPResponseException as err:
            raise _reply_error(where, err.smtp_code, err.smtp_error) from err
        except smtplib.SMTPNotSupportedError as err:
            raise DeliveryError(
                f"{where} does not support what mail_out asks for ({err}): check "
                "mail_out.security and mail_out.auth",
                transient=True,
                server_wide=True,
            ) from err
        except ssl.SSLCertVerificationError as err:
            raise DeliveryError(
                f"the certificate of {where} is not trusted ({err.verify_message}): check "
                "mail_out.host is the name on the server's certificate",
                transient=True,
                server_wide=True,
            ) from err
        except (OSError, smtplib.SMTPException) as err:
            # Refused or dropped connections, timeouts, TLS failures: the server, not the mail.
            raise DeliveryError(
                f"could not reach the SMTP server {where}: {err or type(err).__name__}",
                transient=True,
                server_wide=True,
            ) from err
        if refused:
            # Some recipients took it: sending again would duplicate it for them.
            log.warning("SMTP %s refused %d of the recipients", where, len(refused))

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        host, timeout = settings.host, settings.connect_timeout_s
        # Connecting in the constructor is what gives smtplib the host name that TLS checks
        # the certificate against.
        smtp: smtplib.SMTP
        if settings.security == "tls":
            smtp = smtplib.SMTP_SSL(host, self.port, timeout=timeout, context=self.ssl_context)
        else:
            smtp = smtplib.SMTP(host, self.port, timeout=timeout)
        try:
            if smtp.sock is not None:
                smtp.sock.settimeout(settings.read_timeout_s)
            if settings.security == "starttls":
                smtp.ehlo()
                if not smtp.has_extn("starttls"):
                    raise DeliveryError(
                        f"{host}:{self.port} does not offer STARTTLS: set "
                        'mail_out.security = "tls" (port 465) if it expects TLS from the start',
                        transient=True,
                        server_wide=True,
                    )
                smtp.starttls(context=self.ssl_context)
                smtp.ehlo()
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _login(self, smtp: smtplib.SMTP) -> None:
        settings = self.settings
        if settings.auth == "password":
            smtp.login(settings.username, credentials.password(settings))
        elif settings.auth == "xoauth2":
            token = credentials.oauth_token(settings)
            sasl = f"user={settings.username}\x01auth=Bearer {token}\x01\x01"

            def respond(challenge: bytes | None = None) -> str:
                # A 334 challenge after the token carries the server's error; an empty answer
                # makes it send the final 535 (RFC 7628 section 3.2.3).
                return sasl if challenge is None else ""

            # Unlike login(), auth() sends no EHLO first, and takes the 503 "send EHLO first"
            # for "already authenticated".
            smtp.ehlo_or_helo_if_needed()
            smtp.auth("XOAUTH2", respond)


def _reply_error(where: str, code: int, text: bytes | str) -> DeliveryError:
    reply = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    if code in (334, 535, 530, 534):
        # Login refused: every message would fail alike. Retrying (not failing the alert) means
        # alerts go out on their own once the administrator fixes the credentials.
        return DeliveryError(
            f"{where} refused the login ({code} {reply}): check mail_out.username and the "
            "password or token it points to",
            transient=True,
            server_wide=True,
        )
    transient = code // 100 == TRANSIENT_CLASS
    return DeliveryError(
        f"{where} answered {code} {reply}"
        + ("" if transient else ": the server will not accept this message as it is"),
        transient=transient,
        server_wide=code == SERVICE_UNAVAILABLE,
    )


def _recipients_error(recipients: dict[str, tuple[int, bytes]]) -> DeliveryError:
    codes = [code for code, _ in recipients.values()]
    transient = all(code // 100 == TRANSIENT_CLASS for code in codes)
    details = "; ".join(
        f"{address}: {code} {reply.decode('utf-8', 'replace')}"
        for address, (code, reply) in sorted(recipients.items())
    )
    advice = "" if transient else ": check the addresses in [alerts] / [digest] / [worker]"
    return DeliveryError(f"every recipient was refused ({details}){advice}", transient=transient)


def transport_for(settings: MailOutSettings) -> Transport:
    """The transport `mail_out.kind` names; raises `TransportConfigError` if it cannot work."""
    if settings.kind == "smtp":
        return SmtpTransport(settings)
    return OutboxTransport(settings.outbox_dir)
