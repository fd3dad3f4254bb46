"""Request ids (kept when sane, replaced when not) on the response and on every log record;
the JSON line format."""

from __future__ import annotations

import json
import logging

import pytest

from marketplace.ops.logs import JsonFormatter, TextFormatter, request_id_from


def test_a_sane_incoming_request_id_is_returned(client):
    response = client.get("/healthz", headers={"X-Request-ID": "nginx-4f2a9c01.7"})
    assert response.headers["X-Request-ID"] == "nginx-4f2a9c01.7"


@pytest.mark.parametrize("bad", ["short", "x" * 129, "has space in it", "ünïcode-id-123",
                                 "<script>alert(1)</script>", "-leading-dash-1234", "a\r\nSet: 1"])
def test_an_insane_request_id_is_replaced(bad):
    fresh = request_id_from(bad)
    assert fresh != bad and len(fresh) == 32


def test_a_request_without_an_id_gets_a_fresh_one_each_time(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert len(first) == 32 and first != second


def test_every_record_of_a_request_carries_its_id_and_the_access_line(client, caplog):
    caplog.set_level(logging.DEBUG)
    response = client.get("/no-such-page", headers={"X-Request-ID": "trace-0001-abcd"})
    assert response.status_code == 404
    access = [r for r in caplog.records if r.name == "marketplace.access"]
    assert len(access) == 1
    record = access[0]
    assert (record.request_id, record.method, record.path) == ("trace-0001-abcd", "GET",
                                                                "/no-such-page")
    assert record.status == 404 and record.duration_ms >= 0
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "trace-0001-abcd"
    assert line["status"] == 404 and line["path"] == "/no-such-page"
    assert line["level"] == "INFO" and line["logger"] == "marketplace.access"
    assert line["time"].endswith("Z") and "T" in line["time"]


@pytest.mark.parametrize("url", ["/healthz", "/readyz", "/metrics"])
def test_probe_endpoints_log_their_access_line_at_debug(client, caplog, url):
    caplog.set_level(logging.DEBUG)
    assert client.get(url).status_code == 200
    (record,) = [r for r in caplog.records if r.name == "marketplace.access"]
    assert record.levelno == logging.DEBUG


def test_json_lines_carry_exceptions_and_text_lines_the_request_id():
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord("marketplace.x", logging.ERROR, __file__, 1, "failed %s",
                                   ("here",), sys.exc_info())
    record.request_id = "req-12345678"
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "failed here" and "ValueError: boom" in line["exception"]
    assert "[req-12345678] failed here" in TextFormatter().format(record)


def test_log_format_must_be_json_or_text(instance_path):
    from tests.marketplace.ops.helpers import app_on

    with pytest.raises(RuntimeError, match="LOG_FORMAT"):
        app_on("sqlite://", LOG_FORMAT="xml")
