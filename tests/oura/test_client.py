"""The data client over real HTTP against a scripted loopback server."""

from __future__ import annotations

import copy
import logging
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from oura_addon.oura.client import (
    AccessDenied,
    ApiUnavailable,
    BadResponse,
    InvalidRequest,
    NotFound,
    OuraClient,
    RateLimited,
    TokenUnavailable,
    Unauthorized,
    sync_query,
)
from oura_addon.oura.endpoints import ENDPOINTS, ENDPOINTS_BY_NAME
from oura_addon.oura.models import DailySleep, PersonalInfo, RestModePeriod
from oura_addon.oura.oauth import InvalidClient, InvalidGrant, OuraUnavailable
from tests.oura.conftest import FakeTokens, Reply, recorded

V2 = "/v2/usercollection"
DAY = date(2024, 11, 11)


def make_client(server, tokens, policy) -> OuraClient:
    return OuraClient(server.url, tokens, policy=policy)


def page(*documents, next_token=None) -> dict:
    return {"data": list(documents), "next_token": next_token}


def test_fetch_sends_the_bearer_token_and_parses_records(scripted, tokens, policy) -> None:
    scripted.script(f"{V2}/daily_sleep", Reply.recorded("multiple_daily_sleep"))
    records = make_client(scripted, tokens, policy).fetch("daily_sleep", DAY, DAY)
    assert [(r.day, r.score) for r in records] == [
        (date(2024, 11, 11), 77),
        (DAY + timedelta(1), 83),
    ]
    assert all(isinstance(r, DailySleep) for r in records)
    (seen,) = scripted.requests_to(f"{V2}/daily_sleep")
    assert seen.headers["Authorization"] == "Bearer token-1"
    assert seen.query == {"start_date": "2024-11-11", "end_date": "2024-11-11"}


def test_fetch_follows_next_token_pages(scripted, tokens, policy) -> None:
    first = copy.deepcopy(recorded("multiple_daily_cardiovascular_age")["body"])
    first["next_token"] = "token123"
    scripted.script(
        f"{V2}/daily_cardiovascular_age",
        Reply(200, first),
        Reply.recorded("multiple_daily_cardiovascular_age_with_token"),
    )
    records = make_client(scripted, tokens, policy).fetch("daily_cardiovascular_age", DAY, DAY)
    assert [r.vascular_age for r in records] == [39, 35, 32]
    pages = scripted.requests_to(f"{V2}/daily_cardiovascular_age")
    assert [s.query.get("next_token") for s in pages] == [None, "token123"]
    assert pages[1].query["start_date"] == "2024-11-11"


def test_a_repeating_page_token_ends_pagination(scripted, tokens, policy) -> None:
    scripted.script(f"{V2}/sleep", Reply(200, page({"day": "2024-11-11"}, next_token="same")))
    records = make_client(scripted, tokens, policy).fetch("sleep", DAY, DAY)
    assert len(records) == 2
    assert len(scripted.requests_to(f"{V2}/sleep")) == 2


def test_datetime_endpoints_get_iso_datetimes(scripted, tokens, policy) -> None:
    scripted.script(f"{V2}/heartrate", Reply.recorded("multiple_heart_rate"))
    start = datetime(2024, 12, 13, tzinfo=UTC)
    records = make_client(scripted, tokens, policy).fetch(
        "heartrate", start, start + timedelta(days=1)
    )
    assert len(records) == 1101
    (seen,) = scripted.requests_to(f"{V2}/heartrate")
    assert seen.query == {
        "start_datetime": "2024-12-13T00:00:00+00:00",
        "end_datetime": "2024-12-14T00:00:00+00:00",
    }


def test_personal_info_is_one_document(scripted, tokens, policy) -> None:
    scripted.script(f"{V2}/personal_info", Reply.recorded("single_personal_info"))
    person = make_client(scripted, tokens, policy).personal_info()
    assert isinstance(person, PersonalInfo)
    assert (person.age, person.email) == (42, "foo@bar.ai")


