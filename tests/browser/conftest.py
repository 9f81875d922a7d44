"""Fixtures for the real-browser tests: the Oura simulator, the add-on as a subprocess,
the nginx ingress stand-in in front of it, and one headless Chromium per session.

Scopes: one simulator, add-on and proxy per test module (fresh data dir each), one browser
per session, one browser context per test.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from oura_addon.simulator import SimulatorServer
from tests.addon_process import AddonProcess, addon_environment, simulated_oura
from tests.browser.ingress import NGINX, IngressProxy

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Distinctive values so a leak into a page or a log line is unmistakable.
CLIENT_ID = "browser-test-client"
CLIENT_SECRET = "browser-test-secret-7f3a9c1e5d"
SIMULATED_DAYS = 35
SIMULATED_USERS = 3
SIMULATED_TIMEZONE = "Europe/Helsinki"
DESKTOP = {"width": 1280, "height": 800}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _missing_tools() -> list[str]:
    missing = [path for path in (CHROMIUM, NGINX) if not Path(path).exists()]
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright Python package")
    return missing


@pytest.fixture(scope="session", autouse=True)
def browser_tools_present() -> None:
    missing = _missing_tools()
    if not missing:
        return
    reason = f"browser tests need {', '.join(missing)}"
    if os.environ.get("CI") == "true":
        pytest.fail(reason + " (CI=true: not skipping)")
    pytest.skip(reason)


# ----- the Oura simulator ----------------------------------------------------------------


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatorServer]:
    with simulated_oura(
        CLIENT_ID,
        CLIENT_SECRET,
        users=SIMULATED_USERS,
        days=SIMULATED_DAYS,
        time_zone=SIMULATED_TIMEZONE,
        auto_approve=False,
    ) as server:
        yield server


# ----- the add-on as a real subprocess -----------------------------------------------------


@pytest.fixture(scope="module")
def addon_options() -> dict[str, Any]:
    """options.json as the Supervisor would write it; a test module may override this."""
    return {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "poll_interval": 60,
        "history_days": 30,
        # Debug logging gives a leaked secret the most chances to show up in the log.
        "log_level": "debug",
    }


@pytest.fixture(scope="module")
def ha_api_url() -> str:
    """Nothing listens on port 9: Home Assistant is unreachable unless a module overrides."""
    return "http://127.0.0.1:9/api"


@pytest.fixture(scope="module")
def addon_env() -> dict[str, str]:
    """Environment variables a test module adds or overrides (e.g. ``HA_WS_URL``)."""
    return {}


@pytest.fixture(scope="module")
def addon(
    tmp_path_factory: pytest.TempPathFactory,
    simulator: Any,
    addon_options: dict[str, Any],
    ha_api_url: str,
    addon_env: dict[str, str],
) -> Iterator[AddonProcess]:
    root = tmp_path_factory.mktemp("addon")
    data_dir = root / "data"
    data_dir.mkdir()
    (data_dir / "options.json").write_text(json.dumps(addon_options))
    process = AddonProcess(
        data_dir=data_dir,
        log_path=root / "addon.log",
        env=addon_environment(data_dir, simulator.url, ha_api_url) | addon_env,
    )
    process.start()
    try:
        yield process
    finally:
        code = process.stop()
        assert code is not None, (
            f"The add-on did not exit within 10 s of SIGTERM. Its output:\n{process.log_text}"
        )


@pytest.fixture(scope="module")
def ingress(addon: AddonProcess) -> Iterator[IngressProxy]:
    # Opened as http://localhost, the one plain-http origin Oura accepts in a redirect URI.
    with IngressProxy(addon.port, public_host="localhost") as proxy:
        yield proxy


# ----- the browser ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def expect() -> Any:
    """Playwright's auto-waiting assertions, imported only once the tools are known present."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(15_000)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def page(context: Any) -> Any:
    return context.new_page()


class ServedDocuments:
    """Every HTML and JSON body the browser received, to check that no secret was served."""

    def __init__(self) -> None:
        self.bodies: list[tuple[str, str]] = []
        self.unreadable: list[str] = []

    def record(self, response: Any) -> None:
        content_type = response.headers.get("content-type", "")
        if not any(kind in content_type for kind in ("html", "json", "javascript")):
            return
        if 300 <= response.status < 400:
            return  # redirects have no body to read
        try:
            self.bodies.append((response.url, response.text()))
        except Exception:
            self.unreadable.append(response.url)

    def containing(self, secret: str) -> list[str]:
        return [url for url, body in self.bodies if secret in body]


@pytest.fixture
def served(context: Any) -> ServedDocuments:
    documents = ServedDocuments()
    context.on("response", documents.record)
    return documents


@pytest.fixture(scope="session")
def screenshots_dir() -> Path:
    path = ARTIFACTS / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


# ----- driving the panel ---------------------------------------------------------------------


class Panel:
    """The add-on panel as a user reaches it: Home Assistant's page with the panel's iframe."""

    def __init__(self, page: Any, ingress: IngressProxy) -> None:
        self.page = page
        self.ingress = ingress

    @property
    def frame(self) -> Any:
        return self.page.frame_locator('iframe[title="Oura"]')

    @property
    def callback_url(self) -> str:
        """The redirect URI the panel should compute: outer origin + ingress path + callback."""
        return f"{self.ingress.url}{self.ingress.ingress_path}/oauth/callback"

    def open(self) -> Any:
        self.page.goto(self.ingress.url + "/")
        self.frame.locator("body").wait_for()
        return self.frame

    def status(self) -> dict[str, Any]:
        response = requests.get(f"{self.ingress.ingress_url}api/status", timeout=10)
        response.raise_for_status()
        return response.json()

    def account(self, name: str = "oura") -> dict[str, Any] | None:
        return next((a for a in self.status()["accounts"] if a["name"] == name), None)

    def open_consent(self, button: str = "Connect") -> Any:
        """Click the button and return the new tab showing Oura's (simulated) consent page."""
        with self.page.context.expect_page() as new_tab:
            self.frame.get_by_role("button", name=button, exact=True).click()
        consent = new_tab.value
        consent.wait_for_load_state()
        return consent

    def connect(self, expect: Any) -> Any:
        """Connect the simulated account through Oura's consent tab; returns the panel frame."""
        frame = self.open()
        consent = self.open_consent("Connect")
        self.approve(consent)
        consent.wait_for_url(re.compile(re.escape(self.callback_url) + r"\?"))
        consent.close()
        expect(frame.locator('[data-field="connection"]').first).to_have_text("Connected")
        return frame

    @staticmethod
    def approve(consent: Any, user_index: int = 0) -> None:
        """Pick a simulated Oura user (when asked) and approve the requested access."""
        chooser = consent.get_by_label("Oura account")
        if chooser.count():
            chooser.select_option(index=user_index)
        consent.get_by_role("button", name="Approve").click()


@pytest.fixture
def panel(page: Any, ingress: IngressProxy) -> Panel:
    return Panel(page, ingress)
