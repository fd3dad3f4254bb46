"""gunicorn settings: ``gunicorn -c gunicorn.conf.py wsgi:app`` (docs/deployment.md).

Environment: WORKERS (processes, default 2), BIND (default 127.0.0.1:5000), GUNICORN_TIMEOUT
(seconds a request may take before its worker is restarted, default 60), GRACEFUL_TIMEOUT
(seconds workers get to finish requests on restart/stop, default 30), FORWARDED_ALLOW_IPS (proxies
whose X-Forwarded-Proto gunicorn trusts, default loopback), LOG_FORMAT and LOG_LEVEL (as the app),
PROMETHEUS_MULTIPROC_DIR (metrics shared by the workers; an empty directory, wiped at start).

The app writes one access line per request itself (with its request id), so gunicorn's access log
is off; gunicorn's own messages go to stdout in the same format as the app's.
"""

from __future__ import annotations

import os
from pathlib import Path

wsgi_app = "wsgi:app"
bind = [os.environ.get("BIND", "127.0.0.1:5000")]
workers = int(os.environ.get("WORKERS", "2"))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GRACEFUL_TIMEOUT", "30"))
keepalive = 5  # behind nginx's keepalive upstream pool
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))  # 0: never recycle workers
max_requests_jitter = max_requests // 10
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
control_socket_disable = True  # no gunicornctl socket in the home directory
proc_name = "changzhi-marketplace"

accesslog = None  # the app's marketplace.access logger writes the access line
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
_formatter = ("marketplace.ops.logs.JsonFormatter"
              if (os.environ.get("LOG_FORMAT") or ("json" if os.environ.get("APP_ENV") == "production"
                                                   else "text")).lower() == "json"
              else "marketplace.ops.logs.TextFormatter")
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"app": {"()": _formatter}},
    # the app's configure_logging recognises this handler by its name and keeps it
    "handlers": {
        "marketplace-stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout",
                               "formatter": "app"},
    },
    "root": {"level": loglevel.upper(), "handlers": ["marketplace-stdout"]},
    "loggers": {
        "gunicorn.error": {"handlers": [], "level": loglevel.upper(), "propagate": True},
        "gunicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
    },
}


def on_starting(server):
    """Empty the multiprocess metrics directory: files left by an earlier run would be summed in."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink(missing_ok=True)


def child_exit(server, worker):
    """prometheus_client multiprocess mode: mark the dead worker's live gauges as gone."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
