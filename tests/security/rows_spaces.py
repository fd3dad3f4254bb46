"""S1 rows for the spaces routes (step 5); appended to ``test_authz_matrix.ROWS``.

The world (``space_world``, built through the real operations): org A (an enterprise: owner_a,
member_a) lets a published 2,000 m² space ``space`` and has a draft space ``draft``; org B
(other_org) is the prospective tenant with viewings ``requested``, ``accepted`` (two times, the
first confirmed) and ``declined``, lease offers ``open`` (500 m²) and ``big`` (1,200 m²), and the
lease ``lease`` of a 1,000 m² offer ``leased`` (so 1,000 m² are free and ``big`` no longer fits).
plain, the officer and the admin belong to no organisation: they may not ask; officers may look
at viewings, offers and leases, never act; whoever may not see one gets a 404.
"""

from __future__ import annotations

from tests.security.test_authz_matrix import ALL, MISSING, SIGNED_IN, Row


def _user(w, persona):
    from marketplace.auth.models import User
    from marketplace.extensions import db

    return db.session.get(User, w.uid(persona))


def space_world(w) -> None:
    from marketplace.extensions import db, utcnow
    from marketplace.organizations.models import Organization
    from marketplace.spaces import operations as ops
    from tests.marketplace.spaces.helpers import later, make_space, start_in

    now = utcnow()
    org_a, org_b = (db.session.get(Organization, i) for i in (w.org_a_id, w.org_b_id))
    owner, tenant = _user(w, "owner_a"), _user(w, "other_org")
    space = make_space(org_a, area_m2=2000)
    draft = make_space(org_a, published=False)
    viewings = {name: ops.request_viewing(db.session, space, tenant, times=[later(2), later(3)],
                                          note="矩阵", now=now)
                for name in ("requested", "accepted", "declined")}
    ops.accept_viewing(db.session, viewings["accepted"], owner,
                       chosen=viewings["accepted"].options[0], now=now)
    ops.decline_viewing(db.session, viewings["declined"], owner, note="已租出", now=now)

    def offer(name, area):
        return ops.make_lease_offer(db.session, space, tenant, area_m2=area, term_months=12,
                                    start_date=start_in(), deposit_fen=0, key=f"matrix-{name}",
                                    now=now)

    offers = {"open": offer("open", 500), "big": offer("big", 1200),
              "leased": offer("leased", 1000), "ended": offer("ended", 100)}
    lease = ops.accept_lease_offer(db.session, offers["leased"], owner, now=now)
    ended = ops.accept_lease_offer(db.session, offers["ended"], owner, now=now)
    ops.end_lease(db.session, ended, owner, now=now)
    db.session.commit()
    w.extra.update(space=space.id, draft=draft.id, lease=lease.id, ended=ended.id,
                   **{f"viewing_{k}": v.id for k, v in viewings.items()},
                   **{f"offer_{k}": v.id for k, v in offers.items()})


def sp(name: str, suffix: str = ""):
    return lambda w: f"/spaces/{w.extra.get(name, MISSING)}{suffix}"


def viewing(name: str, suffix: str = ""):
    return lambda w: f"/spaces/viewings/{w.extra.get(f'viewing_{name}', MISSING)}{suffix}"


def offer(name: str, suffix: str = ""):
    return lambda w: f"/spaces/offers/{w.extra.get(f'offer_{name}', MISSING)}{suffix}"


def viewing_form(day: int = 3):
    def data(w) -> dict:
        from tests.security.helpers import local_day

        return {"organization_id": str(w.org_b_id), "time_1": f"{local_day(day)}T10:00",
                "note": "矩阵看房"}

    return data


def offer_form(area: str = "300"):
    def data(w) -> dict:
        from tests.security.helpers import local_day

        return {"organization_id": str(w.org_b_id), "area_m2": area, "term_months": "12",
                "start_date": local_day(20).isoformat(), "deposit": "1000",
                "request_key": "matrix-new-offer"}

    return data


def data(**values):
    return lambda w: dict(values)


S = {"extra": space_world}
ASKER = "L    403  403  403  {}  403  403"  # only org B (verified, not the landlord) may ask
LANDLORD = "L    404  {0}  {0}  403  403  403"  # the landlord's members act; others may not
TENANT = "L    404  403  403  {}  403  403"  # the tenant's side acts
SEEN = "L    404  200  200  200  200  200"  # both sides and officers see it
NONE = "L    404  404  404  404  404  404"

