"""Issue 13 item 6: questionnaire and calendar tokens never reach a log (gunicorn access log,
werkzeug's request log, our own log lines)."""
from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace

from gunicorn.config import Config

from logeer.extensions import db
from logeer.log_redaction import RedactingGunicornLogger, redact

ROOT = Path(__file__).resolve().parents[1]
SECRETS = ("Qz8SurveyToken_abc-123", "Xy9IcalToken_def-456", "Rf7RefererToken_ghi-789")


def test_redact_masks_every_token_path_and_nothing_else():
    assert redact('"GET /vragenlijst/Qz8SurveyToken_abc-123 HTTP/1.1" 200') == '"GET /vragenlijst/[token] HTTP/1.1" 200'
    assert redact("POST /vragenlijst/Qz8-x_1/intrekken?x=1") == "POST /vragenlijst/[token]/intrekken?x=1"
    assert redact("GET /ical/Xy9IcalToken_def-456.ics HTTP/1.1") == "GET /ical/[token].ics HTTP/1.1"
    assert redact("http://logeer.test/ical/Xy9.ics?x=1 and /pagina?token=abc&b=2") == \
        "http://logeer.test/ical/[token].ics?x=1 and /pagina?token=[token]&b=2"
    assert redact("GET /reserveringen/12 HTTP/1.1") == "GET /reserveringen/12 HTTP/1.1"


def test_the_gunicorn_logger_class_redacts_request_line_path_query_and_referer(tmp_path):
    cfg = Config()
    cfg.set("accesslog", str(tmp_path / "access.log"))
    cfg.set("access_log_format", '%(h)s "%(r)s" %(s)s "%(f)s" %(U)s %(q)s {%({raw_uri}e)s}')
    logger = RedactingGunicornLogger(cfg)
    environ = {
        "REQUEST_METHOD": "GET", "RAW_URI": f"/vragenlijst/{SECRETS[0]}?token={SECRETS[1]}",
        "PATH_INFO": f"/vragenlijst/{SECRETS[0]}", "QUERY_STRING": f"token={SECRETS[1]}", "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "192.0.2.7", "HTTP_REFERER": f"https://logeer.example/ical/{SECRETS[2]}.ics",
    }
    response = SimpleNamespace(status="200 OK", headers=[("Content-Type", "text/html")], sent=10)
    request = SimpleNamespace(headers=[("Referer", environ["HTTP_REFERER"])])
    logger.access(response, request, environ, dt.timedelta(milliseconds=5))
    for handler in logger.access_log.handlers:
        handler.flush()
    line = (tmp_path / "access.log").read_text()
    assert "/vragenlijst/[token]" in line and "/ical/[token].ics" in line and "192.0.2.7" in line
    assert not any(secret in line for secret in SECRETS), line


def test_werkzeug_and_our_own_log_lines_are_redacted(app, caplog, monkeypatch):
    for name in ("werkzeug", "logeer.error_handlers", "logeer"):
        # The test app's migrations ran alembic's fileConfig, which switches existing loggers off.
        monkeypatch.setattr(logging.getLogger(name), "disabled", False)
    with caplog.at_level(logging.INFO):
        logging.getLogger("werkzeug").info('%s - - [%s] "%s" %s -', "127.0.0.1", "now",
                                           f"GET /vragenlijst/{SECRETS[0]} HTTP/1.1", 200)
        logging.getLogger("logeer.error_handlers").warning("unhandled error on %s %s", "GET", f"/ical/{SECRETS[1]}.ics")
        app.logger.error(f"Exception on /vragenlijst/{SECRETS[2]} [GET]")
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert text.count("[token]") == 3 and not any(secret in text for secret in SECRETS), text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_real_gunicorn_with_the_shipped_config_keeps_tokens_out_of_its_access_log(app, tmp_path):
    """gunicorn started as production starts it (gunicorn.conf.py from the checkout)."""
    port, log = _free_port(), tmp_path / "access.log"
    env = {**os.environ, "LOGEER_DATABASE_URL": str(db.engine.url.render_as_string(hide_password=False)),
           "LOGEER_SECRET_KEY": "test-secret"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}", "--access-logfile", str(log),
         "logeer:create_app()"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120  # a busy test machine starts it slowly
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=10).read()
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                assert time.monotonic() < deadline and server.poll() is None, "gunicorn did not start"
                time.sleep(0.3)
        for path, referer in ((f"/vragenlijst/{SECRETS[0]}", None), (f"/ical/{SECRETS[1]}.ics", None),
                              ("/healthz", f"{base}/vragenlijst/{SECRETS[2]}")):
            request = urllib.request.Request(base + path, headers={"Referer": referer} if referer else {})
            try:
                urllib.request.urlopen(request, timeout=60).read()
            except urllib.error.HTTPError as error:
                assert error.code == 404
    finally:
        server.terminate()
        server.wait(timeout=30)
    text = log.read_text()
    assert "/vragenlijst/[token]" in text and "/ical/[token].ics" in text, text
    assert not any(secret in text for secret in SECRETS), text
