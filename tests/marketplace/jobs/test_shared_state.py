"""State that every worker needs lives in Redis when it is configured: rate-limit counters are
shared by two app processes; the cache is shared by two app instances; both fail open."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from marketplace.jobs.cache import init_cache, remember
from tests.marketplace.jobs.conftest import REDIS_URL

ROOT = Path(__file__).resolve().parents[3]
LOGIN_TWICE = textwrap.dedent("""
    import json, sys
    from marketplace import create_app
    url, storage, index_dir, model_dir, prefix = sys.argv[1:6]
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_STORAGE_URI": storage,
                      "RATELIMIT_KEY_PREFIX": prefix, "RATELIMIT_ENABLED": True,
                      "LOGIN_LIMIT_PER_ACCOUNT": "3 per minute", "LOGIN_LIMIT_PER_IP": "100 per minute",
                      "WTF_CSRF_ENABLED": False, "TESTING": True, "SECRET_KEY": "limits-test",
                      "RUN_JOBS_IN_PROCESS": False, "SEARCH_INDEX_DIR": index_dir,
                      "MODEL_DIR": model_dir, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    client = app.test_client()
    print(json.dumps([client.post("/auth/login", data={"email": "shared@example.cn",
                                                      "password": "wrong password"}).status_code
                      for _ in range(2)]))
""")


def _login_twice(tmp_path, database_url, storage: str, app) -> list[int]:
    script = tmp_path / "login_twice.py"
    script.write_text(LOGIN_TWICE)
    env = {**os.environ, "INSTANCE_PATH": str(tmp_path / "instance"), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(script), database_url, storage,
                           app.config["SEARCH_INDEX_DIR"], app.config["MODEL_DIR"],
                           app.config["JOBS_QUEUE_PREFIX"] + "-limits"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_rate_limits_are_shared_by_two_processes_on_redis(app, db, redis_db, tmp_path,
                                                          database_url):
    first = _login_twice(tmp_path, database_url, REDIS_URL, app)
    second = _login_twice(tmp_path, database_url, REDIS_URL, app)
    assert 429 not in first
    assert second[-1] == 429  # the third attempt for the account, counted across processes
    assert redis_db.keys(f"*{redis_db.tag}-limits*")  # (with memory:// each process would count alone)


@pytest.fixture
def redis_cache(app, redis_db):
    keys = ("CACHE_TYPE", "CACHE_REDIS_URL", "REDIS_URL", "CACHE_KEY_PREFIX")
    saved = {key: app.config.get(key) for key in keys}
    app.config.update(CACHE_TYPE=None, CACHE_REDIS_URL=None, REDIS_URL=REDIS_URL,
                      CACHE_KEY_PREFIX=f"{redis_db.tag}:cache:")
    init_cache(app)
    yield redis_db
    app.config.update(saved)
    init_cache(app)


def test_the_cache_is_shared_by_two_app_instances(app, db, redis_cache, instance_path):
    from marketplace import create_app

    assert app.config["CACHE_TYPE"] == "RedisCache"
    with app.app_context():
        assert remember("test:figures", {"district": "140403"}, lambda: {"listings": 3}) == \
            {"listings": 3}
    # (RATELIMIT_STORAGE_URI: the limiter is one object per process; left to REDIS_URL, `other`
    # would re-bind the test session's limiter to Redis)
    other = create_app({"TESTING": True, "SECRET_KEY": "x", "REDIS_URL": REDIS_URL,
                        "RATELIMIT_STORAGE_URI": "memory://",
                        "CACHE_KEY_PREFIX": app.config["CACHE_KEY_PREFIX"],
                        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                        "SEARCH_INDEX_DIR": app.config["SEARCH_INDEX_DIR"],
                        "MODEL_DIR": app.config["MODEL_DIR"], "RUN_JOBS_IN_PROCESS": False})
    with other.app_context():
        assert remember("test:figures", {"district": "140403"}, lambda: {"listings": 99}) == \
            {"listings": 3}  # computed by the first instance
        assert remember("test:figures", {"district": "140402"}, lambda: {"listings": 5}) == \
            {"listings": 5}  # other parameters, other entry
    assert redis_cache.keys(f"{redis_cache.tag}:cache:test:figures:*")
    init_cache(app)  # `other` re-bound the shared extension; bind it to the test app again


def test_the_cache_fails_open_when_redis_is_down(app, db):
    saved = {key: app.config.get(key) for key in ("CACHE_TYPE", "CACHE_REDIS_URL", "REDIS_URL")}
    app.config.update(CACHE_TYPE=None, CACHE_REDIS_URL=None, REDIS_URL="redis://127.0.0.1:1/0")
    try:
        init_cache(app)
        assert remember("test:down", {}, lambda: 42) == 42
    finally:
        app.config.update(saved)
        init_cache(app)


def test_open_data_answers_are_cached_per_filter(app, db, client, redis_cache):
    from tests.factories import make_instrument, make_organization, make_user

    first = client.get("/api/v1/open/listings").get_json()
    make_instrument(make_organization(make_user()))
    db.session.commit()
    cached = client.get("/api/v1/open/listings").get_json()
    assert cached["rows"] == first["rows"]  # within the minute: the shared figures
    fresh = client.get("/api/v1/open/listings?end=2099-12-31").get_json()
    assert fresh["rows"] != first["rows"]  # other filters: computed now


def test_visitors_pages_are_shared_through_redis_and_fail_open(app, db, client, redis_cache):
    """With REDIS_URL the page cache lives in the shared cache: every worker and app server
    finds a page another rendered; a Redis that does not answer makes misses, not errors."""
    from marketplace.pagecache import HEADER, SharedPages, init_page_cache
    from tests.factories import make_instrument, make_organization, make_user

    make_instrument(make_organization(make_user()), title_zh="共享缓存测试电镜")
    db.session.commit()
    saved_seconds = app.config["PAGE_CACHE_SECONDS"]
    app.config["PAGE_CACHE_SECONDS"] = 60
    try:
        init_page_cache(app)
        assert isinstance(app.extensions["page_cache"], SharedPages)
        assert client.get("/search?q=电镜").headers[HEADER] == "miss"
        assert app.test_client().get("/search?q=电镜").headers[HEADER] == "hit"
        assert redis_cache.keys(f"{redis_cache.tag}:cache:page:*")
        # another process (its own memory, empty) finds the page in Redis and keeps it
        app.extensions["page_cache"].local.clear()
        assert client.get("/search?q=电镜").headers[HEADER] == "hit"
        assert len(app.extensions["page_cache"].local._cache) == 1
        app.config.update(CACHE_TYPE=None, CACHE_REDIS_URL=None, REDIS_URL="redis://127.0.0.1:1/0")
        init_cache(app)
        init_page_cache(app)
        assert isinstance(app.extensions["page_cache"], SharedPages)
        response = client.get("/search?q=电镜")
        assert (response.status_code, response.headers[HEADER]) == (200, "miss")
    finally:
        app.config["PAGE_CACHE_SECONDS"] = saved_seconds
        app.extensions["page_cache"] = None
