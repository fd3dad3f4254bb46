"""The programme office's back office: verification queue, audit log, and user administration.

Every route here requires the officer role (admins included); user administration requires admin.
"""
