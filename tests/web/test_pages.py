"""The panel's pages: set-up screens, account cards, the dashboard, and their forms."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from oura_addon.services import HomeAssistantState
from oura_addon.web import views
from tests.web.conftest import INGRESS, Panel
from tests.web.fakes import CLIENT_SECRET, SECRETS, FakeServices, connect

PanelFactory = Callable[..., tuple[FakeServices, Panel]]


def page(panel: Panel, path: str = "/") -> str:
    response = panel.get(path)
    assert response.status_code == 200
    return response.get_data(True)


def form_post(panel: Panel, path: str, **fields: str) -> str:
    """Submit a panel form like a browser: the field, the redirect, the page with its message."""
    data = {"csrf_token": panel.csrf_token(), **fields}
    response = panel.post(path, data=data, csrf=False)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(INGRESS + "/")
    return page(panel, response.headers["Location"][len(INGRESS) :])


# --- set-up -------------------------------------------------------------------------------


def test_without_credentials_the_panel_asks_for_them_and_never_prefills_the_secret(
    panel: Panel, services: FakeServices
) -> None:
    services.credentials.clear()
    html = page(panel)
    assert '<label for="client-id">Client ID</label>' in html
    assert '<label for="client-secret">Client secret</label>' in html
    secret_input = re.search(r'<input id="client-secret"[^>]*>', html).group(0)
    assert "value=" not in secret_input


def test_stored_credentials_show_the_client_id_but_never_the_secret(panel: Panel) -> None:
    html = page(panel)
    assert "fake-client-id" in html
    assert CLIENT_SECRET not in html
    assert "Leave empty to keep the stored secret" in html


def test_credentials_from_the_options_are_explained_instead_of_a_form(
    panel: Panel, services: FakeServices
) -> None:
    services.credentials.source = "options"
    html = page(panel)
    assert "come from the add-on options" in html
    assert "fake-client-id" in html
    assert 'id="client-secret"' not in html


def test_saving_credentials_through_the_form_never_echoes_the_secret(
    panel: Panel, services: FakeServices
) -> None:
    services.credentials.clear()
    html = form_post(panel, "/credentials", client_id="new-app", client_secret="Sup3r-S3cret-X")
    assert "Client credentials saved." in html
    assert services.credentials.get().client_secret == "Sup3r-S3cret-X"
    assert "Sup3r-S3cret-X" not in html
    failed = form_post(panel, "/credentials", client_id="", client_secret="Other-S3cret-Y")
    assert "Enter the Client ID" in failed
    assert "Other-S3cret-Y" not in failed


def test_the_redirect_uri_has_a_copy_button_and_the_paste_fallback(panel: Panel) -> None:
    html = page(panel)
    assert 'aria-label="Copy redirect URI"' in html
    # It wraps only after / ? & (a <wbr>), never inside a word.
    wrapping = "/<wbr>".join(f"{INGRESS}/oauth/callback".split("/"))
    assert f'<code id="redirect-uri" class="address">{wrapping}</code>' in html
    assert "Oura only accepts https redirect addresses" in html
    assert "http://localhost/oura-callback" in html
    # The paste form belongs to a sign-in in progress: on its account's card.
    assert ">Finish connecting</button>" not in html
    started = panel.post(
        "/api/accounts/oura/authorize", json={"redirect_uri": "http://localhost/oura-callback"}
    )
    assert started.status_code == 200
    html = page(panel)
    assert '<label for="paste-url-oura">Redirected URL</label>' in html
    assert "Finish connecting" in html


def test_with_no_account_the_panel_offers_to_connect_one_named_oura(panel: Panel) -> None:
    html = page(panel)
    assert '<label for="first-account-name">Account name</label>' in html
    assert re.search(r'<input id="first-account-name"[^>]*value="oura"', html)
    assert ">Connect</button>" in html
    assert "Latest numbers" not in html


def test_settings_problems_are_listed_for_the_user(panel_for: PanelFactory) -> None:
    _, panel = panel_for(problems=("Option poll_interval=0 is outside 1..1440.",))
    assert "Option poll_interval=0 is outside 1..1440." in page(panel)
    assert panel.get("/api/status").get_json()["problems"] == [
        "Option poll_interval=0 is outside 1..1440."
    ]


# --- dashboard ----------------------------------------------------------------------------


def test_one_connected_account_gets_the_full_dashboard(
    panel: Panel, services: FakeServices
) -> None:
    connect(services, "oura")
    html = page(panel)
    assert "Connected" in html and "oura@example.com" in html
    for label in (
        "Sleep score",
        "Readiness score",
        "Activity score",
        "HRV",
        "Resting heart rate",
        "Total sleep",
        "Steps",
    ):
        assert label in html
    # Durations as hours and minutes in the entity table too, like the tiles.
    assert "48 ms" in html and "10,234 steps" in html and "7 hr 24 min" in html
    assert "7.4 h" not in html
    assert "<code>sensor.oura_sleep_score</code>" in html
    assert "Oura Lowest heart rate" in html
    assert ">Sync now</button>" in html and ">Reconnect</button>" in html
    assert ">Disconnect</button>" in html and ">Yes, disconnect</button>" in html
    assert '<time datetime="2025-01-30T06:50:00+00:00">1/30/25, 6:50\u202fAM</time>' in html


def test_the_dashboard_draws_a_chart_for_every_trend_with_data(
    panel: Panel, services: FakeServices
) -> None:
    connect(services, "oura")
    html = page(panel)
    # sample_trend_days fills sleep, readiness and HRV; the other two trends have no data yet.
    charts = re.findall(r'<svg[^>]*role="img"', html)
    assert len(charts) == 3
    assert html.count('class="point') >= 3 * 25
    empty = re.findall(r'<figcaption>([^<]+)</figcaption>\s*<p class="muted">No data yet\.', html)
    assert empty == ["Activity score", "Resting heart rate"]


def test_without_the_chart_renderer_the_trends_show_as_tables(
    panel: Panel, services: FakeServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    connect(services, "oura")
    monkeypatch.setattr(views, "render_trend_chart", None)
    html = page(panel)
    assert "<svg" not in html
    assert "<td>Jan 1, 2025</td><td>70</td>" in html


def test_a_failing_chart_renderer_does_not_break_the_page(
    panel: Panel, services: FakeServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    connect(services, "oura")

    def broken(*args: object, **kwargs: object) -> str:
        raise ZeroDivisionError("bad axis")

    monkeypatch.setattr(views, "render_trend_chart", broken)
    html = page(panel)
    assert "<td>Jan 30, 2025</td>" in html


def test_a_connected_account_without_data_yet_says_so(panel: Panel, services: FakeServices) -> None:
    connect(services, "oura", with_data=False)
    html = page(panel)
    assert "No entities yet" in html
    assert "no data yet" in html


def test_three_accounts_get_overview_cards_and_their_own_pages(
    panel: Panel, services: FakeServices
) -> None:
    for name in ("oura", "partner", "kid"):
        connect(services, name)
    html = page(panel)
    assert html.count('class="card account"') == 3
    for name in ("oura", "partner", "kid"):
        assert f'href="{INGRESS}/accounts/{name}"' in html
    assert "Latest numbers" not in html
    # ... but each card shows the three scores at a glance
    for name in ("oura", "partner", "kid"):
        prefix = "oura" if name == "oura" else f"oura_{name}"
        assert f'data-entity="sensor.{prefix}_readiness_score" data-state="77">77<' in html
    detail = page(panel, "/accounts/partner")
    assert "Latest numbers" in detail
    assert "<code>sensor.oura_partner_steps</code>" in detail
    assert "sensor.oura_kid_steps" not in detail


def test_an_unknown_account_page_is_404(panel: Panel) -> None:
    response = panel.get("/accounts/ghost")
    assert response.status_code == 404
    assert "Back to the panel" in response.get_data(True)


def test_an_account_that_needs_reconnecting_says_why_and_offers_reconnect(
    panel: Panel, services: FakeServices
) -> None:
    connect(services, "oura")
    services.accounts.mark_auth_lost("oura", "Oura refused the stored authorization; reconnect.")
    html = page(panel)
    assert "Needs reconnecting" in html
    assert "Oura refused the stored authorization; reconnect." in html
    assert ">Reconnect</button>" in html


def test_the_last_error_and_endpoint_errors_are_shown_in_plain_words(
    panel: Panel, services: FakeServices
) -> None:
    connect(
        services,
        "oura",
        last_error="Oura's API is unavailable; the next sync will try again.",
        endpoint_errors={"daily_stress": "Oura refused <daily_stress>: scope not granted."},
    )
    html = page(panel)
    assert "Oura&#39;s API is unavailable; the next sync will try again." in html
    assert (
        "<code>daily_stress</code>: Oura refused &lt;daily_stress&gt;: scope not granted." in html
    )


def test_home_assistant_unreachable_is_explained(panel: Panel, services: FakeServices) -> None:
    services.sync.home_assistant = HomeAssistantState.UNREACHABLE
    services.sync.home_assistant_error = "connection refused"
    html = page(panel)
    assert "Home Assistant is unreachable at http://supervisor/core/api: connection refused" in html
    status = panel.get("/api/status").get_json()["home_assistant"]
    assert status["state"] == "unreachable"


def test_demo_mode_without_home_assistant_says_where_states_would_go(
    panel_for: PanelFactory,
) -> None:
    services, panel = panel_for(demo=True)
    services.sync.home_assistant = HomeAssistantState.NOT_CONFIGURED
    services.sync.home_assistant_url = "http://127.0.0.1:8123/api"
    html = page(panel)
    assert "Demo mode: no Home Assistant is connected, so the states are shown only" in html
    # One honest line: nothing claims the states are posted to Home Assistant.
    assert "posted to Home Assistant" not in html
    assert panel.get("/api/status").get_json()["demo"] is True


# --- forms --------------------------------------------------------------------------------


def test_adding_an_account_through_the_form(panel: Panel, services: FakeServices) -> None:
    html = form_post(panel, "/accounts", name="oura")
    assert "Account &#39;oura&#39; added" in html
    assert services.accounts.get("oura") is not None
    assert ">Connect</button>" in html
    bad = form_post(panel, "/accounts", name="Not OK")
    assert "1-32 lowercase letters" in bad
    assert len(services.accounts.list()) == 1


def test_sync_now_through_the_form(panel: Panel, services: FakeServices) -> None:
    connect(services, "oura")
    html = form_post(panel, "/accounts/oura/sync")
    assert "Syncing oura now." in html
    assert services.sync.calls == [("sync_now", "oura")]


def test_disconnect_through_the_confirmation_form(panel: Panel, services: FakeServices) -> None:
    connect(services, "oura")
    html = form_post(panel, "/accounts/oura/disconnect")
    assert "disconnected and its entities removed" in html
    assert services.accounts.get("oura") is None
    assert ("account_removed", ("oura", "oura")) in services.sync.calls


def test_no_page_ever_contains_a_token_code_or_secret(panel: Panel, services: FakeServices) -> None:
    connect(services, "oura")
    connect(services, "partner")
    for path in ("/", "/accounts/oura", "/accounts/partner", "/api/status"):
        body = panel.get(path).get_data(True)
        for secret in SECRETS:
            assert secret not in body, (path, secret)


def test_the_diagnostics_file_lists_the_same_problems_as_the_panel(
    panel_for: PanelFactory,
) -> None:
    _, panel = panel_for(problems=("Option poll_interval=0 is outside 1..1440.",))
    document = panel.get("/api/diagnostics").get_json()
    assert document["problems"] == ["Option poll_interval=0 is outside 1..1440."]
