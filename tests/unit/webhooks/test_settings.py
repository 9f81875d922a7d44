"""The webhook option and port: https only, plain http only on loopback."""

from __future__ import annotations

import json

import pytest

from oura_addon.settings import load_settings


def settings_with(tmp_path, options, **env):
    (tmp_path / "options.json").write_text(json.dumps(options))
    return load_settings({"OURA_ADDON_DATA": str(tmp_path), **env})


@pytest.mark.parametrize(
    "url",
    [
        "https://oura.example.com/webhook",
        "http://127.0.0.1:8098/webhook",
        "http://localhost:8098/webhook",
    ],
)
def test_https_and_loopback_http_are_taken(tmp_path, url):
    settings = settings_with(tmp_path, {"webhook_url": url})
    assert settings.webhook_url == url
    assert not [p for p in settings.problems if "webhook" in p]


@pytest.mark.parametrize(
    "url", ["http://oura.example.com/webhook", "ftp://x/webhook", "oura.example.com", "https://"]
)
def test_anything_else_is_refused_with_a_sentence(tmp_path, url):
    settings = settings_with(tmp_path, {"webhook_url": url})
    assert settings.webhook_url is None
    assert any("webhook_url" in p for p in settings.problems)


def test_without_the_option_nothing_changes(tmp_path):
    settings = settings_with(tmp_path, {})
    assert settings.webhook_url is None
    assert settings.webhook_port == 8098


def test_the_port_comes_from_the_environment(tmp_path):
    assert settings_with(tmp_path, {}, OURA_WEBHOOK_PORT="9000").webhook_port == 9000
    bad = settings_with(tmp_path, {}, OURA_WEBHOOK_PORT="port")
    assert bad.webhook_port == 8098
    assert any("OURA_WEBHOOK_PORT" in p for p in bad.problems)
