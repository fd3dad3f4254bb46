"""``flask campaigns …`` commands."""

from flask.cli import AppGroup

campaigns_group = AppGroup("campaigns", help="Crowdfunding campaigns.")
