"""``flask payments …`` commands."""

from flask.cli import AppGroup

payments_group = AppGroup("payments", help="Payments: reconciliation and refunds.")
