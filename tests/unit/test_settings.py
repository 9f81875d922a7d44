import json

from oura_addon.settings import load_settings


def _env(tmp_path, **extra):
    return {"OURA_ADDON_DATA": str(tmp_path), **extra}


def test_defaults_point_at_the_supervisor_and_oura(tmp_path):
    (tmp_path / "options.json").write_text("{}")
    settings = load_settings(_env(tmp_path))
    assert settings.ha_api_url == "http://supervisor/core/api"
    assert settings.ha_ws_url == "ws://supervisor/core/websocket"
    assert settings.oura_api_url == "https://api.ouraring.com"
    assert settings.oura_auth_url == "https://cloud.ouraring.com"
    assert settings.trusted_clients == ("172.30.32.2",)
    assert (settings.host, settings.port) == ("0.0.0.0", 8099)
    assert settings.poll_interval_minutes == 10
    assert settings.history_days == 90
    assert settings.problems == ()


def test_environment_overrides_every_address(tmp_path):
    settings = load_settings(
        _env(
            tmp_path,
            OURA_ADDON_HOST="127.0.0.1",
            OURA_ADDON_PORT="18099",
            OURA_ADDON_TRUSTED_CLIENTS="127.0.0.1, 172.30.32.2",
            SUPERVISOR_URL="http://127.0.0.1:1",
            SUPERVISOR_TOKEN="tok",
            OURA_API_URL="http://127.0.0.1:2/",
            OURA_AUTH_URL="http://127.0.0.1:3",
            HA_WS_URL="ws://127.0.0.1:4/api/websocket",
        )
    )
    assert settings.port == 18099
    assert settings.trusted_clients == ("127.0.0.1", "172.30.32.2")
    assert settings.ha_api_url == "http://127.0.0.1:1/core/api"
    assert settings.oura_api_url == "http://127.0.0.1:2"
    assert settings.oura_token_url == "http://127.0.0.1:2/oauth/token"
    # A non-default API moves the fallback token URL too: tests never reach Oura's hosts.
    assert settings.oura_fallback_token_url.startswith("http://127.0.0.1:2/")
    assert settings.ha_ws_url == "ws://127.0.0.1:4/api/websocket"


def test_ha_api_url_can_be_set_directly(tmp_path):
    settings = load_settings(_env(tmp_path, HA_API_URL="http://127.0.0.1:8123/api"))
    assert settings.ha_api_url == "http://127.0.0.1:8123/api"


def test_options_are_read_from_the_data_dir(tmp_path):
    (tmp_path / "options.json").write_text(
        json.dumps(
            {
                "client_id": " abc ",
                "client_secret": "s3cret-value",
                "poll_interval": 5,
                "history_days": 30,
                "log_level": "debug",
            }
        )
    )
    settings = load_settings(_env(tmp_path))
    assert settings.client_id == "abc"
    assert settings.client_secret == "s3cret-value"
    assert settings.poll_interval_minutes == 5
    assert settings.history_days == 30
    assert settings.log_level == "debug"
    assert "s3cret-value" not in repr(settings)


def test_missing_options_file_is_one_clear_problem_not_a_crash(tmp_path):
    settings = load_settings(_env(tmp_path))
    assert len(settings.problems) == 1
    assert "No options file" in settings.problems[0]


def test_malformed_options_file_is_reported_and_defaults_used(tmp_path):
    (tmp_path / "options.json").write_text("{not json")
    settings = load_settings(_env(tmp_path))
    assert settings.poll_interval_minutes == 10
    assert any("not valid JSON" in p for p in settings.problems)


def test_out_of_range_and_wrong_type_options_fall_back_with_a_message(tmp_path):
    (tmp_path / "options.json").write_text(
        json.dumps({"poll_interval": 0, "history_days": "lots", "log_level": "loud"})
    )
    settings = load_settings(_env(tmp_path))
    assert settings.poll_interval_minutes == 10
    assert settings.history_days == 90
    assert settings.log_level == "info"
    text = " ".join(settings.problems)
    assert "poll_interval" in text and "history_days" in text and "log_level" in text


def test_bad_port_and_url_are_reported(tmp_path):
    settings = load_settings(_env(tmp_path, OURA_ADDON_PORT="http", OURA_API_URL="ftp://x"))
    assert settings.port == 8099
    assert settings.oura_api_url == "https://api.ouraring.com"
    assert any("OURA_ADDON_PORT" in p for p in settings.problems)
    assert any("OURA_API_URL" in p for p in settings.problems)
