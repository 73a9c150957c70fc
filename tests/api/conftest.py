"""Fixtures of the API tests."""
from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server


@pytest.fixture
def server(app) -> Iterator[tuple[str, int]]:
    """The app behind a real threaded HTTP server on a free port (each request in its own thread)."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, name="logeer-test-server", daemon=True)
    thread.start()
    yield "127.0.0.1", httpd.server_port
    httpd.shutdown()
    thread.join(timeout=10)
    httpd.server_close()
