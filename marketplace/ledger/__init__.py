"""The double-entry ledger: every movement of voucher credit or money, in integer fen.

No Flask here: operations take a SQLAlchemy ``Session`` first, ``flush()`` but never commit (the
boundary — view, CLI command, job — owns the transaction). See RELIABILITY.md §1.7–1.8.

Vocabulary (TigerBeetle's): an **account** holds one **asset** (``VOUCHER`` programme credit or
``CNY`` real money). A **transfer** moves an amount between accounts as signed **entries**:
a negative entry debits (takes from) an account, a positive entry credits (pays into) it, so an
account's balance is *credits − debits* and a budget that has funded vouchers is negative.
A **hold** (``pending`` transfer) reserves an amount; it is later **posted** (fully or partly; the
rest is released) or **voided**, each exactly once. A **reversal** corrects a posted transfer
with the opposite entries; nothing is ever edited or deleted.

Invariants (checked by ``queries.verify`` and, where a database can, by constraints/triggers):

1. Entries of one transfer sum to zero (pending and posted entries separately); one transfer never
   mixes assets, never names an account twice and has no zero entries.
2. ``posted_balance`` = sum of an account's posted entries; ``pending_debits`` /
   ``pending_credits`` = amounts of the open holds drawing from / paying into it.
3. Unless ``allow_negative`` (budget and clearing sources only), an account never goes below
   zero counting its open holds: ``posted_balance − pending_debits ≥ 0`` (a CHECK constraint).
4. A hold is resolved (posted or voided) at most once (a UNIQUE ``pending_id``); a transfer is
   reversed at most once (a UNIQUE ``reverses_id``).
5. One idempotency key moves money once: the same key with the same request returns the first
   result; with a different request it is refused (``idempotency_conflict``).
6. Entries and transfers are append-only: database triggers refuse UPDATE and DELETE, except a
   hold's ``status`` going from pending to posted or voided.

Concurrency: an operation locks the rows it will change before writing — the hold first, then the
accounts sorted by id — with ``SELECT … FOR NO KEY UPDATE`` on PostgreSQL (plain ``FOR UPDATE``
deadlocks against the ``KEY SHARE`` locks that foreign keys take). SQLite has no row locks: the
caller's transaction must be a write transaction (``BEGIN IMMEDIATE``, added with the booking
flows); until then counters are updated with ``SET x = x + :delta`` and the CHECK constraint is
the last line against a lost update.
"""
