"""Accounts and sign-in.

Invariants: e-mail addresses are stored normalised (lower case), so they are unique regardless of
case; a signed-in browser holds a random session token whose SHA-256 lives in ``user_sessions``;
revoking that row (log-out, password change, deactivation) ends the session even if the old cookie
is replayed. Passwords are hashed with Werkzeug's scrypt.
"""