# fmt: off
#                                                   anon  plain memA ownA  other offcr admin
SPACE_ROWS: list = [
    # --- viewings ----------------------------------------------------------------------------
    Row("spaces.request_viewing", "GET", "published", ASKER.format("200"),
        sp("space", "/viewings/new"), **S),
    Row("spaces.request_viewing", "GET", "draft", "L    404  403  403  404  404  404",
        sp("draft", "/viewings/new"), **S),
    Row("spaces.request_viewing", "GET", "missing", NONE, sp("missing", "/viewings/new"), **S),
    Row("spaces.request_viewing", "POST", "valid", ASKER.format("302!"),
        sp("space", "/viewings/new"), viewing_form(), **S),
    Row("spaces.request_viewing", "POST", "past", ASKER.format("400"),
        sp("space", "/viewings/new"), viewing_form(-2), **S),
    Row("spaces.request_viewing", "POST", "draft", "L    404  403  403  404  404  404",
        sp("draft", "/viewings/new"), viewing_form(), **S),
    Row("spaces.viewing", "GET", "requested", SEEN, viewing("requested"), **S),
    Row("spaces.viewing", "GET", "missing", NONE, viewing("missing"), **S),
    Row("spaces.accept_viewing", "GET", "", ALL("405"), viewing("requested", "/accept"), **S),
    Row("spaces.accept_viewing", "POST", "requested", LANDLORD.format("302!"),
        viewing("requested", "/accept"), data(chosen="2"), **S),
    Row("spaces.accept_viewing", "POST", "not-a-choice", LANDLORD.format("400"),
        viewing("requested", "/accept"), data(chosen="7"), **S),
    Row("spaces.accept_viewing", "POST", "declined", LANDLORD.format("409"),
        viewing("declined", "/accept"), data(chosen="1"), **S),
    Row("spaces.accept_viewing", "POST", "missing", NONE, viewing("missing", "/accept"),
        data(chosen="1"), **S),
    Row("spaces.decline_viewing", "GET", "", ALL("405"), viewing("requested", "/decline"), **S),
    Row("spaces.decline_viewing", "POST", "requested", LANDLORD.format("302!"),
        viewing("requested", "/decline"), data(reason="那周不方便"), **S),
    Row("spaces.decline_viewing", "POST", "no-reason", LANDLORD.format("400"),
        viewing("requested", "/decline"), data(reason=" "), **S),
    Row("spaces.decline_viewing", "POST", "accepted", LANDLORD.format("409"),
        viewing("accepted", "/decline"), data(reason="改主意了"), **S),
    Row("spaces.cancel_viewing", "GET", "", ALL("405"), viewing("requested", "/cancel"), **S),
    Row("spaces.cancel_viewing", "POST", "requested", TENANT.format("302!"),
        viewing("requested", "/cancel"), **S),
    Row("spaces.cancel_viewing", "POST", "accepted", TENANT.format("302!"),
        viewing("accepted", "/cancel"), **S),
    Row("spaces.cancel_viewing", "POST", "declined", TENANT.format("409"),
        viewing("declined", "/cancel"), **S),
    Row("spaces.viewing_ics", "GET", "accepted", "L    404  200  200  200  404  404",
        viewing("accepted", "/viewing.ics"), **S),
    Row("spaces.viewing_ics", "GET", "requested", NONE, viewing("requested", "/viewing.ics"),
        **S),
    # --- lease offers ------------------------------------------------------------------------
    Row("spaces.make_offer", "GET", "published", ASKER.format("200"),
        sp("space", "/offers/new"), **S),
    Row("spaces.make_offer", "GET", "draft", "L    404  403  403  404  404  404",
        sp("draft", "/offers/new"), **S),
    Row("spaces.make_offer", "POST", "valid", ASKER.format("302!"), sp("space", "/offers/new"),
        offer_form(), **S),
    Row("spaces.make_offer", "POST", "too-big", ASKER.format("400"),
        sp("space", "/offers/new"), offer_form("1001"), **S),
    Row("spaces.make_offer", "POST", "missing", NONE, sp("missing", "/offers/new"),
        offer_form(), **S),
    Row("spaces.offer", "GET", "open", SEEN, offer("open"), **S),
    Row("spaces.offer", "GET", "missing", NONE, offer("missing"), **S),
    Row("spaces.accept_offer", "GET", "", ALL("405"), offer("open", "/accept"), **S),
    Row("spaces.accept_offer", "POST", "open", LANDLORD.format("302!"), offer("open", "/accept"),
        **S),
    # accepted already (a second click): the same lease, nothing changes
    Row("spaces.accept_offer", "POST", "accepted", LANDLORD.format("302"),
        offer("leased", "/accept"), **S),
    Row("spaces.accept_offer", "POST", "too-big", LANDLORD.format("409"),
        offer("big", "/accept"), **S),
    Row("spaces.accept_offer", "POST", "missing", NONE, offer("missing", "/accept"), **S),
    Row("spaces.decline_offer", "GET", "", ALL("405"), offer("open", "/decline"), **S),
    Row("spaces.decline_offer", "POST", "open", LANDLORD.format("302!"),
        offer("open", "/decline"), data(reason="price", note="低于预期"), **S),
    Row("spaces.decline_offer", "POST", "no-reason", LANDLORD.format("400"),
        offer("open", "/decline"), data(reason=""), **S),
    Row("spaces.decline_offer", "POST", "accepted", LANDLORD.format("409"),
        offer("leased", "/decline"), data(reason="terms"), **S),
    Row("spaces.withdraw_offer", "GET", "", ALL("405"), offer("open", "/withdraw"), **S),
    Row("spaces.withdraw_offer", "POST", "open", TENANT.format("302!"),
        offer("open", "/withdraw"), **S),
    Row("spaces.withdraw_offer", "POST", "accepted", TENANT.format("409"),
        offer("leased", "/withdraw"), **S),
    # --- leases, my leasing ------------------------------------------------------------------
    Row("spaces.lease", "GET", "active", SEEN, lambda w: f"/spaces/leases/{w.extra['lease']}",
        **S),
    Row("spaces.lease", "GET", "missing", NONE, lambda w: f"/spaces/leases/{MISSING}", **S),
    Row("spaces.end_lease", "GET", "", ALL("405"),
        lambda w: f"/spaces/leases/{w.extra['lease']}/end", **S),
    Row("spaces.end_lease", "POST", "active", LANDLORD.format("302!"),
        lambda w: f"/spaces/leases/{w.extra['lease']}/end", **S),
    Row("spaces.end_lease", "POST", "ended", LANDLORD.format("409"),
        lambda w: f"/spaces/leases/{w.extra['ended']}/end", **S),
    Row("spaces.end_lease", "POST", "missing", NONE, lambda w: f"/spaces/leases/{MISSING}/end",
        **S),
    Row("spaces.mine", "GET", "", SIGNED_IN("L", "200"), lambda w: "/spaces/mine", **S),
]
# fmt: on
