"""A real Dovecot IMAP server for tests, started from its own config in a temporary directory.

One server per session (starting Dovecot costs a fraction of a second, a user costs nothing):
each test gets a fresh user, so a fresh mailbox, through a passwd-file of its own (the path
has %u in it). Fixtures:

- `dovecot`: a fresh mailbox on a modern server (MOVE, UIDPLUS, STARTTLS on `port`, implicit
  TLS on `tls_port`, certificates from a CA made for the session: `ssl_context` trusts it).
- `dovecot_legacy`: a fresh mailbox on an old-style server: no MOVE, no TLS at all.
- `dovecot_server` / `dovecot_legacy_server`: the servers themselves, to add users with other
  capabilities (`add_user(capability="IMAP4rev1")`) or to stop and start them.

XOAUTH2 is offered too: Dovecot checks the token like a password against the passwd-file, so
a user's password doubles as its access token (no token introspection server involved).

Without Dovecot the tests that use it are skipped, except under CI=true, where they fail.
Dovecot runs as the invoking user. Under root its login processes and mail files belong to an
unprivileged account (dovenull or nobody), because Dovecot refuses to run those as root.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import grp
import ipaddress
import itertools
import os
import pwd
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from imapclient import IMAPClient  # type: ignore[import-untyped]

from ingest.config import MailboxSettings

HOST = "127.0.0.1"
START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 20.0

# Dovecot 2.3's post-login capabilities without MOVE, for the COPY + UID EXPUNGE fallback.
LEGACY_CAPABILITY = (
    "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT THREAD=REFERENCES MULTIAPPEND "
    "UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 ESEARCH SEARCHRES "
    "WITHIN LIST-STATUS BINARY LITERAL+"
)

FolderContents = dict[str, list[tuple[int, tuple[bytes, ...], bytes]]]


def dovecot_binary() -> str | None:
    found = shutil.which("dovecot")
    if found is None and os.access("/usr/sbin/dovecot", os.X_OK):
        found = "/usr/sbin/dovecot"
    return found


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"Dovecot is required under CI=true: {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class Certificates:
    ca_pem: bytes
    cert_pem: bytes
    key_pem: bytes


def make_certificates(
    names: Sequence[str] = ("localhost",), ips: Sequence[str] = (HOST,)
) -> Certificates:
    """A throwaway CA and a server certificate it signed for `names` and `ips`.

    A CA rather than one self-signed certificate because strict verification (Python 3.13's
    default VERIFY_X509_STRICT) rejects a leaf that is its own trust anchor.
    """
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "diarydesk test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    alt_names: list[x509.GeneralName] = [x509.DNSName(name) for name in names]
    alt_names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return Certificates(
        ca_pem=ca.public_bytes(serialization.Encoding.PEM),
        cert_pem=cert.public_bytes(serialization.Encoding.PEM),
        key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )


@dataclass(frozen=True)
class _Accounts:
    """Which system accounts Dovecot's processes and mail files run as."""

    internal_user: str
    internal_group: str
    login_user: str
    mail_uid: int
    mail_gid: int
    root: bool


def _accounts() -> _Accounts:
    if os.geteuid() != 0:
        user = getpass.getuser()
        group = grp.getgrgid(os.getegid()).gr_name
        return _Accounts(user, group, user, os.geteuid(), os.getegid(), root=False)
    # Dovecot refuses to run imap-login or to access mail as root.
    for name in ("dovenull", "nobody"):
        with contextlib.suppress(KeyError):
            login = pwd.getpwnam(name).pw_name
            break
    else:
        raise RuntimeError("neither a 'dovenull' nor a 'nobody' account exists")
    mail = pwd.getpwnam("nobody")
    return _Accounts("root", "root", login, mail.pw_uid, mail.pw_gid, root=True)


