"""S8 bad-input cases for the marketplace.moderation forms (step 7); appended in test_limits.

The world is that of the S1 rows (``rows_moderation.takedown_world``): the officer takes down,
decides and suspends; org A's member appeals.
"""

from __future__ import annotations

import tests.security.test_authz_matrix  # noqa: F401  (first: it imports rows_moderation)
from tests.security.rows_moderation import review_world, takedown_world
from tests.security.test_limits import FormCases

T = {"extra": takedown_world, "listing_status": "published"}

# fmt: off
MODERATION_FORMS: list = [
    FormCases("take down a listing", "moderation.take_down_listing", "officer",
              lambda w: f"/office/moderation/listings/{w.listing_a}/take-down", {
                  "empty": lambda w: {},
                  "blank reason": lambda w: {"reason": "   "},
                  "reason too long": lambda w: {"reason": "违" * 2001},
              }, listing_status="published"),
    FormCases("take down a review", "moderation.take_down_review", "officer",
              lambda w: f"/office/moderation/reviews/{w.extra['review']}/take-down", {
                  "empty": lambda w: {},
                  "blank reason": lambda w: {"reason": " "},
                  "reason too long": lambda w: {"reason": "x" * 2001},
              }, extra=review_world, listing_status="published"),
    FormCases("decide a take-down", "moderation.show", "officer",
              lambda w: f"/office/moderation/takedowns/{w.extra['takedown']}", {
                  "empty": lambda w: {},
                  "unknown decision": lambda w: {"decision": "maybe"},
                  "note too long": lambda w: {"decision": "uphold", "note": "x" * 2001},
              }, **T),
    FormCases("appeal a take-down", "moderation_owner.appeal", "member_a",
              lambda w: f"/moderation/takedowns/{w.extra['takedown']}/appeal", {
                  "empty": lambda w: {},
                  "blank": lambda w: {"text": "  "},
                  "too long": lambda w: {"text": "x" * 4001},
              }, **T),
    FormCases("suspend an account", "moderation.suspend", "officer",
              lambda w: f"/office/moderation/users/{w.target_id}/suspend", {
                  "empty": lambda w: {},
                  "reason too long": lambda w: {"reason": "x" * 2001},
              }),
]
# fmt: on
MODERATION_BUTTONS: set[str] = {"moderation.unsuspend"}  # POST endpoints with no fields
