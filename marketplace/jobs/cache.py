"""The shared cache (Flask-Caching): RedisCache on REDIS_URL, so every worker sees the same
entries; SimpleCache (one process) without Redis; NullCache when testing. CACHE_TYPE overrides.

Only figures that are the same for everyone who may see them are cached, keyed by everything they
depend on: the open-data datasets per filter and host (CACHE_DEFAULT_TIMEOUT, 60 s), the officers'
statistics sections per filter and language (STATISTICS_CACHE_SECONDS, 60 s). Never pages that
depend on who asks. The cache fails open: when Redis does not answer, the value is computed.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from typing import TypeVar

from marketplace.extensions import cache

log = logging.getLogger(__name__)
T = TypeVar("T")


def init_cache(app) -> None:
    config = app.config
    if not config.get("CACHE_TYPE"):
        if config.get("REDIS_URL"):
            config["CACHE_TYPE"] = "RedisCache"
        else:
            config["CACHE_TYPE"] = "NullCache" if app.testing else "SimpleCache"
    if config["CACHE_TYPE"] in ("RedisCache", "flask_caching.backends.RedisCache"):
        if not config.get("CACHE_REDIS_URL"):
            url = config["REDIS_URL"]
            # a cache that hangs is worse than none: give up on Redis after a second
            config["CACHE_REDIS_URL"] = url + ("&" if "?" in url else "?") + \
                "socket_connect_timeout=1&socket_timeout=1"
    config.setdefault("CACHE_NO_NULL_WARNING", True)
    cache.init_app(app)


def remember(namespace: str, params: dict, compute: Callable[[], T],
             timeout: int | None = None) -> T:
    """``compute()``'s value, from the cache when a fresh one is there for these parameters."""
    digest = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()
    key = f"{namespace}:{digest[:32]}"
    try:
        value = cache.get(key)
    except Exception as exc:  # Redis down: serve the live figures
        log.warning("cache unavailable (%s); computing %s", exc.__class__.__name__, namespace)
        return compute()
    if value is not None:
        return value
    value = compute()
    try:
        cache.set(key, value, timeout=timeout)
    except Exception as exc:
        log.warning("cache unavailable (%s); %s not stored", exc.__class__.__name__, namespace)
    return value
