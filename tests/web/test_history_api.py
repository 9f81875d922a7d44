"""``POST/DELETE /api/accounts/<name>/history`` and the ``history`` object of the status."""

from __future__ import annotations

import re
from datetime import date

from oura_addon.web.context import PASTE_REDIRECT_URI

from .conftest import Panel
from .fakes import AUTH_CODE, FakeServices, connect
from .test_api import authorize


def _history(panel: Panel, name: str = "oura") -> dict:
    accounts = panel.get("/api/status").get_json()["accounts"]
    return next(a for a in accounts if a["name"] == name)["history"]


def test_an_account_is_idle_until_an_import_starts(panel: Panel, services: FakeServices) -> None:
    connect(services, "oura")
    assert _history(panel) == {
        "state": "idle",
        "start": None,
        "end": None,
        "days_done": 0,
        "days_total": 0,
        "message": "",
        "groups": {},
    }


def test_post_starts_an_import_from_the_given_day_and_the_status_shows_it(
    panel: Panel, services: FakeServices
) -> None:
    connect(services, "oura")
    response = panel.post("/api/accounts/oura/history", json={"start": "2024-06-01"})
    assert response.status_code == 202
    assert response.get_json()["state"] == "running"
    assert services.history.calls == [("start", ("oura", date(2024, 6, 1)))]
    history = _history(panel)
    assert history["state"] == "running"
    assert history["days_total"] > 0 and set(history["groups"]) == {"sleep", "activity"}


def test_post_without_a_body_imports_from_the_first_day(panel: Panel, services: FakeServices):
    connect(services, "oura")
    assert panel.post("/api/accounts/oura/history").status_code == 202
    assert services.history.calls == [("start", ("oura", None))]


def test_a_second_post_while_running_is_a_conflict(panel: Panel, services: FakeServices):
    connect(services, "oura")
    panel.post("/api/accounts/oura/history")
    response = panel.post("/api/accounts/oura/history")
    assert response.status_code == 409
    assert response.get_json()["error"] == "history_running"


def test_delete_cancels(panel: Panel, services: FakeServices) -> None:
    connect(services, "oura")
    panel.post("/api/accounts/oura/history")
    response = panel.delete("/api/accounts/oura/history")
    assert response.status_code == 200
    assert response.get_json()["state"] == "cancelled"
    assert _history(panel)["state"] == "cancelled"


def test_bad_starts_unknown_accounts_and_unconnected_ones_are_refused(
    panel: Panel, services: FakeServices
) -> None:
    connect(services, "oura")
    for body in ({"start": "yesterday"}, {"start": "2024-13-01"}, {"start": 20240101}):
        response = panel.post("/api/accounts/oura/history", json=body)
        assert response.status_code == 400, body
        assert response.get_json()["error"] == "bad_start"
    future = panel.post("/api/accounts/oura/history", json={"start": "2030-01-01"})
    assert future.status_code == 400 and "or earlier" in future.get_json()["message"]
    assert panel.post("/api/accounts/nobody/history").status_code == 404
    assert panel.delete("/api/accounts/nobody/history").status_code == 404
    services.accounts.create("fresh")
    assert panel.post("/api/accounts/fresh/history").status_code == 409
    assert services.history.calls == []


def test_state_changing_history_calls_need_the_csrf_token(panel: Panel, services: FakeServices):
    connect(services, "oura")
    assert panel.post("/api/accounts/oura/history", csrf=False).status_code in (400, 403)
    assert panel.delete("/api/accounts/oura/history", csrf=False).status_code in (400, 403)
    assert services.history.calls == []


def test_the_first_connection_imports_history_days_and_removal_forgets_the_import(
    panel: Panel, services: FakeServices
) -> None:
    state = authorize(panel)
    url = f"{PASTE_REDIRECT_URI}?code={AUTH_CODE}&state={state}"
    pasted = panel.post("/api/accounts/oura/paste", json={"url": url})
    assert pasted.status_code == 200
    assert services.history.calls == [("first_connection", ("oura", 90))]
    assert panel.delete("/api/accounts/oura").status_code == 200
    assert services.history.calls[-1] == ("forget", "oura")


def test_the_page_shows_the_import_button_and_a_running_imports_progress_per_group(
    panel: Panel, services: FakeServices
) -> None:
    connect(services, "oura")
    idle = panel.get("/").get_data(as_text=True)
    assert "Import history" in idle and 'name="start"' in idle
    assert re.search(r'<div class="history-total"\s+hidden', idle)
    panel.post("/api/accounts/oura/history", json={"start": "2024-06-01"})
    running = panel.get("/").get_data(as_text=True)
    total = services.history.status("oura")["days_total"]
    assert f'max="{total}" value="0"' in running
    assert f"0 / {total} days" in running
    for label in ("Sleep", "Activity", "Heart health"):
        assert f"<span>{label}</span>" in running
    assert re.search(r"data-history-start\s+disabled", running)
    assert not re.search(r'data-history-cancel data-account="oura"\s+hidden', running)


def test_an_unconnected_account_has_no_import_button(panel: Panel, services: FakeServices):
    services.accounts.create("fresh")
    assert "Import history" not in panel.get("/").get_data(as_text=True)
