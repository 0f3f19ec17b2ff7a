"""A real aiosmtpd SMTP server for tests, on a free loopback port picked at run time.

`smtp_server` is a plain server that accepts everything. `make_smtp_server(...)` starts one
with STARTTLS or implicit TLS (a self-signed certificate made with `cryptography`, trusted by
`smtp_tls.client_context`) and AUTH (LOGIN/PLAIN against a dict of users, and XOAUTH2 against a
set of tokens). Each server keeps what it received (`envelopes`, `messages`), can refuse for a
while (`down()` answers MAIL FROM with a 421 until `up()`, `refuse()` any reply at any stage),
and can really go away and come back on the same port (`stop()`, `start()`).
"""

from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy
import ipaddress
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HOST = "127.0.0.1"
DOWN_REPLY = "421 4.3.2 Service not available, try again later"
Stage = Literal["mail", "rcpt", "data"]
Security = Literal["none", "starttls", "tls"]


@dataclass(frozen=True)
class Received:
    """One accepted envelope, exactly as the client sent it."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes
    login: str | None

    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class _Handler:
    """The aiosmtpd handler: stores what it accepts, refuses what it is told to."""

    oauth_tokens: frozenset[str] = frozenset()
    received: list[Received] = field(default_factory=list)
    refusals: dict[Stage, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        if "mail" in self.refusals:
            return self.refusals["mail"]
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if "rcpt" in self.refusals:
            return self.refusals["rcpt"]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if "data" in self.refusals:
            return self.refusals["data"]
        content = envelope.original_content or b""
        login = session.auth_data
        name = login.login.decode() if isinstance(login, LoginPassword) else login
        with self.lock:
            self.received.append(
                Received(
                    mail_from=envelope.mail_from or "",
                    rcpt_tos=tuple(envelope.rcpt_tos),
                    content=content,
                    login=name if isinstance(name, str) else None,
                )
            )
        return "250 Message accepted for delivery"

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        """SASL XOAUTH2 as Microsoft 365 and Gmail speak it: user=...^Aauth=Bearer ...^A^A."""
        if len(args) < 2:
            return AuthResult(success=False, handled=False)
        fields = base64.b64decode(args[1]).decode("utf-8").split("\x01")
        values = dict(f.split("=", 1) for f in fields if "=" in f)
        token = values.get("auth", "").removeprefix("Bearer ")
        if token in self.oauth_tokens:
            return AuthResult(success=True, auth_data=values.get("user"))
        await server.push("535 5.7.8 Authentication credentials invalid")
        return AuthResult(success=False, handled=True)


@dataclass(frozen=True)
class TlsFiles:
    """A self-signed certificate for 127.0.0.1/localhost, and the contexts for both ends."""

    cert_pem: bytes
    key_pem: bytes

    def server_context(self, directory: Path) -> ssl.SSLContext:
        cert, key = directory / "smtp-cert.pem", directory / "smtp-key.pem"
        cert.write_bytes(self.cert_pem)
        key.write_bytes(self.key_pem)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts this certificate only, with hostname checks on."""
        return ssl.create_default_context(cadata=self.cert_pem.decode("ascii"))


def make_tls_files() -> TlsFiles:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "diarydesk test SMTP")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=7))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return TlsFiles(
        cert_pem=cert.public_bytes(serialization.Encoding.PEM),
        key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )


def free_port() -> int:
    """A port nothing listens on right now (the Controller needs a concrete one)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


class SmtpServer:
    """One running test SMTP server and what it has received."""

    def __init__(
        self,
        *,
        security: Security = "none",
        tls_context: ssl.SSLContext | None = None,
        users: dict[str, str] | None = None,
        oauth_tokens: frozenset[str] = frozenset(),
    ) -> None:
        if security != "none" and tls_context is None:
            raise ValueError("a TLS server needs tls_context (see the smtp_tls fixture)")
        self.host = HOST
        self.port = free_port()
        self.security = security
        self.users = dict(users or {})
        self._handler = _Handler(oauth_tokens=oauth_tokens)
        self._tls_context = tls_context
        self._controller: Controller | None = None

    # --- what arrived ---------------------------------------------------------------------

    @property
    def envelopes(self) -> list[Received]:
        with self._handler.lock:
            return list(self._handler.received)

    @property
    def messages(self) -> list[EmailMessage]:
        return [received.message() for received in self.envelopes]

    def clear(self) -> None:
        with self._handler.lock:
            self._handler.received.clear()

    # --- misbehaving ----------------------------------------------------------------------

    def down(self, reply: str = DOWN_REPLY) -> None:
        """Answer every MAIL FROM with `reply` (a 421 by default) until `up()`."""
        self.refuse(reply, stage="mail")

    def refuse(self, reply: str, *, stage: Stage = "mail") -> None:
        """Answer `stage` (MAIL FROM, RCPT TO or the end of DATA) with `reply`."""
        self._handler.refusals[stage] = reply

    def up(self) -> None:
        self._handler.refusals.clear()

    def stop(self) -> None:
        """Go away: connections to the port are refused until `start()`."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def start(self) -> None:
        """(Re)start listening on the same port."""
        if self._controller is not None:
            return
        options: dict[str, Any] = {}
        if self.users or self._handler.oauth_tokens:
            options["authenticator"] = self._authenticate
            # aiosmtpd only counts STARTTLS as TLS; implicit TLS is encrypted from the start.
            options["auth_require_tls"] = self.security == "starttls"
        if self.security == "starttls":
            options["tls_context"] = self._tls_context
            options["require_starttls"] = True
        # A fresh Controller each time: a stopped one has closed its event loop.
        controller = Controller(
            self._handler,
            hostname=self.host,
            port=self.port,
            ssl_context=self._tls_context if self.security == "tls" else None,
            server_hostname="localhost",
            **options,
        )
        controller.start()
        self._controller = controller

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: object
    ) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user, password = data.login.decode(), data.password.decode()
        if user not in self.users or self.users[user] != password:
            return AuthResult(success=False, handled=False)
        return AuthResult(success=True, auth_data=data)


ServerFactory = Callable[..., SmtpServer]


@pytest.fixture(scope="session")
def smtp_tls() -> TlsFiles:
    """A self-signed certificate for 127.0.0.1 (`client_context()` trusts it)."""
    return make_tls_files()


@pytest.fixture
def make_smtp_server(smtp_tls: TlsFiles, tmp_path: Path) -> Iterator[ServerFactory]:
    """Start servers: `make_smtp_server(security="starttls", users={"u": "p"})`."""
    servers: list[SmtpServer] = []

    def make(
        *,
        security: Security = "none",
        users: dict[str, str] | None = None,
        oauth_tokens: frozenset[str] = frozenset(),
    ) -> SmtpServer:
        context = smtp_tls.server_context(tmp_path) if security != "none" else None
        server = SmtpServer(
            security=security, tls_context=context, users=users, oauth_tokens=oauth_tokens
        )
        server.start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def smtp_server(make_smtp_server: ServerFactory) -> SmtpServer:
    """A plain SMTP server on 127.0.0.1 that accepts every message, no login."""
    return make_smtp_server()
