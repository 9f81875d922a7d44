"""Hostile requests get a clear answer and change nothing: huge bodies, deep JSON, forged
Host headers, absurd names."""

from __future__ import annotations

import json

import pytest

from oura_addon.web import MAX_REQUEST_BODY_BYTES
from tests.web.conftest import Panel
from tests.web.fakes import FakeServices


class CountingStream:
    """A request body of ``size`` bytes that records how much of it was read."""

    def __init__(self, size: int, chunk: bytes = b"a=") -> None:
        self.size = size
        self.read_bytes = 0
        self._position = 0
        self._chunk = chunk

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = 0) -> int:
        # werkzeug's test client measures the stream by seeking to its end and back.
        self._position = self.size + offset if whence == 2 else offset
        return self._position

    def read(self, n: int = -1) -> bytes:
        left = self.size - self._position
        n = left if n < 0 else min(n, left)
        self._position += n
        self.read_bytes += n
        return (self._chunk * (n // len(self._chunk) + 1))[:n]


def test_a_ten_megabyte_json_body_with_a_valid_token_is_refused_and_creates_nothing(
    panel: Panel, services: FakeServices
) -> None:
    body = json.dumps({"name": "big", "padding": "x" * 10_000_000})
    response = panel.post("/api/accounts", data=body, content_type="application/json")
    assert response.status_code == 413
    assert "64 KB" in response.get_json()["message"]
    assert services.accounts.list() == []


@pytest.mark.parametrize("csrf", [True, False])
def test_a_twenty_megabyte_form_is_refused_without_being_read(panel: Panel, csrf: bool) -> None:
    stream = CountingStream(20 * 1024 * 1024)
    response = panel.request(
        "POST",
        "/accounts",
        csrf=csrf,
        input_stream=stream,
        content_type="application/x-www-form-urlencoded",
        content_length=stream.size,
    )
    assert response.status_code == 413
    assert stream.read_bytes == 0


def test_a_form_without_a_token_is_refused_after_reading_at_most_the_limit(panel: Panel) -> None:
    stream = CountingStream(MAX_REQUEST_BODY_BYTES)
    response = panel.request(
        "POST",
        "/accounts",
        csrf=False,
        input_stream=stream,
        content_type="application/x-www-form-urlencoded",
        content_length=stream.size,
    )
    assert response.status_code in (403, 413)  # too many fields is refused as well
    assert stream.read_bytes <= MAX_REQUEST_BODY_BYTES


def test_a_json_token_in_the_header_means_the_body_is_never_parsed_as_a_form(
    panel: Panel, services: FakeServices
) -> None:
    response = panel.post("/api/accounts", json={"name": "partner"})
    assert response.status_code == 201
    assert [a.name for a in services.accounts.list()] == ["partner"]


def test_deeply_nested_json_gets_a_400_with_a_sentence(
    panel: Panel, services: FakeServices, caplog: pytest.LogCaptureFixture
) -> None:
    depth = 30_000  # fits in the body limit, far beyond Python's recursion limit
    response = panel.post(
        "/api/accounts", data="[" * depth + "]" * depth, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "bad_request",
        "message": "The JSON body is nested too deeply.",
    }
    assert "Traceback" not in caplog.text
    assert services.accounts.list() == []


@pytest.mark.parametrize("path", ["/accounts//oura", "/api/status/", "//api/status"])
def test_no_redirect_is_built_from_a_forged_host_header(panel: Panel, path: str) -> None:
    response = panel.get(path, headers={"Host": "evil.example"})
    assert "evil.example" not in response.headers.get("Location", "")
    assert response.status_code not in (301, 302, 307, 308)


def test_a_huge_account_name_is_echoed_only_in_part(panel: Panel) -> None:
    name = "n" * 20_000
    response = panel.post("/api/accounts", json={"name": name})
    assert response.status_code == 400
    message = response.get_json()["message"]
    assert "n" * 65 not in message
    assert len(message) < 400

    response = panel.post(f"/api/accounts/{'Z' * 5000}/paste", json={"url": "x"})
    assert response.status_code == 404
    assert "Z" * 65 not in response.get_json()["message"]
