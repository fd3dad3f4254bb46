"""The anti-fraud signals: detection (idempotent through a fingerprint per finding) and the words
that explain each one to an officer.

Six kinds (``models.KINDS``):

* ``related_party`` — a voucher payment to a related party was attempted and refused; recorded
  at the refusal (``attempts``), not by the scan;
* ``duplicate_invoice`` — one invoice number on two or more reimbursement items (or completed
  bookings), compared ignoring case, spaces and full-width forms;
* ``held_maximum`` — a provider whose voucher bookings (at least ``INTEGRITY_HELD_MAX_MIN``, 3)
  were all recorded at exactly the booked time and the held voucher amount;
* ``provider_share`` — a provider received more than ``INTEGRITY_PROVIDER_SHARE_BP`` (default
  3000 = 30 %) of a programme's voucher money, with the programme's Herfindahl–Hirschman index
  (sum of the squared shares in percent, 0–10 000);
* ``no_usage`` — a booking paid with vouchers completed without a usage record (no note of what
  was done, or no minutes);
* ``shared_identity`` — quotas granted to ``INTEGRITY_SHARED_MIN_ORGS`` (2) or more enterprises
  with the same actual controller, contact phone or address.

A finding whose fingerprint is already stored updates the figures of an open signal and leaves a
cleared one alone (an officer has looked at it), so a scan run twice adds nothing.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from marketplace.integrity.models import (
    DUPLICATE_INVOICE,
    HELD_MAXIMUM,
    NO_USAGE,
    OPEN,
    PROVIDER_SHARE,
    RELATED_PARTY,
    SHARED_IDENTITY,
    Signal,
)

PAID_STATUSES = ("completed", "settled")


@dataclass
class Finding:
    kind: str
    fingerprint: str
    organization_id: int | None
    organization_ids: list[int]
    records: list[list]
    data: dict = field(default_factory=dict)


def _norm(value: str | None) -> str:
    return "".join(unicodedata.normalize("NFKC", value or "").split()).casefold()


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def _setting(name: str, default: int) -> int:
    try:
        return int(current_app.config.get(name, default))
    except (TypeError, ValueError):
        return default


# ---------------------------------------------------------------------------------------------
def duplicate_invoices(session) -> list[Finding]:
    from marketplace.bookings.models import Booking
    from marketplace.settlement.models import ReimbursementItem

    uses: dict[str, list[tuple[str, int, int, str]]] = defaultdict(list)
    for item_id, provider_id, number, booking_id in session.execute(
            sa.select(ReimbursementItem.id, ReimbursementItem.provider_id,
                      ReimbursementItem.invoice_number, ReimbursementItem.booking_id)
            .where(ReimbursementItem.invoice_number.is_not(None))):
        if _norm(number):
            uses[_norm(number)].append(("reimbursement_item", item_id, provider_id, number))
    booked_in_items = set(session.scalars(sa.select(ReimbursementItem.booking_id).where(
        ReimbursementItem.booking_id.is_not(None))))
    from listings.models import Instrument

    for booking_id, provider_id, number in session.execute(
            sa.select(Booking.id, Instrument.organization_id, Booking.invoice_number)
            .join(Instrument, Instrument.id == Booking.instrument_id)
            .where(Booking.invoice_number.is_not(None))):
        if _norm(number) and booking_id not in booked_in_items:  # items speak for their booking
            uses[_norm(number)].append(("booking", booking_id, provider_id, number))
    findings = []
    for number, found in uses.items():
        if len(found) < 2:
            continue
        providers = sorted({u[2] for u in found})
        findings.append(Finding(
            DUPLICATE_INVOICE, f"{DUPLICATE_INVOICE}:{_digest(number)}", providers[0], providers,
            [[u[0], u[1]] for u in found] + [["organization", p] for p in providers],
            {"invoice_number": found[0][3], "uses": len(found)}))
    return findings


def held_maximum(session) -> list[Finding]:
    from listings.models import Instrument
    from marketplace.bookings.models import Booking

    minimum = _setting("INTEGRITY_HELD_MAX_MIN", 3)
    rows = session.execute(
        sa.select(Instrument.organization_id, Booking.id, Booking.voucher_held_fen,
                  Booking.voucher_paid_fen, Booking.actual_minutes, Booking.starts_at,
                  Booking.ends_at)
        .join(Instrument, Instrument.id == Booking.instrument_id)
        .where(Booking.voucher_held_fen > 0, Booking.status.in_(PAID_STATUSES))
        .order_by(Booking.id)).all()
    by_provider: dict[int, list] = defaultdict(list)
    for row in rows:
        by_provider[row[0]].append(row)
    findings = []
    for provider_id, bookings in by_provider.items():
        if len(bookings) < minimum:
            continue
        at_max = [b for b in bookings if b.voucher_paid_fen == b.voucher_held_fen
                  and b.actual_minutes == int((b.ends_at - b.starts_at).total_seconds() // 60)]
        if len(at_max) != len(bookings):
            continue
        findings.append(Finding(
            HELD_MAXIMUM, f"{HELD_MAXIMUM}:provider:{provider_id}", provider_id, [provider_id],
            [["organization", provider_id]] + [["booking", b.id] for b in bookings[-20:]],
            {"bookings": len(bookings), "held_fen": sum(b.voucher_held_fen for b in bookings)}))
    return findings


def provider_share(session) -> list[Finding]:
    from listings.models import Instrument
    from marketplace.bookings.models import Booking

    threshold = _setting("INTEGRITY_PROVIDER_SHARE_BP", 3000)
    paid: dict[int, dict[int, int]] = defaultdict(dict)
    for programme_id, provider_id, amount in session.execute(
            sa.select(Booking.programme_id, Instrument.organization_id,
                      sa.func.sum(Booking.voucher_paid_fen))
            .join(Instrument, Instrument.id == Booking.instrument_id)
            .where(Booking.programme_id.is_not(None), Booking.voucher_paid_fen > 0)
            .group_by(Booking.programme_id, Instrument.organization_id)):
        paid[programme_id][provider_id] = int(amount)
    findings = []
    for programme_id, providers in paid.items():
        total = sum(providers.values())
        if total <= 0:
            continue
        hhi = round(sum((amount * 100 / total) ** 2 for amount in providers.values()))
        for provider_id, amount in providers.items():
            share_bp = amount * 10_000 // total
            if share_bp <= threshold:
                continue
            findings.append(Finding(
                PROVIDER_SHARE, f"{PROVIDER_SHARE}:programme:{programme_id}:provider:{provider_id}",
                provider_id, [provider_id],
                [["organization", provider_id], ["programme", programme_id]],
                {"share_bp": share_bp, "threshold_bp": threshold, "paid_fen": amount,
                 "total_fen": total, "providers": len(providers), "hhi": hhi}))
    return findings


def no_usage(session) -> list[Finding]:
    from listings.models import Instrument
    from marketplace.bookings.models import Booking

    findings = []
    for booking_id, enterprise_id, provider_id, paid in session.execute(
            sa.select(Booking.id, Booking.organization_id, Instrument.organization_id,
                      Booking.voucher_paid_fen)
            .join(Instrument, Instrument.id == Booking.instrument_id)
            .where(Booking.status.in_(PAID_STATUSES), Booking.voucher_paid_fen > 0,
                   sa.or_(Booking.actual_minutes.is_(None), Booking.actual_minutes <= 0,
                          Booking.usage_note.is_(None), sa.func.trim(Booking.usage_note) == ""))
            .order_by(Booking.id)):
        findings.append(Finding(
            NO_USAGE, f"{NO_USAGE}:booking:{booking_id}", provider_id, [provider_id, enterprise_id],
            [["booking", booking_id], ["organization", provider_id],
             ["organization", enterprise_id]],
            {"voucher_paid_fen": int(paid)}))
    return findings


def shared_identity(session) -> list[Finding]:
    from marketplace.organizations.models import Organization
    from marketplace.vouchers.models import Quota

    minimum = _setting("INTEGRITY_SHARED_MIN_ORGS", 2)
    quotas: dict[int, list[int]] = defaultdict(list)
    for quota_id, organization_id in session.execute(sa.select(Quota.id, Quota.organization_id)):
        quotas[organization_id].append(quota_id)
    if not quotas:
        return []
    groups: dict[tuple[str, str], dict] = {}
    for org in session.scalars(sa.select(Organization).where(Organization.id.in_(list(quotas)))):
        for field_name in ("actual_controller", "contact_phone", "address"):
            value = getattr(org, field_name)
            key = _norm(value) if field_name != "contact_phone" else "".join(
                ch for ch in (value or "") if ch.isdigit())
            if not key:
                continue
            group = groups.setdefault((field_name, key), {"value": value, "orgs": []})
            group["orgs"].append(org.id)
    findings = []
    for (field_name, key), group in sorted(groups.items()):
        orgs = sorted(set(group["orgs"]))
        if len(orgs) < minimum:
            continue
        # the same group of organisations stays one signal; a newcomer makes a new one
        fingerprint = (f"{SHARED_IDENTITY}:{field_name}:{_digest(key)}:"
                       f"{_digest(','.join(map(str, orgs)))}")
        records = [["organization", o] for o in orgs] + [
            ["quota", q] for o in orgs for q in quotas[o]]
        findings.append(Finding(
            SHARED_IDENTITY, fingerprint, orgs[0], orgs, records,
            {"field": field_name, "value": group["value"], "organizations": len(orgs),
             "quotas": sum(len(quotas[o]) for o in orgs)}))
    return findings


DETECTORS = (duplicate_invoices, held_maximum, provider_share, no_usage, shared_identity)


def scan(session, now: datetime) -> dict[str, int]:
    """Run every detector; store new findings, refresh open ones. Returns counts per kind of new
    signals (and ``updated``). Does not commit."""
    counts: dict[str, int] = defaultdict(int)
    for detector in DETECTORS:
        for finding in detector(session):
            signal = session.scalars(sa.select(Signal).where(
                Signal.fingerprint == finding.fingerprint)).one_or_none()
            if signal is None:
                signal = Signal(kind=finding.kind, fingerprint=finding.fingerprint,
                                organization_id=finding.organization_id,
                                organization_ids=finding.organization_ids,
                                records=finding.records, data=finding.data, status=OPEN,
                                detected_at=now, updated_at=now)
                try:
                    with session.begin_nested():
                        session.add(signal)
                        session.flush()
                except sa.exc.IntegrityError:  # a concurrent scan stored it first
                    continue
                counts[finding.kind] += 1
            elif signal.status == OPEN and (signal.data != finding.data
                                            or signal.records != finding.records):
                signal.data, signal.records, signal.updated_at = finding.data, finding.records, now
                counts["updated"] += 1
    return dict(counts)


# ---------------------------------------------------------------------------------------------
def _yuan(fen) -> str:
    from marketplace.money import format_fen

    return format_fen(int(fen or 0))


def _pct(bp) -> str:
    return f"{int(bp) / 100:.1f}%"


FIELD_LABELS = {"actual_controller": lambda: _("actual controller"),
                "contact_phone": lambda: _("contact phone"), "address": lambda: _("address")}


def explain(signal: Signal) -> str:
    """The signal in the officer's words (current language), from its stored figures."""
    d = signal.data or {}
    if signal.kind == RELATED_PARTY:
        return _("On %(day)s this enterprise tried %(n)d time(s) to pay a related party with "
                 "innovation vouchers (same actual controller, a person in both organisations, or "
                 "a declared relationship). The voucher rules refused it; check whether the two "
                 "organisations are trying to move programme money between themselves.",
                 day=d.get("day", ""), n=len(d.get("attempts", [])))
    if signal.kind == DUPLICATE_INVOICE:
        return _("Invoice number %(number)s appears on %(n)d records. One invoice should back one "
                 "reimbursement; the same number twice may mean the same work is claimed twice.",
                 number=d.get("invoice_number", ""), n=d.get("uses", 0))
    if signal.kind == HELD_MAXIMUM:
        return _("All %(n)d voucher bookings of this provider were recorded at exactly the booked "
                 "time and the full held voucher amount (%(amount)s in all). Real use varies; "
                 "usage that always equals the maximum may be entered without measuring it.",
                 n=d.get("bookings", 0), amount=_yuan(d.get("held_fen")))
    if signal.kind == PROVIDER_SHARE:
        return _("This provider received %(share)s of the programme's voucher money (%(paid)s of "
                 "%(total)s), above the threshold of %(threshold)s. %(providers)d providers were "
                 "paid; the Herfindahl–Hirschman index is %(hhi)d (0–10 000; above 2 500 means "
                 "highly concentrated).", share=_pct(d.get("share_bp", 0)),
                 paid=_yuan(d.get("paid_fen")), total=_yuan(d.get("total_fen")),
                 threshold=_pct(d.get("threshold_bp", 0)), providers=d.get("providers", 0),
                 hhi=d.get("hhi", 0))
    if signal.kind == NO_USAGE:
        return _("This booking was completed and vouchers paid %(amount)s, but the provider "
                 "recorded no usage (what was done, or how long). Ask for the usage record "
                 "before the reimbursement.", amount=_yuan(d.get("voucher_paid_fen")))
    if signal.kind == SHARED_IDENTITY:
        label = FIELD_LABELS.get(d.get("field"), lambda: d.get("field", ""))()
        return _("%(n)d enterprises holding %(quotas)d voucher quotas share the same %(field)s "
                 "(%(value)s). Quotas are capped per enterprise; several companies behind one "
                 "controller, phone or address may be splitting one applicant's claims.",
                 n=d.get("organizations", 0), quotas=d.get("quotas", 0), field=label,
                 value=d.get("value", ""))
    return signal.kind
