"""``POST/DELETE /api/accounts/<name>/history`` and the ``history`` object of the status."""

from __future__ import annotations

import re
from datetime import date

from oura_addon.history_import.days import GROUPS
from oura_addon.history_import.job import (
    Chunk,
    cancelled,
    chunk_done,
    chunk_failed,
    from_json,
    new_job,
    to_json,
    with_first_day,
    with_message,
)
from oura_addon.i18n import Number, _l
from oura_addon.oura.errors import ApiUnavailable
from oura_addon.web.context import PASTE_REDIRECT_URI
from tests.web.conftest import Panel
from tests.web.fakes import AUTH_CODE, FakeServices, connect
from tests.web.test_api import authorize


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
        "not_granted": [],
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


def test_every_history_sentence_and_count_of_the_panel_reads_german(
    panel: Panel, services: FakeServices
) -> None:
    """Each state's sentence as the store gives it back from /data, the counts, the groups
    and the refusals, on a German panel: German words, German dates and numbers."""
    connect(services, "oura")
    german = {"Accept-Language": "de"}
    job = with_first_day(new_job(None, date(2025, 1, 29), GROUPS, "run"), date(2021, 1, 1))
    reason = ApiUnavailable("daily_sleep").user_message
    finished = job
    for group in GROUPS:  # every group's whole range in one chunk
        finished = chunk_done(finished, Chunk(group, date(2021, 1, 1), date(2025, 1, 29)))
    shown = {
        "Abgeschlossen. Importierte Tage: 1.490, 01.01.2021 bis 29.01.2025.": finished,
        "Abgebrochen.": cancelled(job),
        "Oura bat, 1.800 Sekunden zu warten; danach geht der Import weiter.": with_message(
            job,
            _l(
                "Oura asked to wait %(seconds)s seconds; the import goes on then.",
                seconds=Number(1800),
            ),
        ),
        "Neuer Versuch in Kürze.": chunk_failed(
            job, _l("%(reason)s Trying again shortly.", reason=reason), give_up_after=6
        ),
    }
    for sentence, state in shown.items():
        services.history.jobs["oura"] = from_json(to_json(state))  # as read from /data
        status = _history_in(panel, german)
        assert sentence in status["message"], status["message"]
        assert "again" not in status["message"] and "unavailable" not in status["message"]
        page = panel.get("/", headers=german).get_data(as_text=True)
        assert sentence in page  # the page as first served, before the script polls
    services.history.jobs["oura"] = from_json(to_json(finished))
    page = panel.get("/", headers=german).get_data(as_text=True)
    block = page[page.index("data-history") :]
    assert "1.490 / 1.490 Tage" in block
    assert "Schlaf" in block and "Verlauf" in page

    future = panel.post("/api/accounts/oura/history", json={"start": "2030-01-01"}, headers=german)
    assert future.get_json()["message"] == "Der Beginn muss 29.01.2025 oder früher sein."
    bad = panel.post("/api/accounts/oura/history", json={"start": "soon"}, headers=german)
    assert bad.get_json()["message"] == "Gib den Beginn als Datum an: JJJJ-MM-TT."
    services.history.jobs["oura"] = with_first_day(
        new_job(None, date(2025, 1, 29), GROUPS, "run"), date(2024, 1, 1)
    )
    busy = panel.post("/api/accounts/oura/history", headers=german)
    assert busy.get_json()["message"].startswith("Ein Import läuft")


def _history_in(panel: Panel, headers: dict) -> dict:
    accounts = panel.get("/api/status", headers=headers).get_json()["accounts"]
    return next(a for a in accounts if a["name"] == "oura")["history"]
