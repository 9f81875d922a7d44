"""The nginx ingress stand-in behaves like Home Assistant's ingress for browser and add-on."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tests.browser.ingress import REMOTE_USER_NAME, IngressProxy

pytestmark = pytest.mark.browser


class EchoHandler(BaseHTTPRequestHandler):
    """Answers with what it received, or redirects the way a careless app might."""

    def do_GET(self) -> None:
        if self.path == "/absolute-redirect":
            port = self.server.server_address[1]
            self._redirect(f"http://127.0.0.1:{port}/landed")
            return
        if self.path == "/root-relative-redirect":
            self._redirect("/landed")
            return
        body = json.dumps(
            {"path": self.path, "headers": dict(self.headers), "peer": self.client_address[0]}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def echo_port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), EchoHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def proxy(echo_port: int) -> Iterator[IngressProxy]:
    with IngressProxy(echo_port) as running:
        yield running


def test_ingress_strips_the_prefix_and_adds_home_assistants_headers(proxy):
    answer = requests.get(f"{proxy.ingress_url}api/status?x=1", timeout=5).json()

    assert answer["path"] == "/api/status?x=1"
    assert answer["peer"] == "127.0.0.1"
    headers = answer["headers"]
    assert headers["X-Ingress-Path"] == proxy.ingress_path
    assert headers["X-Remote-User-Name"] == REMOTE_USER_NAME
    assert headers["X-Forwarded-Proto"] == "http"
    assert headers["X-Forwarded-Host"] == proxy.url.removeprefix("http://")


def test_redirect_to_the_addons_own_address_stays_under_the_prefix(proxy):
    response = requests.get(
        f"{proxy.ingress_url}absolute-redirect", allow_redirects=False, timeout=5
    )

    assert response.headers["Location"].endswith(f"{proxy.ingress_path}/landed")


def test_root_relative_redirect_leaves_the_prefix_as_in_home_assistant(proxy):
    response = requests.get(
        f"{proxy.ingress_url}root-relative-redirect", allow_redirects=False, timeout=5
    )

    assert response.headers["Location"] == "/landed"


def test_outer_page_frames_the_panel_on_the_proxy_origin(proxy, page):
    page.goto(proxy.url + "/")

    assert page.get_by_text("Home Assistant").first.is_visible()
    frame = page.frame_locator('iframe[title="Oura"]')
    assert "X-Ingress-Path" in frame.locator("body").inner_text()
    frame_element = page.locator('iframe[title="Oura"]').element_handle()
    parent_origin = frame_element.content_frame().evaluate("window.parent.location.origin")
    assert parent_origin == proxy.url


def test_proxy_that_cannot_start_reports_nginx_error(echo_port, tmp_path):
    broken = IngressProxy(echo_port, token="has space", workdir=tmp_path)

    with pytest.raises(RuntimeError, match="nginx did not start"):
        broken.start()
