"""Imports every model module so that the metadata (and Alembic) sees all tables."""

from listings import indexing  # noqa: F401,E402  (search index hooks)
from listings.models import (  # noqa: F401,E402
    Campaign,
    ExpertiseNeed,
    Instrument,
    Listing,
    ListingPhoto,
    ResourceNeed,
    RewardTier,
    Space,
    Technology,
)
from marketplace.audit import AuditEntry  # noqa: F401
from marketplace.auth.models import User, UserSession  # noqa: F401
from marketplace.ledger.models import LedgerAccount, LedgerEntry, LedgerTransfer  # noqa: F401
from marketplace.mail import OutboxMessage  # noqa: F401
from marketplace.organizations.models import Membership, Organization  # noqa: F401
from marketplace.bookings.models import Booking, BookingHold, Qualification  # noqa: F401
from marketplace.organizations.models import OrganizationRelation  # noqa: F401
from marketplace.payments import models as _payments_models  # noqa: F401
from marketplace.campaigns import models as _campaign_models  # noqa: F401
from marketplace.campaigns import pledge_models as _pledge_models  # noqa: F401
from marketplace.settlement.models import ReimbursementBatch, ReimbursementItem  # noqa: F401
from marketplace.vouchers.models import (  # noqa: F401
    FundingLayer,
    ProviderAdmission,
    Quota,
    QuotaApplication,
    VoucherProgramme,
)