class DovecotServer:
    """One Dovecot instance: its config, passwd-file, mail and logs live under `root`."""

    def __init__(
        self,
        binary: str,
        root: Path,
        *,
        certificates: Certificates | None,
        capability: str | None = None,
    ) -> None:
        self.binary = binary
        self.root = root
        self.host = HOST
        self.port = _free_port()
        self.tls_port: int | None = _free_port() if certificates is not None else None
        self.certificates = certificates
        self.capability = capability
        self.ssl_context: ssl.SSLContext | None = None
        if certificates is not None:
            self.ssl_context = ssl.create_default_context(cadata=certificates.ca_pem.decode())
        self._accounts = _accounts()
        self._process: subprocess.Popen[bytes] | None = None
        self._users = itertools.count(1)
        self._write_config()

    # -- configuration ---------------------------------------------------------------------

    @property
    def config_path(self) -> Path:
        return self.root / "dovecot.conf"

    @property
    def users_path(self) -> Path:
        return self.root / "users"

    @property
    def log_path(self) -> Path:
        return self.root / "dovecot.log"

    def _write_config(self) -> None:
        accounts = self._accounts
        for name in ("run", "state", "mail", "secrets", "users"):
            (self.root / name).mkdir(parents=True, exist_ok=True)
        # Unprivileged Dovecot processes must reach the mail; the secrets stay private.
        self.root.chmod(0o755)
        (self.root / "secrets").chmod(0o700)
        if accounts.root:
            os.chown(self.root / "mail", accounts.mail_uid, accounts.mail_gid)
        tls_lines = ["ssl = no"]
        listener_lines: list[str] = []
        if self.certificates is not None:
            (self.root / "cert.pem").write_bytes(self.certificates.cert_pem)
            key = self.root / "secrets" / "key.pem"
            key.write_bytes(self.certificates.key_pem)
            tls_lines = [
                "ssl = yes",
                f"ssl_cert = <{self.root / 'cert.pem'}",
                f"ssl_key = <{key}",
            ]
            listener_lines = [
                "  inet_listener imaps {",
                f"    port = {self.tls_port}",
                "    ssl = yes",
                "  }",
            ]
        if accounts.root:
            privilege_lines = [
                f"mail_uid = {accounts.mail_uid}",
                f"mail_gid = {accounts.mail_gid}",
            ]
            chroot_lines: list[str] = []
        else:
            # A user cannot chroot or change uid: every process runs as the invoking user.
            privilege_lines = [
                f"first_valid_uid = {accounts.mail_uid}",
                f"first_valid_gid = {accounts.mail_gid}",
            ]
            chroot_lines = ["  chroot ="]
        lines = [
            f"base_dir = {self.root / 'run'}",
            f"state_dir = {self.root / 'state'}",
            f"log_path = {self.log_path}",
            "protocols = imap",
            f"listen = {self.host}",
            f"default_internal_user = {accounts.internal_user}",
            f"default_internal_group = {accounts.internal_group}",
            f"default_login_user = {accounts.login_user}",
            *privilege_lines,
            *tls_lines,
            # Plaintext logins over loopback: the tests exercise security = "none" too.
            "disable_plaintext_auth = no",
            "auth_mechanisms = plain login xoauth2",
            # A refused login answers at once instead of after the default two seconds.
            "auth_failure_delay = 0",
            "mail_location = maildir:~/Maildir",
            "namespace inbox {",
            "  inbox = yes",
            "}",
            "passdb {",
            "  driver = passwd-file",
            f"  args = scheme=PLAIN username_format=%u {self.users_path}/%u",
            "}",
            "userdb {",
            "  driver = passwd-file",
            f"  args = username_format=%u {self.users_path}/%u",
            "}",
            "service imap-login {",
            *chroot_lines,
            "  inet_listener imap {",
            f"    port = {self.port}",
            "  }",
            *listener_lines,
            "}",
            # Without its anvil socket the auth process keeps no "auth penalty": otherwise one
            # refused login delays every later login from 127.0.0.1 by seconds.
            "service anvil {",
            *chroot_lines,
            "  unix_listener anvil-auth-penalty {",
            "    mode = 0",
            "  }",
            "}",
            "service ipc {",
            *chroot_lines,
            "}",
        ]
        if self.capability is not None:
            lines.append(f"imap_capability = {self.capability}")
        self.config_path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    # -- process ---------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start the server (same ports, same mail as before) and wait until it greets."""
        if self.running:
            return
        with (self.root / "dovecot.out").open("ab") as output:
            self._process = subprocess.Popen(
                [self.binary, "-F", "-c", str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                # Its own process group, so teardown can find every child it forked.
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._greets():
            if self._process.poll() is not None or time.monotonic() > deadline:
                log = self.log_tail()
                self.stop()
                raise RuntimeError(f"Dovecot did not start ({self.config_path}):\n{log}")
            time.sleep(0.05)

    def _greets(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=2) as probe:
                return probe.recv(64).startswith(b"* OK")
        except OSError:
            return False

    def stop(self, *, graceful: bool = True) -> None:
        """Stop the server and every process it started; connections in progress die.

        Graceful is a normal shutdown (clients get BYE; about a second); otherwise every
        process is killed at once, for teardown when the mail is thrown away anyway."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None and graceful:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        # Children outlive a master that was killed; they share its process group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def log_tail(self, lines: int = 30) -> str:
        text = ""
        for path in (self.root / "dovecot.out", self.log_path):
            if path.exists():
                text += path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    # -- users -----------------------------------------------------------------------------

    def add_user(
        self, name: str | None = None, password: str | None = None, *, capability: str = ""
    ) -> DovecotMailbox:
        """A new user with an empty mailbox. `capability` (one word, e.g. "IMAP4rev1")
        replaces the capabilities this user's sessions announce after login."""
        number = next(self._users)
        name = name or f"resident{number}"
        password = password or f"pw-{number}-{os.urandom(6).hex()}"
        if not re.fullmatch(r"[A-Za-z0-9_-]+", name) or re.search(r"[\s:]", password + capability):
            raise ValueError(
                "user names are [A-Za-z0-9_-]; passwords and capabilities hold no spaces or colons"
            )
        home = self.root / "mail" / name
        extra = f"userdb_imap_capability={capability}" if capability else ""
        # A passwd-file per user: a file that is new cannot be mistaken for one Dovecot has
        # already read in the same second.
        passwd = self.users_path / name
        if passwd.exists():
            raise ValueError(f"user {name!r} exists already")
        passwd.write_text(f"{name}:{{PLAIN}}{password}::::{home}::{extra}\n", encoding="utf-8")
        secret = self.root / "secrets" / f"{name}.password"
        secret.write_text(password + "\n", encoding="utf-8")
        return DovecotMailbox(self, name, password, home / "Maildir", secret)


class DovecotMailbox:
    """One user's mailbox, seen from the user's side (a separate IMAP client)."""

    def __init__(
        self, server: DovecotServer, user: str, password: str, maildir: Path, password_file: Path
    ) -> None:
        self.server = server
        self.user = user
        self.password = password
        self.maildir = maildir
        self.password_file = password_file

    @property
    def host(self) -> str:
        return self.server.host

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def tls_port(self) -> int | None:
        return self.server.tls_port

    @property
    def ssl_context(self) -> ssl.SSLContext | None:
        return self.server.ssl_context

    def stop(self) -> None:
        self.server.stop()

    def start(self) -> None:
        self.server.start()

    def settings(self, **overrides: Any) -> MailboxSettings:
        """Settings for this mailbox: plain IMAP on the loopback port, the password in a file."""
        values: dict[str, Any] = {
            "kind": "imap",
            "host": self.host,
            "port": self.port,
            "security": "none",
            "username": self.user,
            "password_file": str(self.password_file),
            "connect_timeout_s": 10.0,
            "read_timeout_s": 30.0,
        }
        values.update(overrides)
        return MailboxSettings.model_validate(values)

    @contextlib.contextmanager
    def client(self) -> Iterator[Any]:
        """An IMAPClient logged in as this user, over plain IMAP."""
        client = IMAPClient(self.host, self.port, ssl=False, timeout=30)
        try:
            client.login(self.user, self.password)
            yield client
        finally:
            with contextlib.suppress(Exception):
                client.logout()

    def append(
        self,
        raw: bytes,
        folder: str = "INBOX",
        flags: Sequence[bytes | str] = (),
        internal_date: dt.datetime | None = None,
    ) -> int:
        """Deliver `raw` into `folder` (a server-side name, created when missing); its UID."""
        with self.client() as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            response = client.append(folder, raw, flags=tuple(flags), msg_time=internal_date)
        matched = re.search(rb"\[APPENDUID \d+ (\d+)\]", response)
        if matched is None:
            raise AssertionError(f"no APPENDUID in {response!r}")
        return int(matched.group(1))

    def folders(self) -> FolderContents:
        """Every folder (server-side names) -> [(uid, flags, raw)] in UID order, read without
        changing any flag (\\Recent left out)."""
        contents: FolderContents = {}
        with self.client() as client:
            for flags, _delimiter, name in client.list_folders():
                if b"\\Noselect" in flags or b"\\NonExistent" in flags:
                    continue
                client.select_folder(name, readonly=True)
                uids = client.search("ALL")
                fetched = client.fetch(uids, ["BODY.PEEK[]", "FLAGS"]) if uids else {}
                contents[name] = [
                    (uid, _stored_flags(fetched[uid][b"FLAGS"]), fetched[uid][b"BODY[]"])
                    for uid in sorted(fetched)
                ]
        return contents


def _stored_flags(flags: Sequence[bytes]) -> tuple[bytes, ...]:
    # \Recent belongs to whichever session sees a message first, not to the message.
    return tuple(flag for flag in flags if flag.lower() != b"\\recent")


def _server(
    binary: str, *, certificates: Certificates | None, capability: str | None
) -> Iterator[DovecotServer]:
    root = Path(tempfile.mkdtemp(prefix="dovecot-"))
    server = DovecotServer(binary, root, certificates=certificates, capability=capability)
    try:
        server.start()
        yield server
    finally:
        server.stop(graceful=False)
        shutil.rmtree(root, ignore_errors=True)


def _binary_or_skip() -> str:
    binary = dovecot_binary()
    if binary is None:
        _unavailable("dovecot is not installed (apt-get install dovecot-imapd)")
        raise AssertionError("unreachable")
    return binary


@pytest.fixture(scope="session")
def dovecot_certificates() -> Certificates:
    return make_certificates()


@pytest.fixture(scope="session")
def dovecot_server(dovecot_certificates: Certificates) -> Iterator[DovecotServer]:
    """A modern Dovecot: MOVE, UIDPLUS, STARTTLS and implicit TLS."""
    yield from _server(_binary_or_skip(), certificates=dovecot_certificates, capability=None)


@pytest.fixture(scope="session")
def dovecot_legacy_server() -> Iterator[DovecotServer]:
    """An old-style Dovecot: no MOVE (UIDPLUS only), no STARTTLS, no TLS port."""
    yield from _server(_binary_or_skip(), certificates=None, capability=LEGACY_CAPABILITY)


@pytest.fixture
def dovecot(dovecot_server: DovecotServer) -> Iterator[DovecotMailbox]:
    """A fresh, empty mailbox on the modern server."""
    dovecot_server.start()
    yield dovecot_server.add_user()
    # A test that stopped the server must not leave it down for the next one.
    dovecot_server.start()


@pytest.fixture
def dovecot_legacy(dovecot_legacy_server: DovecotServer) -> Iterator[DovecotMailbox]:
    """A fresh, empty mailbox on the old-style server."""
    dovecot_legacy_server.start()
    yield dovecot_legacy_server.add_user()
    dovecot_legacy_server.start()
