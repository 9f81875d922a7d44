"""Fixtures for the panel tests: a Flask test client that talks like Home Assistant's ingress."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from oura_addon.web import create_app
from oura_addon.web.oauth_state import PendingAuthorizations
from tests.web.fakes import FakeServices, fake_services

INGRESS = "/api/hassio_ingress/Xy9_k-3bTOKEN"
PROXY = "172.30.32.2"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Panel:
    """Requests as the ingress proxy sends them: prefix header, proxy address, cookie jar."""

    def __init__(self, app: Flask, prefix: str = INGRESS, remote: str = PROXY) -> None:
        self.app = app
        self.client = app.test_client()
        self.prefix = prefix
        self.remote = remote

    def request(
        self, method: str, path: str, *, csrf: bool = True, headers: dict | None = None, **kw: Any
    ) -> TestResponse:
        sent = {"X-Ingress-Path": self.prefix, **(headers or {})}
        if csrf and method in ("POST", "PUT", "PATCH", "DELETE") and "X-CSRF-Token" not in sent:
            sent["X-CSRF-Token"] = self.csrf_token()
        return self.client.open(
            self.prefix + path,
            method=method,
            headers=sent,
            environ_overrides={"REMOTE_ADDR": self.remote},
            **kw,
        )

    def get(self, path: str, **kw: Any) -> TestResponse:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> TestResponse:
        return self.request("POST", path, **kw)

    def delete(self, path: str, **kw: Any) -> TestResponse:
        return self.request("DELETE", path, **kw)

    def csrf_token(self) -> str:
        """What a script does: GET the panel, read the meta tag, keep the cookie."""
        page = self.client.get(
            self.prefix + "/",
            headers={"X-Ingress-Path": self.prefix},
            environ_overrides={"REMOTE_ADDR": self.remote},
        )
        match = re.search(r'<meta name="csrf-token" content="([^"]+)">', page.get_data(True))
        assert match, "the panel page carries no csrf-token meta tag"
        return match.group(1)


class LinkCollector(HTMLParser):
    """Every URL-bearing attribute of a page: (tag, attribute, value)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []
        self.forms: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "action", "src") and value is not None:
                self.urls.append((tag, name, value))
        if tag == "form":
            self.forms.append(dict(attrs))


def collect_links(html: str) -> LinkCollector:
    collector = LinkCollector()
    collector.feed(html)
    return collector


@pytest.fixture
def services(tmp_path: Path) -> FakeServices:
    return fake_services(tmp_path)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def pending(clock: FakeClock) -> PendingAuthorizations:
    return PendingAuthorizations(clock=clock)


@pytest.fixture
def app(services: FakeServices, pending: PendingAuthorizations) -> Iterator[Flask]:
    yield create_app(services.settings, services.bundle(), pending=pending, secret_key=b"k" * 32)


@pytest.fixture
def panel(app: Flask) -> Panel:
    return Panel(app)


@pytest.fixture
def panel_for(tmp_path: Path) -> Callable[..., tuple[FakeServices, Panel]]:
    """A panel over services built with other settings (demo mode, settings problems)."""

    def build(**options: Any) -> tuple[FakeServices, Panel]:
        services = fake_services(tmp_path, **options)
        app = create_app(services.settings, services.bundle(), secret_key=b"k" * 32)
        return services, Panel(app)

    return build
