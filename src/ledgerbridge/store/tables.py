"""The schema of our own tables. Every constraint is named (see ``NAMING``) so that Alembic and
:mod:`ledgerbridge.store.errors` agree on what a violation means.

Money columns hold integer minor units (``*_minor``) next to a ``CHAR(3)`` currency; rates are
exact decimal text. Journal rows are append-only: triggers (see the initial migration) refuse
UPDATE and DELETE on them, and the audit chain records what each entry said when posted.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

book = Table(
    "book",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("base_currency", String(3), nullable=False),
    Column("chart", String(40), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)
"""One row: the book's base currency, fixed at ``init``."""

accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(32), nullable=False),
    Column("name", String(200), nullable=False),
    Column("type", String(10), nullable=False),
    Column("currency", String(3), nullable=True),
    Column("role", String(120), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("code", name="uq_accounts_code"),
    UniqueConstraint("role", name="uq_accounts_role"),
    CheckConstraint("type IN ('asset', 'liability', 'equity', 'revenue', 'expense')", name="type"),
)

journal_entries = Table(
    "journal_entries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("date", Date, nullable=False, index=True),
    Column("description", Text, nullable=False),
    Column("base_currency", String(3), nullable=False),
    Column("source_connection", String(120), nullable=False),
    Column("source_external_id", String(255), nullable=False),
    Column("source_kind", String(80), nullable=False),
    Column("reverses_entry_id", Integer, ForeignKey("journal_entries.id"), nullable=True),
    Column("mapping_version", Integer, nullable=True),
    Column("dimensions", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("event_id", Integer, nullable=True, index=True),
    # event_id: the inbox event this entry was posted from (none for manual entries).
    Column("subject", String(255), nullable=True),
    # subject: the platform object the entry is about (order, payout, dispute id), so the
    # posting of a later event can find what was booked for the same object.
    UniqueConstraint(
        "source_connection",
        "source_external_id",
        "source_kind",
        name="uq_journal_entries_source_key",
    ),
    UniqueConstraint("reverses_entry_id", name="uq_journal_entries_reverses_entry_id"),
    Index("ix_journal_entries_subject", "source_connection", "subject"),
)

journal_lines = Table(
    "journal_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("entry_id", Integer, ForeignKey("journal_entries.id"), nullable=False, index=True),
    Column("line_no", Integer, nullable=False),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("side", String(6), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("base_amount_minor", BigInteger, nullable=False),
    Column("rate", String(40), nullable=False),
    Column("rate_date", Date, nullable=True),
    Column("rate_source", String(80), nullable=True),
    Column("memo", Text, nullable=False),
    Column("dimensions", JSON, nullable=False),
    UniqueConstraint("entry_id", "line_no", name="uq_journal_lines_entry_id"),
    CheckConstraint("side IN ('debit', 'credit')", name="side"),
    CheckConstraint("amount_minor > 0", name="amount_positive"),
    CheckConstraint("base_amount_minor >= 0", name="base_amount_not_negative"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("action", String(60), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("hash_version", Integer, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("hash", name="uq_audit_log_hash"),
)
"""Append-only hash chain: ``hash = sha256(prev_hash ‖ payload)`` over the stored bytes."""

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)
"""The chain's tip. Writers lock this row (``FOR UPDATE``) so appends are serialised."""

connections = Table(
    "connections",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(120), nullable=False),
    Column("platform", String(40), nullable=False),
    Column("clearing_account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("secret_encrypted", Text, nullable=False),
    # secret_encrypted: the webhook signing secret, Fernet-encrypted with the book's key.
    Column("api_url", String(500), nullable=True),
    Column("api_token_encrypted", Text, nullable=True),
    Column("settings", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("name", name="uq_connections_name"),
)

inbox_events = Table(
    "inbox_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("connection_id", Integer, ForeignKey("connections.id"), nullable=False),
    Column("external_id", String(255), nullable=False),
    # external_id: the platform's delivery or event id; what makes a redelivery a duplicate.
    Column("topic", String(120), nullable=False),
    Column("status", String(10), nullable=False),
    Column("headers", JSON, nullable=False),
    Column("body", LargeBinary, nullable=False),
    # body: the request body byte for byte, so a parser fix can replay history.
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("claimed_until", DateTime(timezone=True), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("notices", JSON, nullable=False),
    Column("posted_at", DateTime(timezone=True), nullable=True),
    Column("detail", LargeBinary, nullable=True),
    # detail: the API detail the worker fetched to parse this delivery (exact JSON), kept when
    # it posted: a BigCommerce webhook is only an id, so the order it booked is read back
    # from here, and an auditor sees exactly what the entry was posted from.
    UniqueConstraint("connection_id", "external_id", name="uq_inbox_events_delivery"),
    CheckConstraint("status IN ('received', 'posted', 'ignored', 'failed', 'dead')", name="status"),
    Index("ix_inbox_events_due", "status", "next_attempt_at"),
)
"""Raw-first inbox: every verified delivery, stored before it is parsed."""

fx_rates = Table(
    "fx_rates",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source", String(80), nullable=False),
    # source: the provider that published the figure ("ecb"); one cache per provider.
    Column("currency", String(3), nullable=False),
    Column("per", String(3), nullable=False),
    # per: the quote base; ``rate`` units of ``currency`` buy one ``per`` ("EUR" for the ECB).
    Column("date", Date, nullable=False),
    # date: the publication date, as the provider dated it.
    Column("rate", String(40), nullable=False),
    # rate: the figure exactly as published, as decimal text (never a float).
    Column("fetched_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("source", "currency", "per", "date", name="uq_fx_rates_source"),
)
"""Exchange-rate cache: each published figure once (insert-or-ignore), so a lookup for a date
already covered never reaches the network and a restart starts from what was fetched."""

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(120), nullable=False),
    Column("prefix", String(16), nullable=False),
    # prefix: the public part of the key (``lb_<prefix>_…``), to find its row without a scan.
    Column("key_hash", String(128), nullable=False),
    # key_hash: scrypt of the secret part, with ``salt``; the key itself is never stored.
    Column("salt", String(64), nullable=False),
    Column("scope", String(10), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("prefix", name="uq_api_keys_prefix"),
    UniqueConstraint("name", name="uq_api_keys_name"),
    CheckConstraint("scope IN ('read', 'write', 'admin')", name="scope"),
)
"""API keys for the JSON API: a name, a scope, and a salted scrypt hash of the secret."""

bank_statements = Table(
    "bank_statements",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("bank_account", String(32), nullable=False),
    # bank_account: the ledger account code the statement's money sits in (e.g. "1000").
    Column("format", String(20), nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("statement_ref", String(120), nullable=True),
    Column("account", String(120), nullable=True),
    Column("currency", String(3), nullable=False),
    Column("opening_minor", BigInteger, nullable=True),
    Column("closing_minor", BigInteger, nullable=True),
    Column("balance_gap_minor", BigInteger, nullable=True),
    # balance_gap_minor: opening + lines - closing; non-zero means the file does not add up.
    Column("period_start", Date, nullable=True),
    Column("period_end", Date, nullable=True),
    Column("lines_added", Integer, nullable=False),
    Column("lines_skipped", Integer, nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
)

bank_lines = Table(
    "bank_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("statement_id", Integer, ForeignKey("bank_statements.id"), nullable=False),
    Column("bank_account", String(32), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    # fingerprint: what makes a re-imported line the same line (see statements service).
    Column("bank_ref", String(120), nullable=True),
    Column("booking_date", Date, nullable=False, index=True),
    Column("value_date", Date, nullable=True),
    Column("amount_minor", BigInteger, nullable=False),
    # amount_minor: signed, money in positive.
    Column("currency", String(3), nullable=False),
    Column("description", Text, nullable=False),
    Column("counterparty", String(255), nullable=True),
    Column("refs", JSON, nullable=False),
    Column("transaction_code", String(40), nullable=True),
    Column("position", Integer, nullable=False),
    UniqueConstraint("fingerprint", name="uq_bank_lines_fingerprint"),
)

recon_matches = Table(
    "recon_matches",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("method", String(20), nullable=False),
    Column("score", String(10), nullable=False),
    Column("difference_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("note", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

recon_match_lines = Table(
    "recon_match_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("match_id", Integer, ForeignKey("recon_matches.id"), nullable=False),
    Column("bank_line_id", Integer, ForeignKey("bank_lines.id"), nullable=False),
    UniqueConstraint("bank_line_id", name="uq_recon_match_lines_bank_line_id"),
)
"""The database itself refuses a bank line matched twice."""

recon_match_payouts = Table(
    "recon_match_payouts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("match_id", Integer, ForeignKey("recon_matches.id"), nullable=False),
    Column("connection", String(120), nullable=False),
    Column("payout_id", String(255), nullable=False),
    UniqueConstraint("connection", "payout_id", name="uq_recon_match_payouts_connection"),
)

discrepancies = Table(
    "discrepancies",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(255), nullable=False),
    # key: kind + payouts + lines, so a daily run does not report the same finding twice.
    Column("kind", String(30), nullable=False),
    Column("reason", Text, nullable=False),
    Column("status", String(10), nullable=False),
    Column("payouts", JSON, nullable=False),
    Column("bank_line_ids", JSON, nullable=False),
    Column("currency", String(3), nullable=True),
    Column("expected_minor", BigInteger, nullable=True),
    Column("actual_minor", BigInteger, nullable=True),
    Column("difference_minor", BigInteger, nullable=True),
    Column("detected_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True), nullable=True),
    Column("action", String(20), nullable=True),
    Column("note", Text, nullable=True),
    Column("entry_id", Integer, nullable=True),
    UniqueConstraint("key", name="uq_discrepancies_key"),
    CheckConstraint("status IN ('open', 'resolved')", name="status"),
)

learned_rules = Table(
    "learned_rules",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("connection", String(120), nullable=False),
    Column("counterparty", String(255), nullable=True),
    Column("descriptor", String(255), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("from_match_id", Integer, nullable=True),
)
"""What a person's manual match taught: deposits like this belong to that connection."""

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("api_key", String(120), nullable=False),
    # api_key: the name of the API key that sent it; keys are scoped per caller, like Stripe's.
    Column("key", String(255), nullable=False),
    # key: the client's Idempotency-Key header.
    Column("request", String(300), nullable=False),
    # request: method and path, e.g. "POST /api/v1/events/7/replay".
    Column("request_hash", String(64), nullable=False),
    # request_hash: sha256 of the canonical request (query and body), to refuse a reused key.
    Column("status", Integer, nullable=True),
    # status: the response's HTTP status; NULL while the first request is still running.
    Column("response", JSON, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # created_at: when the key was reserved (renewed when a retry takes over an abandoned one).
    UniqueConstraint("api_key", "key", name="uq_idempotency_keys_api_key"),
)
"""API writes already answered, so a retried POST gets the first answer, not a second effect."""

# --- mapping tables ---

mappings = Table(
    "mappings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("connection_id", Integer, ForeignKey("connections.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("document", JSON, nullable=False),
    # document: the mapping as the user wrote it (YAML/JSON read into JSON), validated.
    Column("document_sha256", String(64), nullable=False),
    Column("created_by", String(120), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("connection_id", "version", name="uq_mappings_connection_id"),
)
"""Every mapping version ever set, per connection; the highest version is the active one. Rows
are never changed, so an entry's ``mapping_version`` always names the rules it was posted with."""

# --- target outbox tables ---

target_outbox = Table(
    "target_outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("entry_id", Integer, ForeignKey("journal_entries.id"), nullable=False),
    Column("connection_id", Integer, ForeignKey("connections.id"), nullable=False),
    Column("mapping_version", Integer, nullable=False),
    # mapping_version: the mapping the entry was posted with; its ``target`` says where it goes.
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("claimed_until", DateTime(timezone=True), nullable=True),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    # sent_at: when an attempt last began writing to the target; a later attempt then looks for
    # rows that attempt may have committed before we could record it.
    Column("target_table", String(500), nullable=True),
    Column("target_ref", Text, nullable=True),
    # target_table, target_ref: where the entry landed (URL without password, header table)
    # and the header row's primary key or key value as JSON, so it is never claimed twice.
    Column("last_error", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("delivered_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("entry_id", name="uq_target_outbox_entry_id"),
    CheckConstraint("status IN ('pending', 'delivered', 'failed', 'skipped')", name="status"),
    Index("ix_target_outbox_due", "status", "next_attempt_at"),
)
"""Entries to write into a user's own accounting tables (a mapping's ``target``), one row per
entry, enqueued in the posting transaction; the target writer delivers them exactly once."""

# --- sync tables ---

sync_cursors = Table(
    "sync_cursors",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("connection_id", Integer, ForeignKey("connections.id"), nullable=False),
    Column("stream", String(40), nullable=False),
    Column("since", Date, nullable=False),
    Column("cursor", Text, nullable=True),
    # cursor: where the next page starts, as the platform pages (Link URL, id, page number).
    Column("status", String(10), nullable=False),
    Column("pulled", Integer, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("last_error", Text, nullable=True),
    UniqueConstraint("connection_id", "stream", name="uq_sync_cursors_connection_id"),
    CheckConstraint("status IN ('running', 'complete', 'failed')", name="status"),
)
"""Per connection and stream, how far the last history sync got: an interrupted sync resumes
from ``cursor``; a complete one tells the next catch-up where to start."""