def test_malformed_documents_are_skipped_not_fatal(scripted, tokens, policy, caplog) -> None:
    scripted.script(
        f"{V2}/daily_sleep",
        Reply(200, page({"day": "2024-11-11", "score": 70}, "garbage", None, {"score": "x"})),
    )
    with caplog.at_level(logging.DEBUG, logger="oura_addon"):
        records = make_client(scripted, tokens, policy).fetch("daily_sleep", DAY, DAY)
    assert [r.score for r in records] == [70, None]
    assert "Skipping malformed daily_sleep document" in caplog.text


@pytest.mark.parametrize(
    ("recording", "error", "words"),
    [
        ("single_daily_sleep_non_existing", NotFound, "no daily_sleep document"),
        ("get_webhook_subscription_forbidden", AccessDenied, "membership expired"),
        ("multiple_daily_cardiovascular_age_invalid_range", InvalidRequest, "Start date must"),
        ("single_ring_configuration_malformed", InvalidRequest, "Invalid document ID format"),
    ],
)
def test_recorded_error_answers_map_to_typed_errors(
    scripted, tokens, policy, recording, error, words
) -> None:
    scripted.script(f"{V2}/daily_sleep", Reply.recorded(recording))
    with pytest.raises(error) as caught:
        make_client(scripted, tokens, policy).fetch("daily_sleep", DAY, DAY)
    assert words in caught.value.user_message
    assert caught.value.endpoint == "daily_sleep"


def test_forbidden_names_the_endpoint(scripted, tokens, policy) -> None:
    scripted.script(f"{V2}/daily_stress", Reply(403, {"detail": "Forbidden"}))
    with pytest.raises(AccessDenied) as caught:
        make_client(scripted, tokens, policy).fetch("daily_stress", DAY, DAY)
    assert caught.value.user_message == (
        "Oura refused daily_stress: membership expired or scope not granted."
    )


@pytest.mark.parametrize(
    "reply",
    [
        Reply(200, b"<html><body>Bad gateway</body></html>", {"Content-Type": "text/html"}),
        Reply(200, b"{not json", {"Content-Type": "application/json"}),
        Reply(200, ["a", "list"]),
        Reply(200, {"data": "not a list"}),
        Reply(302, b"", {"Location": "/elsewhere"}),
    ],
)
def test_unexpected_answers_are_bad_response(scripted, tokens, policy, reply) -> None:
    scripted.script(f"{V2}/daily_sleep", reply)
    scripted.script("/elsewhere", Reply(200, b"<html></html>", {"Content-Type": "text/html"}))
    with pytest.raises(BadResponse) as caught:
        make_client(scripted, tokens, policy).fetch("daily_sleep", DAY, DAY)
    assert "try again" in caught.value.user_message


def test_server_errors_are_retried_then_succeed(scripted, tokens, policy, sleeps) -> None:
    scripted.script(
        f"{V2}/daily_sleep",
        Reply(502, b"<html>bad gateway</html>", {"Content-Type": "text/html"}),
        Reply(503, {"detail": "unavailable"}),
        Reply.recorded("multiple_daily_sleep"),
    )
    records = make_client(scripted, tokens, policy).fetch("daily_sleep", DAY, DAY)
    assert len(records) == 2
    assert sleeps.waits == [1.0, 2.0]  # backoff, jitter pinned to its cap


def test_server_errors_persisting_are_api_unavailable(scripted, tokens, policy) -> None:
    scripted.script(f"{V2}/daily_sleep", Reply(500, {"detail": "boom"}))
    with pytest.raises(ApiUnavailable, match="HTTP 500"):
        make_client(scripted, tokens, policy).fetch("daily_sleep", DAY, DAY)
    assert len(scripted.requests_to(f"{V2}/daily_sleep")) == policy.attempts


def test_dropped_connection_is_retried(scripted, tokens, policy) -> None:
    scripted.script(f"{V2}/daily_sleep", Reply(drop=True), Reply.recorded("multiple_daily_sleep"))
    records = make_client(scripted, tokens, policy).fetch("daily_sleep", DAY, DAY)
    assert len(records) == 2


