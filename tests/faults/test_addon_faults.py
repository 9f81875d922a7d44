"""Bad input never crashes the add-on and loses nothing: Oura error pages, rate limits, a
membership 403, a corrupt token file, a forged callback, the token service down.

The add-on runs as a real process against the Oura simulator, with fault switches flipped
in between syncs; Home Assistant is absent, so the panel's status is what we read back.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from oura_addon.simulator import SimulatorServer
from tests.addon_process import (
    AddonProcess,
    PanelClient,
    running_addon,
    simulated_oura,
    wait_for,
)

pytestmark = pytest.mark.slow

CLIENT_ID, CLIENT_SECRET = "faults-client", "faults-secret-0c4e"


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatorServer]:
    with simulated_oura(CLIENT_ID, CLIENT_SECRET, users=2, days=10) as server:
        yield server


@pytest.fixture(scope="module")
def addon(simulator, tmp_path_factory) -> Iterator[AddonProcess]:
    options = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "poll_interval": 60}
    with running_addon(
        tmp_path_factory.mktemp("addon-faults"), simulator.url, "http://127.0.0.1:9/api", options
    ) as process:
        yield process


ACCOUNTS = (("oura", 1), ("bob", 2))


@pytest.fixture(scope="module")
def panel(addon) -> PanelClient:
    return PanelClient(addon.url)


@pytest.fixture(autouse=True)
def connected_accounts(simulator, addon, panel):
    """Every test starts with no fault armed and both accounts connected and synced, so no
    test depends on what an earlier one left behind."""
    simulator.simulator.faults.clear()
    for name, user in ACCOUNTS:
        account = next((a for a in panel.status()["accounts"] if a["name"] == name), None)
        if account is None or account["connection"] != "connected":
            assert "Connected" in panel.connect_with_auto_approve(name, user=user).text
        wait_for(lambda n=name: panel.account(n)["last_sync"], 60, what=f"{name}'s first sync")
    yield
    simulator.simulator.faults.clear()
    assert addon.process.poll() is None, f"the add-on died:\n{addon.log_text}"


def _sync(panel: PanelClient, name: str) -> dict:
    before = panel.account(name)["last_sync"]
    panel.sync(name)
    return wait_for(
        lambda: (a := panel.account(name))["last_sync"] != before and not a["syncing"] and a,
        60,
        what=f"a sync of {name}",
    )


def _state(account: dict, entity_id: str) -> str:
    return next(e["state"] for e in account["entities"] if e["entity_id"] == entity_id)


def test_an_oura_error_page_on_one_endpoint_keeps_its_last_values(panel, simulator):
    before = _state(panel.account("oura"), "sensor.oura_stress_high_time")
    simulator.simulator.faults.server_error(count=None, status=503, endpoint="daily_stress")
    account = _sync(panel, "oura")
    assert "daily_stress" in account["endpoint_errors"]
    assert _state(account, "sensor.oura_stress_high_time") == before
    assert _state(account, "sensor.oura_sleep_score") not in ("unknown", "")
    simulator.simulator.faults.clear()
    assert _sync(panel, "oura")["endpoint_errors"] == {}


def test_a_rate_limit_is_waited_out_and_the_sync_completes(panel, simulator):
    log = simulator.simulator.requests
    already = len(log.entries())
    simulator.simulator.faults.rate_limit(count=2, retry_after=1)
    account = _sync(panel, "oura")
    assert account["endpoint_errors"] == {}
    assert account["last_error"] is None
    answered = [e.status for e in log.entries()[already:] if e.path.startswith("/v2/")]
    assert answered.count(429) == 2, answered  # the limit really was hit, then waited out
    assert answered[-1] == 200


def test_a_membership_403_is_reported_for_that_data_only(panel, simulator):
    simulator.simulator.faults.forbid("daily_spo2")
    account = _sync(panel, "oura")
    assert "membership" in account["endpoint_errors"]["daily_spo2"]
    assert set(account["endpoint_errors"]) == {"daily_spo2"}
    assert account["connection"] == "connected"


def test_the_token_service_down_is_temporary_not_a_reconnect(panel, simulator):
    simulator.simulator.expire_access_tokens()
    simulator.simulator.faults.refuse_token_endpoint(count=None, status=503)
    panel.sync("oura")  # a failed sync leaves last_sync alone: wait for its error instead
    account = wait_for(
        lambda: (a := panel.account("oura"))["last_error"] and not a["syncing"] and a,
        60,
        what="the sync to report the token service",
    )
    assert account["connection"] == "connected"
    assert "try again" in account["last_error"].lower()
    simulator.simulator.faults.clear()
    account = _sync(panel, "oura")
    assert account["last_error"] is None and account["endpoint_errors"] == {}


def test_a_corrupt_token_file_asks_for_a_reconnect_and_others_keep_working(panel, addon):
    for path in (addon.accounts_dir / "bob.json", addon.accounts_dir / "bob.json.bak"):
        path.write_text("{ this is not json")
    bob = wait_for(
        lambda: (a := panel.account("bob")) and a["connection"] == "needs_reconnect" and a,
        10,
        what="bob to need reconnecting",
    )
    assert "reconnect" in (bob["auth_error"] or "").lower()
    assert _sync(panel, "oura")["last_error"] is None
    assert "Connected" in panel.connect_with_auto_approve("bob", user=2).text
    assert panel.account("bob")["connection"] == "connected"


def test_a_forged_callback_is_refused_and_stores_nothing(panel, addon):
    before = sorted(p.name for p in addon.accounts_dir.iterdir())
    response = requests.get(
        f"{addon.url}/oauth/callback", params={"code": "stolen", "state": "forged"}, timeout=10
    )
    assert response.status_code == 400
    assert "Connect" in response.text
    assert sorted(p.name for p in addon.accounts_dir.iterdir()) == before


def test_a_host_clock_far_from_oura_s_is_said_in_the_panel_and_the_log(panel, addon, simulator):
    # Oura's answers say it is three days later than this machine believes.
    simulator.simulator.faults.clock_skew(3 * 86400)
    _sync(panel, "oura")
    problems = panel.status()["problems"]
    clock = [p for p in problems if "clock reads" in p]
    assert len(clock) == 1, problems
    assert "sensors may turn unknown" in clock[0]
    assert "minutes behind Oura's" in addon.log_text
    german = requests.get(
        f"{addon.url}/api/status", headers={"Accept-Language": "de"}, timeout=10
    ).json()["problems"]
    assert any("Uhr dieses Rechners" in p for p in german), german

    simulator.simulator.faults.clear()
    _sync(panel, "oura")
    assert not [p for p in panel.status()["problems"] if "clock reads" in p]
    assert "agrees with Oura's again" in addon.log_text
