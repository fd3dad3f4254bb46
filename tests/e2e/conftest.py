"""Fixtures for the browser tests.

``live_server`` runs the real application under gunicorn, as a subprocess, against the same
database the test process uses (migrated by the ``app`` fixture; emptied after each test by
``db``). ``browser`` is Debian's chromium (``/usr/bin/chromium``, installed by ``make chromium``)
driven by Playwright; a browser is never downloaded. ``page`` is a fresh desktop-sized browser
context whose server errors (HTTP 5xx) and JavaScript errors are collected for the test to check.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
RESULTS_DIR = REPO_ROOT / "test-results"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SERVER_SECRET_KEY = "e2e-secret-key-not-for-production"
SERVER_START_TIMEOUT = 20.0
DESKTOP_VIEWPORT = {"width": 1280, "height": 900}  # the nav collapses on narrow screens


# ---------------------------------------------------------------------------------------------
# the server's log is attached to the report of a failing test
SERVER_LOG = pytest.StashKey[Path]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    log_path = item.stash.get(SERVER_LOG, None)
    if report.failed and log_path is not None:
        report.sections.append(("gunicorn log (last 80 lines)", _tail(log_path)))
    return report


def _tail(path: Path, lines: int = 80) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        return f"(no server log: {error})"
    return "\n".join(text.splitlines()[-lines:]) or "(server log is empty)"


# ---------------------------------------------------------------------------------------------
# the real server
def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _gunicorn() -> Path:
    beside_python = Path(sys.executable).with_name("gunicorn")
    return beside_python if beside_python.exists() else REPO_ROOT / ".venv" / "bin" / "gunicorn"


def _server_env(database_url: str, instance_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    # Nothing from the developer's shell may send the server to other services or production mode.
    for key in ("FLASK_ENV", "REDIS_URL", "MAIL_SERVER", "STRIPE_SECRET_KEY",
                "STRIPE_WEBHOOK_SECRET", "RATELIMIT_STORAGE_URI", "GUNICORN_CMD_ARGS"):
        env.pop(key, None)
    env.update({
        "APP_ENV": "development",
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(instance_path),
        "SEARCH_INDEX_DIR": str(instance_path / "search-index"),
        "MODEL_DIR": str(instance_path / "models"),
        "SECRET_KEY": SERVER_SECRET_KEY,
        "RATELIMIT_ENABLED": "0",
        "PYTHONUNBUFFERED": "1",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    })
    return env


def _wait_until_up(process: subprocess.Popen, url: str, log_path: Path) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with status {process.returncode} before answering.\n"
                        f"--- {log_path} ---\n{_tail(log_path)}", pytrace=False)
        try:
            with opener.open(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError) as error:
            last_error = error
        time.sleep(0.1)
    pytest.fail(f"gunicorn did not answer {url} within {SERVER_START_TIMEOUT:.0f} s "
                f"(last error: {last_error!r}).\n--- {log_path} ---\n{_tail(log_path)}",
                pytrace=False)


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM (gunicorn's graceful stop), then SIGKILL; then sweep the process group."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    # The server runs in its own session, so its group id is its pid: no worker may outlive it.
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


@pytest.fixture
def live_server(request, app, db, database_url, instance_path, tmp_path):
    """The base URL of the application served by gunicorn on a free local port."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "gunicorn.log"
    command = [
        str(_gunicorn()), "--workers", "1", "--bind", f"127.0.0.1:{port}",
        "--graceful-timeout", "5", "--no-control-socket",
        "--access-logfile", "-", "--error-logfile", "-",
        "marketplace:create_app()",
    ]
    request.node.stash[SERVER_LOG] = log_path
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=_server_env(database_url, instance_path),
            stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_up(process, f"{base_url}/healthz", log_path)
        yield base_url
    finally:
        _stop(process)
    assert process.returncode is not None


# ---------------------------------------------------------------------------------------------
# the browser
@pytest.fixture(scope="session")
def browser():
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"{CHROMIUM} is missing: the browser tests use Debian's chromium. Install it "
                    "with `make chromium` (apt-get install chromium); never `playwright install`.",
                    pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class BrowserProblems:
    """HTTP 5xx answers and uncaught JavaScript errors seen by one page."""

    def __init__(self):
        self.server_errors: list[str] = []
        self.page_errors: list[str] = []

    def on_response(self, response):
        if response.status >= 500:
            self.server_errors.append(f"{response.status} {response.request.method} {response.url}")

    def on_page_error(self, error):
        self.page_errors.append(str(error))


@pytest.fixture
def browser_problems():
    return BrowserProblems()


@pytest.fixture
def page(browser, live_server, browser_problems):
    from playwright.sync_api import expect

    context = browser.new_context(base_url=live_server, viewport=DESKTOP_VIEWPORT,
                                  locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    expect.set_options(timeout=10_000)
    page = context.new_page()
    page.on("response", browser_problems.on_response)
    page.on("pageerror", browser_problems.on_page_error)
    yield page
    context.close()


@pytest.fixture
def results_dir() -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    return RESULTS_DIR