def test_rate_limit_waits_as_asked_then_succeeds(scripted, tokens, policy, sleeps) -> None:
    scripted.script(
        f"{V2}/daily_sleep",
        Reply(429, {"detail": "Too many"}, {"Retry-After": "17"}),
        Reply.recorded("multiple_daily_sleep"),
    )
    assert len(make_client(scripted, tokens, policy).fetch("daily_sleep", DAY, DAY)) == 2
    assert sleeps.waits == [17.0]


def test_rate_limit_beyond_patience_is_rate_limited(scripted, tokens, policy, sleeps) -> None:
    scripted.script(f"{V2}/daily_sleep", Reply(429, {}, {"Retry-After": "3600"}))
    with pytest.raises(RateLimited) as caught:
        make_client(scripted, tokens, policy).fetch("daily_sleep", DAY, DAY)
    assert caught.value.retry_after == 3600
    assert sleeps.waits == []


def test_401_refreshes_once_and_retries(scripted, tokens, policy) -> None:
    scripted.script(
        f"{V2}/daily_sleep",
        Reply(401, {"detail": "Unauthorized"}),
        Reply.recorded("multiple_daily_sleep"),
    )
    assert len(make_client(scripted, tokens, policy).fetch("daily_sleep", DAY, DAY)) == 2
    assert tokens.forced == 1
    sent = [s.headers["Authorization"] for s in scripted.requests_to(f"{V2}/daily_sleep")]
    assert sent == ["Bearer token-1", "Bearer token-2"]


def test_401_after_the_refresh_is_unauthorized(scripted, tokens, policy) -> None:
    scripted.script(f"{V2}/daily_sleep", Reply(401, {"detail": "Unauthorized"}))
    with pytest.raises(Unauthorized, match="Reconnect"):
        make_client(scripted, tokens, policy).fetch("daily_sleep", DAY, DAY)
    assert tokens.forced == 1
    assert len(scripted.requests_to(f"{V2}/daily_sleep")) == 2


def test_sync_requests_a_day_of_margin_and_keeps_only_the_window(scripted, tokens, policy) -> None:
    scripted.script(
        f"{V2}/daily_sleep",
        Reply(200, page({"day": "2024-11-10"}, {"day": "2024-11-11", "score": 1}, {"day": None})),
    )
    daily_sleep = ENDPOINTS_BY_NAME["daily_sleep"]
    result = make_client(scripted, tokens, policy).sync([daily_sleep], DAY, DAY)
    assert [r.score for r in result.records["daily_sleep"]] == [1, None]
    (seen,) = scripted.requests_to(f"{V2}/daily_sleep")
    assert seen.query == {"start_date": "2024-11-10", "end_date": "2024-11-12"}


def test_sync_keeps_periods_overlapping_the_window(scripted, tokens, policy) -> None:
    periods = [
        {"id": "ended-before", "start_day": "2024-11-01", "end_day": "2024-11-10"},
        {"id": "ongoing", "start_day": "2024-11-01", "end_day": None},
        {"id": "starts-after", "start_day": "2024-11-12", "end_day": None},
    ]
    scripted.script(f"{V2}/rest_mode_period", Reply(200, page(*periods)))
    endpoint = ENDPOINTS_BY_NAME["rest_mode_period"]
    result = make_client(scripted, tokens, policy).sync([endpoint], DAY, DAY)
    records: list[RestModePeriod] = result.records["rest_mode_period"]
    assert [r.id for r in records] == ["ongoing"]


def test_sync_keeps_tags_of_the_window_days_only(scripted, tokens, policy) -> None:
    tags = [
        {"id": "day-before", "start_day": "2024-11-10", "end_day": None},
        {"id": "today", "start_day": "2024-11-11", "end_day": None},
        {"id": "spans-today", "start_day": "2024-11-10", "end_day": "2024-11-12"},
    ]
    scripted.script(f"{V2}/enhanced_tag", Reply(200, page(*tags)))
    endpoint = ENDPOINTS_BY_NAME["enhanced_tag"]
    result = make_client(scripted, tokens, policy).sync([endpoint], DAY, DAY)
    assert [r.id for r in result.records["enhanced_tag"]] == ["today", "spans-today"]


