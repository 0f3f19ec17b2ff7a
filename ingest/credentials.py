"""Secrets for a mail login, from where the configuration says they are (never from the TOML).

Transport-neutral: the IMAP source and the SMTP sender both call `password()` or
`oauth_token()` with their own settings section and turn a `CredentialError` into their own
error. Messages name the setting and the variable or file, never the secret.
"""

from __future__ import annotations

import functools
import os
import shlex
import subprocess
from pathlib import Path
from typing import Any

from ingest.config import MailboxSettings, MailOutSettings, _Credentials

# Client-credentials flow for Exchange Online IMAP/SMTP (application permission).
MICROSOFT_AUTHORITY = "https://login.microsoftonline.com/{tenant}"
MICROSOFT_SCOPES = ("https://outlook.office365.com/.default",)


class CredentialError(Exception):
    """A password or token could not be obtained; the message names the setting to fix.

    `transient` is True when trying again later may work (a token command timed out, the
    identity provider could not be reached).
    """

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


def _section(settings: _Credentials) -> str:
    if isinstance(settings, MailboxSettings):
        return "mailbox"
    if isinstance(settings, MailOutSettings):
        return "mail_out"
    return "credentials"


def password(settings: _Credentials) -> str:
    """The password from the environment variable `password_env` or the file `password_file`
    (one trailing newline removed)."""
    section = _section(settings)
    if settings.password_env:
        name = settings.password_env
        value = os.environ.get(name)
        if value is None:
            raise CredentialError(
                f"{section}.password_env names the environment variable {name}, which is not "
                f"set; export it with the password for {settings.username!r}."
            )
        if not value:
            raise CredentialError(
                f"The environment variable {name} ({section}.password_env) is empty."
            )
        return value
    if settings.password_file:
        path = Path(settings.password_file).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as err:
            raise CredentialError(
                f"Cannot read the password file {path} ({section}.password_file): "
                f"{err.strerror or err}."
            ) from err
        except UnicodeDecodeError as err:
            raise CredentialError(
                f"The password file {path} ({section}.password_file) is not UTF-8 text."
            ) from err
        # Editors and `echo` end the file with a newline that is not part of the password.
        value = text.removesuffix("\n").removesuffix("\r")
        if not value:
            raise CredentialError(f"The password file {path} ({section}.password_file) is empty.")
        return value
    raise CredentialError(
        f"No password configured for {settings.username!r}: set {section}.password_env (the name "
        f"of an environment variable holding it) or {section}.password_file; passwords never "
        "go in the configuration file."
    )


def password_source(settings: _Credentials) -> str:
    """Where `password()` reads from, for messages: "the file /run/secrets/imap
    (mailbox.password_file)"; never the password itself."""
    section = _section(settings)
    if settings.password_env:
        return f"the environment variable {settings.password_env} ({section}.password_env)"
    if settings.password_file:
        return f"the file {settings.password_file} ({section}.password_file)"
    return "no password setting"


def oauth_token(settings: _Credentials) -> str:
    """An OAuth access token for XOAUTH2: printed by `token_command` when one is configured,
    otherwise from Microsoft's client-credentials flow."""
    if settings.token_command:
        return _token_from_command(settings)
    return _token_from_microsoft(settings)


def _token_from_command(settings: _Credentials) -> str:
    key = f"{_section(settings)}.token_command"
    try:
        argv = shlex.split(settings.token_command)
    except ValueError as err:
        raise CredentialError(f"{key} cannot be split into words: {err}.") from err
    if not argv:
        raise CredentialError(f"{key} is empty.")
    timeout_s = settings.read_timeout_s
    try:
        result = subprocess.run(
            argv, capture_output=True, timeout=timeout_s, check=False, stdin=subprocess.DEVNULL
        )
    except FileNotFoundError as err:
        raise CredentialError(f"{key}: the program {argv[0]!r} was not found.") from err
    except subprocess.TimeoutExpired as err:
        raise CredentialError(
            f"{key} ({argv[0]}) printed no token within {timeout_s:g} s "
            f"(the {_section(settings)}.read_timeout_s setting).",
            transient=True,
        ) from err
    except OSError as err:
        raise CredentialError(f"{key}: cannot run {argv[0]!r}: {err.strerror or err}.") from err
    if result.returncode != 0:
        # The last line of stderr usually says why; the token itself goes to stdout.
        said = result.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = f": {said[-1][:200]}" if said else ""
        raise CredentialError(f"{key} ({argv[0]}) failed with status {result.returncode}{reason}.")
    token = result.stdout.decode("utf-8", "replace").strip()
    if not token:
        raise CredentialError(f"{key} ({argv[0]}) printed nothing; it must print the token.")
    return token


def _token_from_microsoft(settings: _Credentials) -> str:
    section = _section(settings)
    missing = [
        f"{section}.{key}"
        for key in ("oauth_tenant_id", "oauth_client_id", "oauth_client_secret_env")
        if not getattr(settings, key)
    ]
    if missing:
        raise CredentialError(
            f"XOAUTH2 needs {section}.token_command, or {', '.join(missing)} for Microsoft 365."
        )
    variable = settings.oauth_client_secret_env
    secret = os.environ.get(variable)
    if not secret:
        state = "is empty" if secret == "" else "is not set"
        raise CredentialError(
            f"{section}.oauth_client_secret_env names the environment variable {variable}, "
            f"which {state}; export the app registration's client secret in it."
        )
    tenant, client_id = settings.oauth_tenant_id, settings.oauth_client_id
    try:
        app = _microsoft_app(client_id, MICROSOFT_AUTHORITY.format(tenant=tenant), secret)
        result: dict[str, Any] = app.acquire_token_for_client(scopes=list(MICROSOFT_SCOPES))
    except ValueError as err:
        # msal raises ValueError for an authority (tenant) it cannot resolve.
        raise CredentialError(
            f"Microsoft sign-in for tenant {tenant!r} failed: {err}; check "
            f"{section}.oauth_tenant_id."
        ) from err
    except OSError as err:
        # requests' exceptions are OSErrors: the identity provider could not be reached.
        raise CredentialError(
            f"Cannot reach Microsoft sign-in for tenant {tenant!r}: {err}.", transient=True
        ) from err
    token = result.get("access_token")
    if isinstance(token, str) and token:
        return token
    description = result.get("error_description") or result.get("error") or "no token returned"
    raise CredentialError(
        f"Microsoft sign-in for client {client_id!r} in tenant {tenant!r} was refused: "
        f"{description}"
    )


@functools.lru_cache(maxsize=4)
def _microsoft_app(client_id: str, authority: str, secret: str) -> Any:
    # One application object per registration: msal caches the token in it until it expires,
    # so a poll every few minutes does not sign in every time.
    import msal

    return msal.ConfidentialClientApplication(
        client_id, authority=authority, client_credential=secret
    )
