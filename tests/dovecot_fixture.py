"""A real Dovecot IMAP server for tests (filled in by the IMAP work)."""
