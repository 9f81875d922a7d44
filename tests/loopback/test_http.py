import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from oura_addon.http import RetryPolicy, new_session


class _Script:
    """Serves a scripted list of (status, headers) answers, then 200."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.calls = 0


@pytest.fixture
def scripted_server():
    script = _Script([])

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            script.calls += 1
            status, headers = script.answers.pop(0) if script.answers else (200, {})
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield script, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def _policy(sleeps):
    return RetryPolicy(attempts=4, sleep=sleeps.append, jitter=lambda cap: cap)


def test_retry_after_is_honoured_on_429(scripted_server):
    script, url = scripted_server
    script.answers = [(429, {"Retry-After": "7"})]
    sleeps = []
    response = _policy(sleeps).send(new_session("t"), "GET", url)
    assert response.status_code == 200
    assert sleeps == [7.0]


def test_5xx_is_retried_with_growing_backoff(scripted_server):
    script, url = scripted_server
    script.answers = [(503, {}), (502, {})]
    sleeps = []
    response = _policy(sleeps).send(new_session("t"), "GET", url)
    assert response.status_code == 200
    assert sleeps == [1.0, 2.0]
    assert script.calls == 3


def test_client_errors_are_returned_at_once(scripted_server):
    script, url = scripted_server
    script.answers = [(404, {})]
    sleeps = []
    assert _policy(sleeps).send(new_session("t"), "GET", url).status_code == 404
    assert sleeps == [] and script.calls == 1


def test_persistent_5xx_returns_the_last_answer(scripted_server):
    script, url = scripted_server
    script.answers = [(500, {})] * 4
    assert _policy([]).send(new_session("t"), "GET", url).status_code == 500


def test_connection_refused_raises_after_the_attempts():
    sleeps = []
    with pytest.raises(requests.ConnectionError):
        _policy(sleeps).send(new_session("t"), "GET", "http://127.0.0.1:9/")
    assert len(sleeps) == 3