def test_sync_queries_for_datetime_endpoints() -> None:
    heartrate = ENDPOINTS_BY_NAME["heartrate"]
    assert sync_query(heartrate, DAY, DAY) == {
        "start_datetime": "2024-11-11T00:00:00+00:00",
        "end_datetime": "2024-11-12T00:00:00+00:00",
    }
    helsinki = timezone(timedelta(hours=2))
    assert sync_query(heartrate, DAY, DAY, helsinki)["start_datetime"] == (
        "2024-11-11T00:00:00+02:00"
    )
    assert sync_query(ENDPOINTS_BY_NAME["ring_battery_level"], DAY, DAY) == {"latest": "true"}
    assert sync_query(ENDPOINTS_BY_NAME["ring_configuration"], DAY, DAY) == {}


def test_sync_isolates_a_failing_endpoint(scripted, tokens, policy) -> None:
    scripted.script(f"{V2}/daily_sleep", Reply.recorded("multiple_daily_sleep"))
    scripted.script(f"{V2}/daily_stress", Reply(403, {"detail": "Forbidden"}))
    scripted.script(f"{V2}/daily_spo2", Reply(500, {"detail": "boom"}))
    scripted.script(f"{V2}/daily_readiness", Reply.recorded("multiple_daily_readiness"))
    names = ("daily_sleep", "daily_stress", "daily_spo2", "daily_readiness")
    result = make_client(scripted, tokens, policy).sync(
        [ENDPOINTS_BY_NAME[n] for n in names], DAY, DAY
    )
    assert set(result.records) == {"daily_sleep", "daily_readiness"}
    assert len(result.records["daily_readiness"]) == 1
    assert isinstance(result.errors["daily_stress"], AccessDenied)
    assert isinstance(result.errors["daily_spo2"], ApiUnavailable)


def test_sync_skips_ungranted_scopes_without_calling_them(scripted, tokens, policy) -> None:
    for endpoint in ENDPOINTS:
        scripted.script(endpoint.path, Reply(200, page()))
    scripted.script(f"{V2}/personal_info", Reply.recorded("single_personal_info"))
    result = make_client(scripted, tokens, policy).sync(
        ENDPOINTS, DAY, DAY, granted=lambda scope: scope != "heartrate"
    )
    assert result.skipped == ("heartrate",)
    assert scripted.requests_to(f"{V2}/heartrate") == []
    assert len(scripted.seen) == len(ENDPOINTS) - 1


def test_sync_aborts_when_authorization_is_gone(scripted, tokens, policy) -> None:
    scripted.script(f"{V2}/daily_sleep", Reply(401, {"detail": "Unauthorized"}))
    endpoints = [ENDPOINTS_BY_NAME["daily_sleep"], ENDPOINTS_BY_NAME["daily_stress"]]
    with pytest.raises(Unauthorized):
        make_client(scripted, tokens, policy).sync(endpoints, DAY, DAY)
    assert scripted.requests_to(f"{V2}/daily_stress") == []


@pytest.mark.parametrize(
    ("refusal", "raised"),
    [
        (InvalidGrant(), Unauthorized),
        (InvalidClient(), TokenUnavailable),
        (OuraUnavailable(), TokenUnavailable),
    ],
)
def test_token_provider_failures_end_the_sync(scripted, policy, refusal, raised) -> None:
    endpoints = [ENDPOINTS_BY_NAME["daily_sleep"], ENDPOINTS_BY_NAME["daily_stress"]]
    tokens = FakeTokens(error=refusal)
    with pytest.raises(raised) as caught:
        make_client(scripted, tokens, policy).sync(endpoints, DAY, DAY)
    assert caught.value.user_message == refusal.user_message
    assert tokens.calls == 1
    assert scripted.seen == []
