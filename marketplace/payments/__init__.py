"""Payments: Stripe Checkout (card, Alipay, WeChat Pay) and the offline bank transfer (对公转账),
refunds, webhooks and reconciliation. ``import stripe`` happens only in ``gateway``."""
