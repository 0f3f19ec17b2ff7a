"""Where emails come from: one small interface, an IMAP server or a local Maildir behind it."""

from ingest.sources.base import FetchedMessage, MailSource, MailSourceError, MessageRef

__all__ = ["FetchedMessage", "MailSource", "MailSourceError", "MessageRef"]
