"""A real aiosmtpd SMTP server for tests (filled in by the notify work)."""
