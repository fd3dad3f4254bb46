"""Demo integrity data (step 7): the signals the demo data gives naturally (``detectors.scan``:
with one programme and few bookings, e.g. a provider's large share of voucher money), one planted
related-party attempt — 长治华耀光伏科技有限公司 tried to pay 上党新材料研究院 with vouchers on a
day it says both are controlled by the same person — and one case on 华耀 with a credit note.
No freeze, so the demo's voucher walk-through keeps working.

Idempotent: signals are fingerprinted, the attempt is counted once, the case is opened once.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from marketplace.extensions import db, utcnow
from marketplace.integrity import attempts, detectors
from marketplace.integrity import operations as ops
from marketplace.integrity.models import RELATED_PARTY, Case, Signal

HUAYAO = "91140404MA0Q6R7T1"  # 长治华耀光伏科技有限公司
SD_MATERIALS = "12140400MB1826378"  # 上党新材料研究院
SUMMARY = "华耀光伏尝试以创新券向上党新材料研究院支付检测费，两家单位法定代表人为同一人的近亲属，需核实关联关系。"
NOTE = "2026年11月尝试以创新券向关联方支付服务费，已被系统拒绝；请在信用记录中说明与上党新材料研究院的关系。"


def load(users, organizations) -> dict[str, int]:
    from marketplace.vouchers.models import VoucherProgramme

    officer = users.get("officer@demo.czinno.cn")
    enterprise, provider = organizations.get(HUAYAO), organizations.get(SD_MATERIALS)
    programme = db.session.scalars(sa.select(VoucherProgramme)
                                   .order_by(VoucherProgramme.id)).first()
    if officer is None or enterprise is None or provider is None or programme is None:
        return {"integrity_signals_created": 0, "integrity_cases_created": 0}
    now = utcnow()
    created = sum(v for k, v in detectors.scan(db.session, now).items() if k != "updated")
    when = (now - timedelta(days=6)).astimezone(attempts.SHANGHAI)
    created += attempts.record_attempt({
        "enterprise_id": enterprise.id, "provider_id": provider.id, "instrument_id": None,
        "programme_id": programme.id, "user_id": None, "at": when.strftime("%Y-%m-%d 10:24")})
    db.session.flush()
    cases = 0
    if db.session.scalar(sa.select(sa.func.count()).select_from(Case).where(
            Case.organization_id == enterprise.id)) == 0:
        signal = db.session.scalars(sa.select(Signal).where(
            Signal.kind == RELATED_PARTY, Signal.organization_id == enterprise.id)).first()
        case = ops.open_case(officer, enterprise, SUMMARY, now, signal=signal)
        ops.add_credit_note(case, officer, NOTE, now)
        cases = 1
    return {"integrity_signals_created": created, "integrity_cases_created": cases}
