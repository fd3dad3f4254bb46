"""A throw-away copy of the marketplace behind gunicorn, for the load bench and the fault tests.

``Scratch`` makes an empty database (PostgreSQL: ``CREATE DATABASE`` on a server; SQLite: a file),
builds the schema with the real migrations, loads the Changzhi demo and indexes the listings,
all through the ``flask`` CLI in subprocesses (the same commands as ``make setup``), in its own
instance folder, search index and model folder. ``AppServer`` runs gunicorn over it on a free
port and can SIGKILL its workers. ``WebUser`` is a signed-in browser (``requests``) that reads
the CSRF token and request key from the form page before it posts, as a person would.
``plan_world`` lists what the clients may use: bookable slots, live campaigns, listing ids.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_PG_URL = (os.environ.get("BENCH_PG_URL") or os.environ.get("TEST_DATABASE_URL")
                  or "postgresql+psycopg://127.0.0.1:5432/test")
DEMO_PASSWORD = "Changzhi-Demo-2026"
SME = "sme@demo.czinno.cn"
NEWCOMER = "newcomer@demo.czinno.cn"
OFFICER = "officer@demo.czinno.cn"
LAB = "lab@demo.czinno.cn"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1/5/15 min)"


# ---------------------------------------------------------------------------------------------
# the scratch database
class Scratch:
    """An empty database with the schema, the demo and the search index, in ``workdir``."""

    def __init__(self, backend: str, workdir: Path, *, pg_url: str = DEFAULT_PG_URL,
                 prefix: str = "h5_scratch", extra_env: dict | None = None):
        from marketplace.config import normalize_database_url

        self.backend, self.workdir = backend, Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.server = None
        if backend == "postgresql":
            server_url = sa.make_url(normalize_database_url(pg_url))
            self.name = f"{prefix}_{uuid.uuid4().hex[:8]}"
            # no pool: a connection kept from before a server restart would fail the DROP
            self.server = sa.create_engine(server_url, isolation_level="AUTOCOMMIT",
                                           poolclass=sa.pool.NullPool)
            with self.server.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{self.name}"')
            self.url = server_url.set(database=self.name).render_as_string(hide_password=False)
        else:
            self.name = str(self.workdir / "marketplace.sqlite")
            self.url = f"sqlite:///{self.name}"
        self.env = server_env(self.url, self.workdir, extra_env)

    def flask(self, *args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
        """``flask <args>`` against this database; output captured."""
        result = subprocess.run([str(BIN / "flask"), *args], cwd=ROOT, env=self.env, text=True,
                                capture_output=True, timeout=timeout)
        if check and result.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed ({result.returncode}):\n"
                               f"{result.stdout[-2000:]}\n{result.stderr[-4000:]}")
        return result

    def prepare(self, *, demo: bool = True, reindex: bool = True) -> None:
        self.flask("db", "upgrade")
        if demo:
            self.flask("demo", "load")
        if reindex:
            self.flask("listings", "reindex")

    def engine(self) -> sa.Engine:
        return sa.create_engine(self.url)

    def drop(self) -> None:
        if self.server is not None:
            with self.server.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            self.server.dispose()
            self.server = None


def server_env(url: str, workdir: Path, extra: dict | None = None) -> dict[str, str]:
    """The environment of a server or CLI over ``url``: its own folders, no in-process jobs, no
    rate limits (the load comes from one address), a fixed secret key (all workers agree)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("TEST_DATABASE_URL", "REDIS_URL", "SEARCH_BACKEND", "APP_ENV",
                        "FLASK_ENV")}
    env.update({
        "DATABASE_URL": url,
        "INSTANCE_PATH": str(workdir / "instance"),
        "SEARCH_INDEX_DIR": str(workdir / "search-index"),
        "MODEL_DIR": str(workdir / "models"),
        "RUN_JOBS_IN_PROCESS": "0",
        "RATELIMIT_ENABLED": "0",
        "SECRET_KEY": "h5-scratch-secret-key-not-for-production",
        "FLASK_APP": "wsgi.py",
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra or {})
    return env


# ---------------------------------------------------------------------------------------------
# gunicorn
class AppServer:
    """``gunicorn --workers N wsgi:app`` on a free port of 127.0.0.1."""

    def __init__(self, env: dict[str, str], workers: int = 2, *, log_path: Path,
                 port: int | None = None, timeout: int = 60):
        self.env, self.workers, self.log_path = env, workers, Path(log_path)
        self.port = port or free_port()
        self.timeout = timeout
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait: float = 90) -> AppServer:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "--workers", str(self.workers), "--bind",
             f"127.0.0.1:{self.port}", "--no-control-socket", "--timeout", str(self.timeout),
             "--graceful-timeout", "5", "wsgi:app"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.wait_ready(wait)
        return self

    def wait_ready(self, wait: float = 90) -> None:
        import requests

        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}); see {self.log_path}:"
                                   f"\n{self.log_tail()}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(self.url + "/healthz", timeout=2).status_code == 200 and \
                        len(self.worker_pids()) >= self.workers:
                    return
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer within {wait} s:\n{self.log_tail()}")

    def worker_pids(self) -> list[int]:
        import psutil

        if self.process is None or self.process.poll() is not None:
            return []
        try:
            return [child.pid for child in psutil.Process(self.process.pid).children()]
        except psutil.NoSuchProcess:
            return []

    def busy_worker_pids(self) -> list[int]:
        """Workers holding a client connection (a sync worker is then handling its request)."""
        import psutil

        busy = []
        for pid in self.worker_pids():
            try:
                connections = psutil.Process(pid).net_connections(kind="tcp")
            except psutil.Error:
                continue
            if any(c.status == psutil.CONN_ESTABLISHED and c.laddr and c.laddr.port == self.port
                   for c in connections):
                busy.append(pid)
        return busy

    def kill_worker(self, rng, *, busy: bool = False) -> int | None:
        """SIGKILL one worker (chosen by ``rng``; with ``busy``, one in the middle of a request
        when there is one); the master starts a new one."""
        pids = (self.busy_worker_pids() if busy else []) or self.worker_pids()
        if not pids:
            return None
        pid = rng.choice(pids)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        return pid

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def __enter__(self) -> AppServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# ---------------------------------------------------------------------------------------------
# forms as a browser sees them
class _FormParser(HTMLParser):
    """The fields of every <form> on a page: (action, method, [(name, value, kind)])."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"action": a.get("action") or "", "method": (a.get("method") or "get").lower(),
                          "fields": [], "selects": {}}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                self._form["fields"].append((a["name"], None, kind + "-off", a.get("value", "on")))
                return
            self._form["fields"].append((a["name"], a.get("value", ""), kind, None))
        elif tag == "textarea" and a.get("name"):
            self._textarea = [a["name"], ""]
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self._form["selects"][self._select] = {"first": None, "selected": None}
        elif tag == "option" and self._select is not None:
            info = self._form["selects"][self._select]
            value = a.get("value", "")
            if info["first"] is None:
                info["first"] = value
            if "selected" in a:
                info["selected"] = value

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea is not None and self._form is not None:
            self._form["fields"].append((self._textarea[0], self._textarea[1].lstrip("\n"),
                                         "textarea", None))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            info = self._form["selects"][self._select]
            value = info["selected"] if info["selected"] is not None else info["first"]
            self._form["fields"].append((self._select, value or "", "select", None))
            self._select = None
        elif tag == "form":
            self._form = None


def page_forms(html: str) -> list[dict]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def form_values(html: str, *, action_contains: str | None = None,
                method: str = "post") -> dict[str, str]:
    """The values a browser would send for the first form whose action contains
    ``action_contains`` (None: the page's largest form), without its submit buttons."""
    forms = [f for f in page_forms(html) if f["method"] == method]
    if action_contains is None:
        forms.sort(key=lambda f: -len(f["fields"]))
    for form in forms:
        if action_contains is None or action_contains in form["action"]:
            values = {}
            for name, value, kind, _on in form["fields"]:
                if kind in ("submit", "button", "image", "file") or value is None:
                    continue
                values[name] = value
            return values
    raise LookupError(f"no {method} form with action containing {action_contains!r}")


CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
REQUEST_KEY = re.compile(r'name="request_key"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="request_key"')


def hidden(pattern: re.Pattern, html: str) -> str | None:
    match = pattern.search(html)
    return (match[1] or match[2]) if match else None


def flash_message(html: str) -> str:
    """The first flashed or form error message on a page, for the reports."""
    for pattern in (r'class="invalid-feedback[^"]*"[^>]*>\s*([^<]+)', r'class="alert[^"]*"[^>]*>\s*([^<]+)'):
        match = re.search(pattern, html)
        if match:
            return " ".join(match[1].split())[:120]
    return ""


# ---------------------------------------------------------------------------------------------
# a signed-in client
@dataclass
class Answer:
    """What one business request got: ``ok`` (a 302 to the new record), ``refused`` (a 4xx page
    with a message: a business outcome), ``failed`` (5xx or no answer)."""

    outcome: str
    status: int | None = None
    record_id: int | None = None
    message: str = ""


@dataclass
class WebUser:
    base: str
    email: str
    password: str = DEMO_PASSWORD
    timeout: float = 30
    session: object = field(default=None, repr=False)

    def __post_init__(self):
        import requests

        self.session = requests.Session()

    def login(self) -> None:
        page = self.session.get(self.base + "/auth/login", timeout=self.timeout)
        token = hidden(CSRF, page.text)
        response = self.session.post(self.base + "/auth/login", timeout=self.timeout,
                                     data={"email": self.email, "password": self.password,
                                           "csrf_token": token}, allow_redirects=False)
        if response.status_code != 302:
            raise RuntimeError(f"login of {self.email} failed: {response.status_code} "
                               f"{flash_message(response.text)}")

    def get(self, path: str, **kwargs):
        return self.session.get(self.base + path, timeout=self.timeout, **kwargs)

    def booking_form(self, slot: dict, programme: str | None = None) -> dict[str, str]:
        """Open the booking page for a slot; the fields to confirm it (with a fresh request key)."""
        page = self.get(f"/instruments/{slot['instrument_id']}/book",
                        params={"date": slot["day"], "start": slot["start"]})
        page.raise_for_status()
        values = form_values(page.text, action_contains=f"/instruments/{slot['instrument_id']}/book")
        values.update({"day": slot["day"], "starts_at": slot["start"], "ends_at": slot["end"],
                       "purpose": "负载测试 load test", "confirm": "1"})
        if slot.get("organization_id"):
            values["organization_id"] = str(slot["organization_id"])
        values["programme_id"] = programme or slot.get("programme_id") or values.get("programme_id", "self")
        values.pop("edit", None)
        values.pop("preview", None)
        return values

    def post_booking(self, slot: dict, values: dict[str, str]) -> Answer:
        return self._post(f"/instruments/{slot['instrument_id']}/book", values, r"/bookings/(\d+)")

    def pledge_form(self, campaign_id: int, amount_yuan: str) -> dict[str, str]:
        page = self.get(f"/campaigns/{campaign_id}/pledges/new")
        page.raise_for_status()
        values = form_values(page.text, action_contains="/pledges/new")
        values.update({"amount": amount_yuan, "method": "bank_transfer"})
        return values

    def post_pledge(self, campaign_id: int, values: dict[str, str]) -> Answer:
        return self._post(f"/campaigns/{campaign_id}/pledges/new", values, r"/pledges/(\d+)")

    def _post(self, path: str, values: dict, success: str) -> Answer:
        import requests

        try:
            response = self.session.post(self.base + path, data=values, timeout=self.timeout,
                                         allow_redirects=False)
        except requests.RequestException as error:
            return Answer("failed", None, message=type(error).__name__)
        if response.status_code in (302, 303):
            match = re.search(success, response.headers.get("Location", ""))
            if match:
                return Answer("ok", response.status_code, int(match[1]))
            return Answer("refused", response.status_code,
                          message="redirect to " + response.headers.get("Location", ""))
        if 400 <= response.status_code < 500:
            return Answer("refused", response.status_code, message=flash_message(response.text))
        return Answer("failed", response.status_code, message=response.text[:200])


# ---------------------------------------------------------------------------------------------
# what the clients may use
def plan_world(url: str, workdir: Path, *, booker: str = SME, max_slots: int = 4000,
               days: int = 28) -> dict:
    """Bookable slots (instrument, local day, start, end, organisation) for ``booker``'s first
    enterprise, live campaigns it may back, published listing ids, demo users. Computed by the
    app's own rules in a subprocess (so this process stays free of the app's state)."""
    out = workdir / f"plan-{uuid.uuid4().hex[:6]}.json"
    env = server_env(url, workdir)
    subprocess.run([sys.executable, "-m", "bench.appserver", "plan", str(out), booker,
                    str(max_slots), str(days)], cwd=ROOT, env=env, check=True, timeout=300)
    return json.loads(out.read_text())


def _plan(out: str, booker_email: str, max_slots: int, days: int) -> None:
    import random
    from datetime import timedelta

    from listings.models import Campaign, Instrument, Listing, ListingStatus
    from marketplace import create_app
    from marketplace.auth.models import User
    from marketplace.bookings import operations as bookings
    from marketplace.bookings import rules
    from marketplace.bookings.models import SLOT_HOLDING, Booking
    from marketplace.campaigns import operations as campaigns
    from marketplace.campaigns.models import CampaignState
    from marketplace.extensions import db, utcnow
    from marketplace.organizations.models import OrganizationKind
    from marketplace.vouchers import operations as vouchers

    app = create_app()
    with app.app_context():
        now = utcnow()
        booker = db.session.scalar(sa.select(User).where(User.email == booker_email))
        organizations = sorted((m.organization for m in booker.memberships),
                               key=lambda o: (o.kind != OrganizationKind.ENTERPRISE, o.name_zh))
        member_of = {o.id for o in organizations}
        paying = [(o, p) for o in organizations if o.kind == OrganizationKind.ENTERPRISE
                  for p in vouchers.list_usable_programmes(o, now)]
        slots = []
        for instrument in db.session.scalars(sa.select(Instrument).order_by(Instrument.id)):
            if not instrument.is_published or instrument.organization_id in member_of or (
                    instrument.requires_training and not bookings.is_qualified(instrument, booker)):
                continue
            taken = [(b.starts_at, b.ends_at) for b in db.session.scalars(
                sa.select(Booking).where(Booking.instrument_id == instrument.id,
                                         Booking.status.in_(SLOT_HOLDING)))]
            step = instrument.booking_step_minutes
            length = max(step, -(-instrument.min_booking_minutes // step) * step)
            today = rules.local(now).date()
            found = []
            for offset in range(days):
                day = today + timedelta(days=offset)
                for span_start, span_end in rules.opening_spans(instrument, day):
                    start = span_start
                    while start + timedelta(minutes=length) <= span_end:
                        end = start + timedelta(minutes=length)
                        try:
                            rules.check_slot(instrument, start, end, now + timedelta(minutes=30))
                        except Exception:  # noqa: BLE001 — a rule refuses it: not a candidate
                            start = end
                            continue
                        if not any(s < end and start < e for s, e in taken):
                            found.append((start, end))
                        start = end
            if not found:
                continue
            # vouchers where the programme covers this instrument, else self-paid
            organization, programme = organizations[0], None
            for org, candidate in paying:
                try:
                    quote = bookings.quote_booking(instrument, org, booker, *found[0], candidate, now)
                except Exception:  # noqa: BLE001 — not payable with this programme
                    continue
                if quote.voucher is not None and not quote.voucher.refusal and quote.voucher_fen:
                    organization, programme = org, candidate
                    break
            for start, end in found:
                clock = rules.local(end).strftime("%H:%M")
                slots.append({"instrument_id": instrument.id,
                              "day": rules.local(start).date().isoformat(),
                              "start": rules.local(start).strftime("%H:%M"),
                              "end": "24:00" if clock == "00:00" else clock,
                              "organization_id": organization.id,
                              "programme_id": str(programme.id) if programme else "self"})
        random.Random(8).shuffle(slots)
        live = [c.id for c in db.session.scalars(sa.select(Campaign).order_by(Campaign.id))
                if campaigns.is_visible(c) and campaigns.state_of(c) == CampaignState.LIVE
                and now < c.deadline and c.organization_id not in member_of]
        listings = [(lid, kind.value) for lid, kind in db.session.execute(
            sa.select(Listing.id, Listing.kind).where(Listing.status == ListingStatus.PUBLISHED)
            .order_by(Listing.id))]
        Path(out).write_text(json.dumps({
            "slots": slots[:max_slots], "campaigns": live, "listings": listings,
            "booker": booker_email,
        }, ensure_ascii=False))


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "plan":
    _plan(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
