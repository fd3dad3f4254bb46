"""The locust users of ``bench/load.py`` (run by it as ``locust --headless -f bench/load_users.py``).

Everything comes from the JSON plan named by ``LOAD_PLAN`` (written by load.py): the phase
(``mix`` or ``trivial``), think time, search queries, listing URLs, bookable slots and the
cookies of signed-in officer and SME sessions (signed in once by load.py, so the run measures
pages, not password hashing). Every request is written to ``LOAD_RESULTS`` when locust quits:
``[name, milliseconds, status, error, sent, page cache]`` (``sent``: seconds after the phase
started; the visitors' page cache's ``X-Page-Cache`` answer: hit, miss, bypass or none);
booking outcomes are counted apart (a slot someone else took first is a business answer, not an
error).

The mix, per task pick: 60 % search, 25 % listing page, 10 % officer dashboard, 5 % booking
(the form page, then the confirmation posted with its CSRF token and request key).
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from collections import Counter

from locust import HttpUser, between, constant, events, task
from locust.clients import HttpSession

PLAN = json.loads(open(os.environ["LOAD_PLAN"], encoding="utf-8").read())  # noqa: SIM115
RECORDS: list[list] = []
OUTCOMES: Counter = Counter()
STARTED = [time.monotonic()]
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_KEY = re.compile(r'name="request_key"[^>]*value="([^"]*)"')
OFFICE_PAGES = [("office: statistics", "/office/statistics/"),
                ("office: statistics instruments", "/office/statistics/instruments"),
                ("office: statistics marketplace", "/office/statistics/marketplace"),
                ("office: home", "/office/")]


@events.test_start.add_listener
def _started(environment, **kwargs):
    STARTED[0] = time.monotonic()


@events.request.add_listener
def _record(request_type, name, response_time, response_length, response=None, context=None,
            exception=None, **kwargs):
    status = getattr(response, "status_code", None) if response is not None else None
    cached = response.headers.get("X-Page-Cache") if response is not None else None
    # the last field: when the request was sent, seconds after the phase started (load.py leaves
    # out the ramp-up and warm-up seconds)
    sent = time.monotonic() - STARTED[0] - response_time / 1000.0
    RECORDS.append([name, round(response_time, 2), status,
                    type(exception).__name__ if exception else None, round(sent, 3), cached])


@events.quitting.add_listener
def _write(environment, **kwargs):
    with open(os.environ["LOAD_RESULTS"], "w", encoding="utf-8") as fh:
        json.dump({"records": RECORDS, "outcomes": dict(OUTCOMES)}, fh)


def _wait():
    lo, hi = PLAN["think"]
    return constant(0) if hi <= 0 else between(lo, hi)


class Visitor(HttpUser):
    wait_time = _wait()

    def on_start(self):
        self.rng = random.Random()
        self.officer = self._signed_in(PLAN["officer_cookies"])
        self.sme = self._signed_in(PLAN["sme_cookies"])

    def _signed_in(self, choices):
        session = HttpSession(self.host, self.environment.events.request, self)
        for name, value in self.rng.choice(choices).items():
            session.cookies.set(name, value)
        return session

    def _get(self, client, path, name, **kwargs):
        with client.get(path, name=name, catch_response=True, allow_redirects=False,
                        **kwargs) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")
            return response

    @task(60 if PLAN["phase"] == "mix" else 0)
    def search(self):
        params = self.rng.choice(PLAN["searches"])
        self._get(self.client, "/search", "search", params=params)

    @task(25 if PLAN["phase"] == "mix" else 0)
    def listing(self):
        listing_id = self.rng.choice(PLAN["listings"])
        self._get(self.client, f"/listings/{listing_id}", "listing page")

    @task(10 if PLAN["phase"] == "mix" else 0)
    def office(self):
        name, path = self.rng.choice(OFFICE_PAGES)
        self._get(self.officer, path, name)

    @task(5 if PLAN["phase"] == "mix" else 0)
    def book(self):
        slot = self.rng.choice(PLAN["slots"])
        page = self._get(self.sme, f"/instruments/{slot['instrument_id']}/book", "booking form",
                         params={"date": slot["day"], "start": slot["start"]})
        token, key = _CSRF.search(page.text or ""), _KEY.search(page.text or "")
        if page.status_code != 200 or not token or not key:
            OUTCOMES["form not shown"] += 1
            return
        data = {"csrf_token": token[1], "request_key": key[1], "day": slot["day"],
                "starts_at": slot["start"], "ends_at": slot["end"],
                "organization_id": str(slot["organization_id"]), "programme_id": "self",
                "purpose": "负载测试 load test", "confirm": "1"}
        with self.sme.post(f"/instruments/{slot['instrument_id']}/book", data=data,
                           name="booking request", catch_response=True,
                           allow_redirects=False) as response:
            location = response.headers.get("Location", "")
            if response.status_code == 302 and "/bookings/" in location:
                OUTCOMES["booked"] += 1
            elif response.status_code == 400:
                OUTCOMES["refused (slot taken or rule)"] += 1  # a business answer, shown on the form
                response.success()
            else:
                OUTCOMES[f"unexpected {response.status_code}"] += 1
                response.failure(f"{response.status_code} {location}")

    @task(1 if PLAN["phase"] == "trivial" else 0)
    def trivial(self):
        self._get(self.client, PLAN["trivial_path"], "trivial " + PLAN["trivial_path"])
