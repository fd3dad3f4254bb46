"""Settings, read from the environment with working defaults.

Every variable here is documented in README.md ("Configuration"). Secrets come only from the
environment (or, for SECRET_KEY in development, a key generated once into the instance folder).
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def is_production() -> bool:
    env = (os.environ.get("APP_ENV") or os.environ.get("FLASK_ENV") or "").strip().lower()
    return env == "production"


def normalize_database_url(url: str) -> str:
    """Accept the usual postgres:// spellings and use the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load_secret_key(instance_path: str) -> str:
    """SECRET_KEY from the environment; in development, generated once and kept in the instance."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if is_production():
        raise RuntimeError("SECRET_KEY must be set when APP_ENV=production")
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker wrote it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


class Config:
    """Defaults for every environment; instance-relative paths are filled in by create_app."""

    APP_ENV = "production" if is_production() else "development"
    DATABASE_URL = os.environ.get("DATABASE_URL")  # None: SQLite file in the instance folder
    SEARCH_INDEX_DIR = os.environ.get("SEARCH_INDEX_DIR")  # None: <instance>/search-index
    MODEL_DIR = os.environ.get("MODEL_DIR")  # None: <instance>/models
    MATCHING_RELOAD_SECONDS = float(os.environ.get("MATCHING_RELOAD_SECONDS", "5"))
    MATCHING_RETRAIN_HOURS = float(os.environ.get("MATCHING_RETRAIN_HOURS", "24"))
    # step 7: anti-fraud signal thresholds (marketplace/integrity/detectors.py)
    INTEGRITY_PROVIDER_SHARE_BP = int(os.environ.get("INTEGRITY_PROVIDER_SHARE_BP", "3000"))
    INTEGRITY_HELD_MAX_MIN = int(os.environ.get("INTEGRITY_HELD_MAX_MIN", "3"))
    INTEGRITY_SHARED_MIN_ORGS = int(os.environ.get("INTEGRITY_SHARED_MIN_ORGS", "2"))
    REDIS_URL = os.environ.get("REDIS_URL") or None
    # step 8: scale-out. Search backend: "whoosh" (an index on disk, the default) or "postgres"
    # (a tsvector column with GIN and trigram indexes; needs DATABASE_URL on PostgreSQL).
    SEARCH_BACKEND = (os.environ.get("SEARCH_BACKEND") or "whoosh").strip().lower()
    # --- step 8 search settings (listings/) ---
    # --- end step 8 search settings ---
    # --- step 8 jobs and cache settings (marketplace/jobs/) ---
    # With REDIS_URL set, background work goes through RQ queues (`flask jobs worker`, `flask jobs
    # scheduler`); JOBS_QUEUE_ENABLED=0 keeps it in-process while Redis still serves limits/cache.
    JOBS_QUEUE_ENABLED = _env_flag("JOBS_QUEUE_ENABLED", True)
    JOBS_QUEUE_PREFIX = os.environ.get("JOBS_QUEUE_PREFIX", "czx")  # queue names and our own keys
    JOBS_MAX_RETRIES = int(os.environ.get("JOBS_MAX_RETRIES", "3"))  # then the failed-jobs list
    JOBS_RETRY_INTERVALS = os.environ.get("JOBS_RETRY_INTERVALS", "10,60,300")  # seconds, backoff
    JOBS_TIMEOUT = int(os.environ.get("JOBS_TIMEOUT", "1800"))  # seconds one job may run
    JOBS_FAILED_TTL_DAYS = int(os.environ.get("JOBS_FAILED_TTL_DAYS", "30"))  # dead letters kept
    JOBS_QUOTA_EXPIRY_SECONDS = int(os.environ.get("JOBS_QUOTA_EXPIRY_SECONDS", "3600"))
    JOBS_BOOKINGS_SWEEP_SECONDS = int(os.environ.get("JOBS_BOOKINGS_SWEEP_SECONDS", "600"))
    JOBS_HOURLY_SECONDS = int(os.environ.get("JOBS_HOURLY_SECONDS", "3600"))  # digest/retrain/scan
    # Flask-Caching: RedisCache on REDIS_URL, else SimpleCache (NullCache when testing).
    CACHE_TYPE = os.environ.get("CACHE_TYPE") or None
    CACHE_DEFAULT_TIMEOUT = int(os.environ.get("CACHE_DEFAULT_TIMEOUT", "60"))
    CACHE_KEY_PREFIX = os.environ.get("CACHE_KEY_PREFIX", "czx:cache:")
    # Flask-Limiter's counters live in Redis when REDIS_URL is set (shared by every worker).
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "czx-limits")
    # --- end step 8 jobs and cache settings ---
    # --- step 8 operations settings (marketplace/ops/) ---
    # Log lines: "json" (one object a line; the default in production) or "text" (development).
    LOG_FORMAT = (os.environ.get("LOG_FORMAT") or ("json" if is_production() else "text")).strip().lower()
    LOG_LEVEL = (os.environ.get("LOG_LEVEL") or "INFO").strip().upper()
    # /metrics answers loopback callers without proxy headers; anyone else needs this bearer token
    # (unset: everyone else gets 404).
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN") or None
    # How old the ledger verify figure on /metrics may get before a scrape recomputes it in the
    # background (minutes; 0: only `flask ledger verify` runs update it).
    LEDGER_VERIFY_INTERVAL_MINUTES = float(os.environ.get("LEDGER_VERIFY_INTERVAL_MINUTES", "15"))
    # Reverse proxies in front of the app that set X-Forwarded-For/-Proto/-Host (nginx: 1).
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    # Seconds a client is told to wait (Retry-After) when the database is unavailable.
    DB_UNAVAILABLE_RETRY_AFTER = int(os.environ.get("DB_UNAVAILABLE_RETRY_AFTER", "30"))
    # PostgreSQL: ping a pooled connection before use when it sat idle this long (marketplace.dbpool)
    DB_PING_IDLE_SECONDS = float(os.environ.get("DB_PING_IDLE_SECONDS", "5"))
    # Visitors' page cache (marketplace.pagecache): search and listing pages of visitors who are
    # not signed in, kept this many seconds per process (0: off) and keyed by the catalogue's
    # generation, so an edit shows at once; bookings, reviews and pledges show within this time.
    PAGE_CACHE_SECONDS = float(os.environ.get("PAGE_CACHE_SECONDS", "60"))
    PAGE_CACHE_ENTRIES = int(os.environ.get("PAGE_CACHE_ENTRIES", "2000"))  # per process
    # The officers' statistics pages: a section's figures are computed at most once in this many
    # seconds per filter and language, in the shared cache (0: every request).
    STATISTICS_CACHE_SECONDS = int(os.environ.get("STATISTICS_CACHE_SECONDS", "60"))
    # --- end step 8 operations settings ---
    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY") or None
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET") or None
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE") or None  # None: Stripe's own API
    STRIPE_TIMEOUT = float(os.environ.get("STRIPE_TIMEOUT", "20"))  # seconds per call to Stripe
    # the platform's collection account for bank transfers (对公转账), shown to payers
    BANK_TRANSFER_ACCOUNT_NAME = os.environ.get("BANK_TRANSFER_ACCOUNT_NAME") or None
    BANK_TRANSFER_BANK_NAME = os.environ.get("BANK_TRANSFER_BANK_NAME") or None
    BANK_TRANSFER_ACCOUNT_NUMBER = os.environ.get("BANK_TRANSFER_ACCOUNT_NUMBER") or None
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_USE_TLS = _env_flag("MAIL_USE_TLS")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "noreply@changzhi-innovation.local")
    # Absolute base for links in e-mail when there is no request (CLI, jobs).
    SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:5000")
    # Campaigns: close those past their deadline from a thread in each app process (harmless
    # with several workers: the close is idempotent); off to use `flask campaigns close-due`.
    RUN_JOBS_IN_PROCESS = _env_flag("RUN_JOBS_IN_PROCESS", True)
    JOBS_INTERVAL_SECONDS = int(os.environ.get("JOBS_INTERVAL_SECONDS", "60"))

    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    SQLALCHEMY_RECORD_QUERIES = False

    # Sessions and cookies (ASVS 5.0 V3.3, V7.3).
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = is_production()
    SESSION_COOKIE_NAME = "__Host-session" if is_production() else "session"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = is_production()
    REMEMBER_COOKIE_NAME = "__Host-remember" if is_production() else "remember_token"
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    # Server-side session records: idle and absolute limits (remember-me sessions get the longer pair).
    SESSION_IDLE_TIMEOUT = timedelta(hours=2)
    SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=12)
    REMEMBER_IDLE_TIMEOUT = timedelta(days=7)
    REMEMBER_ABSOLUTE_TIMEOUT = timedelta(days=30)
    # How stale a session's last-seen time may get before a request records it again (one
    # UPDATE per session per interval, not one per request).
    SESSION_SEEN_INTERVAL = timedelta(minutes=1)

    PASSWORD_HASH_METHOD = "scrypt"  # Werkzeug's method for new password hashes
    PASSWORD_RESET_MAX_AGE = int(os.environ.get("PASSWORD_RESET_MAX_AGE", "3600"))

    # Request size limits (ASVS 5.0 V5.2.1): uploads up to 16 MiB, ordinary forms 500 kB.
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", str(16 * 1024 * 1024)))
    MAX_FORM_MEMORY_SIZE = 500_000
    MAX_FORM_PARTS = 1_000

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = 3600 * 8

    RATELIMIT_ENABLED = _env_flag("RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_LIMIT_PER_IP = os.environ.get("LOGIN_LIMIT_PER_IP", "10 per minute; 100 per hour")
    LOGIN_LIMIT_PER_ACCOUNT = os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "5 per minute; 20 per hour")
    SENSITIVE_LIMIT_PER_IP = os.environ.get("SENSITIVE_LIMIT_PER_IP", "5 per minute; 30 per hour")

    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = {"zh_CN": "中文", "en": "English"}

    TESTING = False
    DEBUG = False


class TestConfig(Config):
    """Used by the test suite; the fixtures fill in DATABASE_URL and the temporary folders."""

    TESTING = True
    APP_ENV = "test"
    RUN_JOBS_IN_PROCESS = False
    SECRET_KEY = "test-secret-key-not-for-production"
    WTF_CSRF_ENABLED = False  # tests that check CSRF switch it back on
    RATELIMIT_ENABLED = False  # tests that check rate limits switch it back on
    RATELIMIT_STORAGE_URI = "memory://"
    PAGE_CACHE_SECONDS = 0.0  # tests of the page cache switch it on (tests/marketplace/test_pagecache.py)
    MAIL_SERVER = None
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # fast for thousands of test users; see auth.models
    REDIS_URL = None
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    SESSION_COOKIE_NAME = "session"
    REMEMBER_COOKIE_NAME = "remember_token"
