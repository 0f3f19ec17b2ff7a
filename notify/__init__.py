"""Outbound mail: threshold and urgent alerts, the staff digest, resident acknowledgements.

Everything that leaves goes through the `alerts` table first (`notify.queue.enqueue`): a row per
email with an idempotency key, so the same alert can never be queued twice, and a sender that
retries with backoff until the mail server accepts it. The row's payload is the finished email:
{"to": [addresses], "subject": str, "text": str, "html": str | None}.
"""
