"""Organisations and their members.

Invariants: an organisation's unified social credit code is valid (GB 32100-2015) and unique; it
has at least one owner; only an officer moves it between pending, verified and rejected, and each
decision leaves an audit entry. Changing the legal identity (name, credit code, kind) of a verified
organisation sends it back to pending. Unverified organisations may browse but not publish or use
vouchers (``Organization.can_publish``).
"""
