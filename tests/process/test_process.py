"""``python -m oura_addon`` as a process: it starts whatever the options say, explains
problems in the panel, answers only trusted clients, and stops cleanly on SIGTERM."""

from __future__ import annotations

import pytest
import requests

from tests.addon_process import AddonProcess, addon_environment, write_options

NOWHERE = "http://127.0.0.1:9"  # nothing listens: no remote is ever reached


def _addon(tmp_path, **env_overrides) -> AddonProcess:
    data_dir = tmp_path / "data"
    data_dir.mkdir(exist_ok=True)
    env = addon_environment(data_dir, NOWHERE, f"{NOWHERE}/api") | env_overrides
    return AddonProcess(data_dir=data_dir, log_path=tmp_path / "addon.log", env=env)


def test_starts_without_options_and_the_panel_explains(tmp_path):
    addon = _addon(tmp_path).start()
    try:
        page = requests.get(f"{addon.url}/", timeout=10)
        assert page.status_code == 200
        assert "No options file" in page.text
        status = requests.get(f"{addon.url}/api/status", timeout=10).json()
        assert any("No options file" in p for p in status["problems"])
    finally:
        assert addon.stop(grace=5) == 0
    assert addon.log_text.count("Configuration:") == 1


def test_malformed_options_are_one_log_line_and_a_panel_message(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "options.json").write_text('{"poll_interval": ')
    addon = _addon(tmp_path).start()
    try:
        page = requests.get(f"{addon.url}/", timeout=10)
        assert page.status_code == 200
        assert "not valid JSON" in page.text
    finally:
        assert addon.stop(grace=5) == 0
    lines = [line for line in addon.log_text.splitlines() if "Configuration:" in line]
    assert len(lines) == 1 and "not valid JSON" in lines[0]


def test_out_of_range_option_is_named_in_the_panel(tmp_path):
    write_options(tmp_path / "data", {"poll_interval": 0, "client_id": "x", "client_secret": "y"})
    addon = _addon(tmp_path).start()
    try:
        status = requests.get(f"{addon.url}/api/status", timeout=10).json()
        assert any("poll_interval" in p for p in status["problems"])
    finally:
        assert addon.stop(grace=5) == 0


def test_only_the_ingress_proxy_is_answered_by_default(tmp_path):
    addon = _addon(tmp_path, OURA_ADDON_TRUSTED_CLIENTS="172.30.32.2")
    addon.start()
    try:
        # Refused as soon as it connects: not a byte of the request is read or answered.
        for path in ("/", "/api/status", "/healthz"):
            with pytest.raises(requests.ConnectionError):
                requests.get(f"{addon.url}{path}", timeout=10)
    finally:
        assert addon.stop(grace=5) == 0
