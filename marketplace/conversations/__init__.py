"""Conversations between two organisations about a listing or a need: messages, attachments, unread counts, blocking and reporting."""
