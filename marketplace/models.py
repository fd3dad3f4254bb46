"""Imports every model module so that the metadata (and Alembic) sees all tables."""

from listings import indexing  # noqa: F401,E402  (search index hooks)
from listings.models import (  # noqa: F401,E402
    Campaign,
    ExpertiseNeed,
    Instrument,
    Listing,
    ListingPhoto,
    Need,
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
# step 5
from marketplace.conversations import models as _conversation_models  # noqa: F401
from marketplace.licensing import models as _licensing_models  # noqa: F401
from marketplace.licensing import fee_models as _licence_fee_models  # noqa: F401
from marketplace.spaces import models as _space_models  # noqa: F401
from marketplace.needs import models as _need_models  # noqa: F401
from marketplace.reviews import models as _review_models  # noqa: F401
from marketplace.recommendations import models as _recommendation_models  # noqa: F401
from marketplace.statistics import models as _statistics_models  # noqa: F401
from marketplace.integrity import models as _integrity_models  # noqa: F401
from marketplace.moderation import models as _moderation_models  # noqa: F401
from marketplace.settlement.models import ReimbursementBatch, ReimbursementItem  # noqa: F401
from marketplace.vouchers.models import (  # noqa: F401
    FundingLayer,
    ProviderAdmission,
    Quota,
    QuotaApplication,
    VoucherProgramme,
)
