"""Run as a separate process by test_index_concurrency: creates and publishes listings one commit
at a time through the real app (operations + session hooks), like one of several app servers."""

from __future__ import annotations

import sys


def main(database_url: str, index_dir: str, instance: str, org_id: int, user_id: int,
         prefix: str, count: int) -> None:
    import os

    os.environ["INSTANCE_PATH"] = instance
    from marketplace import create_app
    from marketplace.auth.models import User
    from marketplace.extensions import db
    from marketplace.organizations.models import Organization
    from marketplace.publishing.operations import create_listing, publish_listing

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SEARCH_INDEX_DIR": index_dir,
                      "SECRET_KEY": "x", "TESTING": True})
    with app.app_context():
        for n in range(count):
            org = db.session.get(Organization, org_id)
            user = db.session.get(User, user_id)
            listing = create_listing(org, user, "space", {
                "title_zh": f"{prefix}厂房{n}号", "district_code": "140404401",
                "space_type": "factory", "area_m2": 100 + n, "area_free_m2": 100 + n,
                "rent_fen_per_m2_month": 1500, "min_lease_months": 12})
            publish_listing(listing, user)
            db.session.commit()
        db.engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6],
         int(sys.argv[7]))
