"""The mailbox on an IMAP server: one connection per `with` block, UIDs throughout.

Nothing here marks a message read: bodies are fetched with BODY.PEEK[], and a message leaves
the watched folder only through `move()`, which the worker calls after the message is stored.
Failures become `MailSourceError`: transient for the network (retry with backoff), not
transient for what an administrator must fix (login refused, no TLS, a folder that cannot be
created), with a message that names the server, the user and the setting, never the secret.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import imaplib
import ipaddress
import logging
import ssl
from collections.abc import Iterator, Sequence
from types import TracebackType
from typing import Any

from imapclient import IMAPClient, SocketTimeout  # type: ignore[import-untyped]
from imapclient.exceptions import (  # type: ignore[import-untyped]
    CapabilityError,
    IMAPClientAbortError,
    IMAPClientError,
)

from ingest import credentials
from ingest.config import MailboxSettings
from ingest.sources.base import FetchedMessage, MailSourceError, MessageRef

logger = logging.getLogger(__name__)

DEFAULT_PORTS = {"tls": 993, "starttls": 143, "none": 143}
# Folder paths in the configuration use "/"; the server may use another delimiter.
CONFIG_DELIMITER = "/"
FETCH_ITEMS = [b"BODY.PEEK[]", b"INTERNALDATE"]
DELETED = b"\\Deleted"


def is_loopback(host: str) -> bool:
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _server_text(err: BaseException) -> str:
    # imaplib puts the server's bytes in the exception: b'[AUTHENTICATIONFAILED] ...'.
    text = str(err.args[0] if err.args else err)
    if text.startswith(("b'", 'b"')) and text.endswith(text[1]):
        text = text[2:-1]
    return text.strip() or type(err).__name__


class ImapSource:
    """A `MailSource` on the folder `settings.folder` of an IMAP account."""

    def __init__(
        self, settings: MailboxSettings, *, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        self._settings = settings
        self._ssl_context = ssl_context
        self.host = settings.host
        self.port = settings.port or DEFAULT_PORTS[settings.security]
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.name = f"imap://{settings.username}@{host}:{self.port}/"
        self.folder = settings.folder
        self._where = f"{host}:{self.port}"
        if settings.security == "none" and not is_loopback(self.host):
            raise MailSourceError(
                f'mailbox.security = "none" would send the password for {settings.username!r} '
                f"unencrypted to {self.host}; it is only allowed for a loopback address "
                '(127.0.0.1, ::1, localhost). Use "tls" or "starttls".',
                transient=False,
            )
        if settings.auth == "none":
            raise MailSourceError(
                'mailbox.auth = "none" is for SMTP relays; an IMAP mailbox needs "password" '
                'or "xoauth2".',
                transient=False,
            )
        self._client: Any = None
        self._uidvalidity: int | None = None
        self._delimiter: str | None = None
        self._known_folders: set[str] = set()

    # -- connection ------------------------------------------------------------------------

    def __enter__(self) -> ImapSource:
        client = self._connect()
        try:
            self._secure(client)
            self._login(client)
            self._client = client
            self._known_folders = set()
            self._delimiter = None
            self._select()
        except BaseException:
            self._client = None
            with contextlib.suppress(Exception):
                client.shutdown()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.logout()
        except Exception:
            # The connection is already dead (that is often why the block is ending).
            with contextlib.suppress(Exception):
                client.shutdown()

    def _connect(self) -> Any:
        settings = self._settings
        implicit_tls = settings.security == "tls"
        try:
            client = IMAPClient(
                self.host,
                self.port,
                ssl=implicit_tls,
                ssl_context=self._context() if implicit_tls else None,
                timeout=SocketTimeout(
                    connect=settings.connect_timeout_s, read=settings.read_timeout_s
                ),
            )
        except Exception as err:
            raise self._translate(err, "connect") from err
        # IMAPClient turns on imaplib's tracing (debug = 5), which formats every line and
        # every literal (whole message bodies) even when nobody logs them: over twice the
        # time of a large fetch. Keep it only for someone who asked for the protocol log.
        if not logging.getLogger("imapclient.imaplib").isEnabledFor(logging.DEBUG):
            client._imap.debug = 0
        # Aware datetimes for INTERNALDATE instead of naive local time.
        client.normalise_times = False
        return client

    def _context(self) -> ssl.SSLContext:
        return self._ssl_context or ssl.create_default_context()

    def _secure(self, client: Any) -> None:
        if self._settings.security != "starttls":
            return
        if not client.has_capability("STARTTLS"):
            raise MailSourceError(
                f"The IMAP server {self._where} does not offer STARTTLS, so the login would "
                'travel unencrypted; refusing. Use security = "tls" (port 993) if the server '
                "has it, or enable TLS on the server.",
                transient=False,
            )
        try:
            client.starttls(self._context())
        except Exception as err:
            raise self._translate(err, "STARTTLS") from err

    def _login(self, client: Any) -> None:
        settings = self._settings
        try:
            if settings.auth == "xoauth2":
                secret = credentials.oauth_token(settings)
            else:
                secret = credentials.password(settings)
        except credentials.CredentialError as err:
            raise MailSourceError(str(err), transient=err.transient) from err
        try:
            if settings.auth == "xoauth2":
                client.oauth2_login(settings.username, secret)
            else:
                client.login(settings.username, secret)
        except IMAPClientError as err:
            # IMAPClient re-raises a dropped connection as LoginError too; the cause tells.
            if isinstance(err, IMAPClientAbortError) or isinstance(
                err.__context__, IMAPClientAbortError | OSError
            ):
                raise self._translate(err.__context__ or err, "log in") from err
            said = _server_text(err).replace(secret, "**REDACTED**")
            # RFC 5530: UNAVAILABLE is the server's "try again later", not a wrong password.
            transient = "[UNAVAILABLE]" in said.upper()
            how = (
                "XOAUTH2 token (and the app's mailbox permission)"
                if settings.auth == "xoauth2"
                else f"password in {credentials.password_source(settings)}"
            )
            raise MailSourceError(
                f"The IMAP server {self._where} refused the login for user "
                f"{settings.username!r} ({said}); check mailbox.username and the {how}.",
                transient=transient,
            ) from err
        except Exception as err:
            raise self._translate(err, "log in") from err
        logger.debug("%s logged in", self.name)

    def _translate(self, err: BaseException, action: str) -> MailSourceError:
        """Sort a failure into "try again later" and "an administrator must fix this"."""
        where = self._where
        if isinstance(err, MailSourceError):
            return err
        if isinstance(err, ssl.SSLCertVerificationError):
            return MailSourceError(
                f"The TLS certificate of the IMAP server {where} could not be verified "
                f"({err.verify_message or err.reason}); install the CA that issued it, or "
                "check mailbox.host matches the name in the certificate.",
                transient=False,
            )
        if isinstance(err, ssl.SSLEOFError | ssl.SSLZeroReturnError):
            return MailSourceError(
                f"The IMAP server {where} closed the connection during the TLS handshake.",
                transient=True,
            )
        if isinstance(err, ssl.SSLError):
            return MailSourceError(
                f"TLS with the IMAP server {where} failed ({err.reason or err}); check that "
                f"mailbox.security = {self._settings.security!r} matches port {self.port} "
                "(993: tls, 143: starttls).",
                transient=False,
            )
        if isinstance(err, TimeoutError):
            return MailSourceError(
                f"The IMAP server {where} did not answer in time ({action}).", transient=True
            )
        if isinstance(err, OSError | IMAPClientAbortError | EOFError):
            return MailSourceError(
                f"Lost the IMAP server {where} ({action}): {err}.", transient=True
            )
        if isinstance(err, CapabilityError):
            return MailSourceError(
                f"The IMAP server {where} cannot {action}: {err}.", transient=False
            )
        if isinstance(err, IMAPClientError | imaplib.IMAP4.error):
            return MailSourceError(
                f"The IMAP server {where} refused to {action}: {_server_text(err)}.",
                transient=True,
            )
        return MailSourceError(f"IMAP {action} on {where} failed: {err!r}.", transient=True)

    @contextlib.contextmanager
    def _talking(self, action: str) -> Iterator[Any]:
        if self._client is None:
            raise RuntimeError("use the ImapSource inside a `with` block")
        try:
            yield self._client
        except MailSourceError:
            raise
        except Exception as err:
            raise self._translate(err, action) from err

    # -- folders ---------------------------------------------------------------------------

    def _select(self) -> None:
        folder = self._server_folder(self.folder)
        with self._talking(f"select folder {self.folder!r}") as client:
            try:
                response = client.select_folder(folder, readonly=False)
            except IMAPClientAbortError:
                raise
            except IMAPClientError as err:
                raise MailSourceError(
                    f"The IMAP server {self._where} cannot open the folder {self.folder!r} "
                    f"for {self._settings.username!r} ({_server_text(err)}); check "
                    "mailbox.folder.",
                    transient=False,
                ) from err
        value = response.get(b"UIDVALIDITY")
        self._uidvalidity = int(value) if value is not None else None
        self._known_folders.add(folder)

    def _server_delimiter(self) -> str | None:
        if self._delimiter is None:
            with self._talking("list folders") as client:
                # LIST "" "" returns just the hierarchy delimiter (RFC 3501 6.3.8).
                listed = client.list_folders("", "")
            delimiter = listed[0][1] if listed else None
            if isinstance(delimiter, bytes):
                delimiter = delimiter.decode("ascii")
            self._delimiter = delimiter or ""
        return self._delimiter or None

    def _server_folder(self, folder: str) -> str:
        """The server's name for a configured folder path such as "Diarydesk/Processed"."""
        if CONFIG_DELIMITER not in folder:
            return folder
        parts = [part for part in folder.split(CONFIG_DELIMITER) if part]
        delimiter = self._server_delimiter()
        if delimiter == CONFIG_DELIMITER:
            return CONFIG_DELIMITER.join(parts)
        if delimiter is None or any(delimiter in part for part in parts):
            problem = (
                "has no folder hierarchy"
                if delimiter is None
                else f"separates folders with {delimiter!r}, which a part of the name contains"
            )
            raise MailSourceError(
                f"The folder {folder!r} cannot be made on the IMAP server {self._where}: it "
                f"{problem}. Choose a folder name without that character.",
                transient=False,
            )
        return delimiter.join(parts)

    def _ensure_folder(self, folder: str) -> str:
        """The server's name for `folder`, created (with its parents) and subscribed when
        missing."""
        name = self._server_folder(folder)
        if name in self._known_folders:
            return name
        delimiter = self._server_delimiter() or ""
        parts = name.split(delimiter) if delimiter else [name]
        with self._talking(f"create folder {folder!r}") as client:
            for depth in range(1, len(parts) + 1):
                level = delimiter.join(parts[:depth])
                if level in self._known_folders or client.folder_exists(level):
                    self._known_folders.add(level)
                    continue
                try:
                    client.create_folder(level)
                except IMAPClientAbortError:
                    raise
                except IMAPClientError as err:
                    # Another worker (or a person) may have created it a moment ago.
                    if not client.folder_exists(level):
                        raise MailSourceError(
                            f"The IMAP server {self._where} would not create the folder "
                            f"{level!r} ({_server_text(err)}); create it by hand or change "
                            "the mailbox folder settings.",
                            transient=False,
                        ) from err
                logger.info("%s created folder %r", self.name, level)
                # Subscribed so that mail clients show it; not worth failing a move over.
                try:
                    client.subscribe_folder(level)
                except IMAPClientAbortError:
                    raise
                except IMAPClientError as err:
                    logger.warning("%s could not subscribe %r: %s", self.name, level, err)
                self._known_folders.add(level)
        return name

    # -- MailSource --------------------------------------------------------------------------

    def uidvalidity(self) -> int | None:
        if self._client is None:
            raise RuntimeError("use the ImapSource inside a `with` block")
        return self._uidvalidity

    def pending(self, *, after_uid: int = 0) -> list[MessageRef]:
        with self._talking("search the folder") as client:
            # "n:*" always matches the highest UID, even when it is below n (RFC 3501 6.4.8).
            found = client.search(f"UID {after_uid + 1}:*")
        uids = sorted(int(uid) for uid in found if int(uid) > after_uid)
        return [MessageRef(key=str(uid), uid=uid) for uid in uids]

    def fetch(self, refs: Sequence[MessageRef]) -> Iterator[FetchedMessage]:
        size = self._settings.batch_size
        for start in range(0, len(refs), size):
            batch = refs[start : start + size]
            uids = [_uid(ref) for ref in batch]
            with self._talking("fetch messages") as client:
                response = client.fetch(uids, FETCH_ITEMS)
            for ref, uid in zip(batch, uids, strict=True):
                # Unsolicited FETCH data (another client setting flags) has no body; a UID
                # that another client moved away has no entry at all.
                data = response.get(uid) or {}
                raw = data.get(b"BODY[]")
                if raw is None:
                    logger.debug("%s uid %d vanished before it was fetched", self.name, uid)
                    continue
                yield FetchedMessage(
                    ref=ref, raw=bytes(raw), internal_date=_utc(data.get(b"INTERNALDATE"))
                )

    def move(self, refs: Sequence[MessageRef], folder: str) -> None:
        uids = sorted({_uid(ref) for ref in refs})
        if not uids:
            return
        capabilities = self._capabilities()
        if b"MOVE" not in capabilities and b"UIDPLUS" not in capabilities:
            # Plain EXPUNGE would also destroy every message another client marked \Deleted.
            raise MailSourceError(
                f"The IMAP server {self._where} supports neither MOVE nor UIDPLUS, so messages "
                "cannot be moved without expunging other clients' deleted mail; refusing. "
                "Move them by hand, or use a server with MOVE (RFC 6851) or UIDPLUS (RFC 4315).",
                transient=False,
            )
        target = self._ensure_folder(folder)
        with self._talking(f"move messages to {folder!r}") as client:
            # UID commands ignore UIDs that no longer exist: moving twice is moving once.
            if b"MOVE" in capabilities:
                client.move(uids, target)
            else:
                client.copy(uids, target)
                client.add_flags(uids, [DELETED], silent=True)
                client.uid_expunge(uids)

    def _capabilities(self) -> tuple[bytes, ...]:
        with self._talking("list capabilities") as client:
            return tuple(bytes(c).upper() for c in client.capabilities())


def _uid(ref: MessageRef) -> int:
    return ref.uid if ref.uid is not None else int(ref.key)


def _utc(value: object) -> dt.datetime | None:
    if not isinstance(value, dt.datetime):
        return None
    if value.tzinfo is None:
        # Only when the server sent no zone, which INTERNALDATE always carries.
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)
