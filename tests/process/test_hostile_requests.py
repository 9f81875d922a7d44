"""The real add-on process under hostile clients: strangers are refused as they connect,
idle connections close, and 20 MB bodies are refused without the memory to hold them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from oura_addon.web.server import CHANNEL_TIMEOUT, CLEANUP_INTERVAL
from tests.addon_process import AddonProcess, PanelClient
from tests.process.hostile import (
    PROXY,
    connect_from,
    hostile_addon,
    idle_connections,
    panel_latencies_ms,
    peak_rss_mb,
    refuse_big_bodies,
    refused_on_connect,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def addon(tmp_path_factory) -> Iterator[AddonProcess]:
    process = hostile_addon(tmp_path_factory.mktemp("hostile")).start()
    try:
        yield process
    finally:
        assert process.stop() == 0, process.log_text[-3000:]


def test_a_stranger_is_refused_as_soon_as_it_connects(addon: AddonProcess) -> None:
    assert refused_on_connect(addon.port)
    assert "Refused a connection from 127.0.0.2" in addon.log_text


def test_the_proxy_is_answered_while_150_idle_connections_are_open(addon: AddonProcess) -> None:
    with idle_connections(addon.port, 150) as opened:
        assert opened == 150
        latencies = panel_latencies_ms(addon.url, count=10)  # raises on any failure
    assert len(latencies) == 10
    assert requests.get(f"{addon.url}/healthz", timeout=10).text.strip() == "ok"


def test_an_idle_connection_of_the_proxy_is_closed_after_the_channel_timeout(
    addon: AddonProcess,
) -> None:
    wait = CHANNEL_TIMEOUT + 2 * CLEANUP_INTERVAL + 5
    with connect_from(PROXY, addon.port, timeout=wait) as sock:
        assert sock.recv(1) == b""  # closed by the server, not by our timeout


def test_twenty_megabyte_bodies_are_refused_while_memory_stays_flat(addon: AddonProcess) -> None:
    assert addon.process is not None
    token = PanelClient(addon.url).session.headers["X-CSRF-Token"]
    before = peak_rss_mb(addon.process.pid)
    answers = refuse_big_bodies(addon.port, str(token))
    after = peak_rss_mb(addon.process.pid)
    assert all(a.startswith("HTTP/1.1 413") or a == "closed" for a in answers), answers
    assert any(a.startswith("HTTP/1.1 413") for a in answers), answers
    # Six bodies of 20 MB went by: holding even one would raise the peak by 20 MB.
    assert after - before < 8, f"peak RSS {before:.1f} MB -> {after:.1f} MB"
    assert PanelClient(addon.url).status()["accounts"] == []
