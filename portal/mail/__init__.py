"""Outgoing mail: written to an outbox table in the same transaction as the change it reports,
delivered afterwards by `portal send-mail` (or right after the request), retried until sent."""
