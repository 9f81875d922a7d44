"""Every simulator response validates against Oura's published OpenAPI schemas."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from oura_addon.oura.endpoints import Window
from oura_addon.simulator.data_routes import ROUTES
from tests.simulator.conftest import NOON, Served, load_shared_json

SPEC_URI = "urn:oura:openapi-1.37"
TODAY = NOON.date()
# Every usercollection route of the spec, also those the add-on does not read (tag).
ENDPOINTS = list(ROUTES.values())
LIST_ENDPOINTS = [e for e in ENDPOINTS if e.window is not Window.SINGLE]
SINGLE_ROUTES = [e for e in ENDPOINTS if e.window in (Window.DATE, Window.NONE)]
DATE_KEYS = {"day", "start_day", "end_day"}
MOMENT_KEYS = {
    "timestamp",
    "bedtime_start",
    "bedtime_end",
    "start_datetime",
    "end_datetime",
    "start_time",
    "end_time",
    "set_up_at",
}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return load_shared_json("oura/openapi-1.37.json")


def validator(spec: dict[str, Any], path: str) -> Draft202012Validator:
    """The 200 schema of ``path``; for lists, the typed branch (not the loose Dict one)."""
    schema = spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    branches = [s for s in schema.get("anyOf", [schema]) if not s["$ref"].endswith("Dict")]
    assert len(branches) == 1, branches
    registry = Registry().with_resource(
        SPEC_URI, Resource.from_contents(spec, default_specification=DRAFT202012)
    )
    return Draft202012Validator(
        {"$ref": SPEC_URI + branches[0]["$ref"]},
        registry=registry,
        format_checker=FormatChecker(),
    )


def assert_valid(check: Draft202012Validator, body: Any) -> None:
    errors = sorted(check.iter_errors(body), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
    assert_formats(body)


def assert_formats(value: Any) -> None:
    """The spec types dates and times as plain strings; hold them to Oura's real formats."""
    if isinstance(value, list):
        for item in value:
            assert_formats(item)
        return
    if not isinstance(value, dict):
        return
    for key, item in value.items():
        if key in DATE_KEYS and item is not None:
            assert date.fromisoformat(item).isoformat() == item, (key, item)
        elif key in MOMENT_KEYS and item is not None:
            assert datetime.fromisoformat(item).tzinfo is not None, (key, item)
        else:
            assert_formats(item)


def windows() -> list[dict[str, str]]:
    return [
        {"start_date": str(TODAY - timedelta(days=4)), "end_date": str(TODAY)},
        {"start_date": str(TODAY - timedelta(days=12)), "end_date": str(TODAY - timedelta(days=8))},
    ]


def series_windows() -> list[dict[str, str]]:
    now = NOON
    return [
        {"start_datetime": (now - timedelta(hours=30)).isoformat()},
        {
            "start_datetime": (now - timedelta(days=5)).isoformat(),
            "end_datetime": (now - timedelta(days=4)).isoformat(),
        },
    ]


def pages(served: Served, name: str, token: str, **params: str) -> list[dict[str, Any]]:
    """Every page of a listing, following next_token."""
    bodies = [served.get_json(name, token, **params)]
    while bodies[-1]["next_token"]:
        bodies.append(served.get_json(name, token, next_token=bodies[-1]["next_token"]))
    return bodies


def test_the_schema_check_rejects_a_document_missing_a_required_field(spec) -> None:
    body = {"data": [{"id": "x", "day": "2025-03-10", "contributors": {}}], "next_token": None}
    assert list(validator(spec, "/v2/usercollection/daily_sleep").iter_errors(body))


@pytest.mark.parametrize("endpoint", LIST_ENDPOINTS, ids=lambda e: e.name)
def test_every_page_of_every_list_endpoint_matches_the_spec_for_every_user(
    serve, spec, endpoint
) -> None:
    sparse = endpoint.name in (
        "workout",
        "session",
        "enhanced_tag",
        "tag",
        "vO2_max",
        "rest_mode_period",
        "ring_configuration",
    )
    served = serve(users=2, days=30, page_size=1 if sparse else 2, series_page_size=40)
    if endpoint.window is Window.DATE:
        cases = windows()
    elif endpoint.window is Window.DATETIME:
        cases = series_windows()
    else:
        cases = [{}]
    check = validator(spec, endpoint.path)
    paged = 0
    for user in (1, 2):
        token = served.tokens(user)["access_token"]
        for params in cases:
            bodies = pages(served, endpoint.name, token, **params)
            paged += len(bodies) > 1
            for body in bodies:
                assert_valid(check, body)
    if endpoint.name != "rest_mode_period":  # a rest mode period is rare by design
        assert paged, "expected at least one listing long enough to need a next_token"


def test_personal_info_matches_the_spec_for_every_user(serve, spec) -> None:
    served = serve(users=3)
    check = validator(spec, "/v2/usercollection/personal_info")
    emails = set()
    for user in (1, 2, 3):
        body = served.get_json("personal_info", served.tokens(user)["access_token"])
        assert_valid(check, body)
        emails.add(body["email"])
    assert emails == {"sleeper1@example.com", "sleeper2@example.com", "sleeper3@example.com"}


@pytest.mark.parametrize("endpoint", SINGLE_ROUTES, ids=lambda e: e.name)
def test_each_listed_document_is_served_alone_and_matches_the_spec(served, spec, endpoint) -> None:
    token = served.tokens()["access_token"]
    params = {} if endpoint.window is Window.NONE else {"start_date": "2025-02-01"}
    listed = served.get_json(endpoint.name, token, **params)["data"]
    if endpoint.name == "rest_mode_period" and not listed:
        pytest.skip("this seed has no rest mode period in the window")
    assert listed
    for document in (listed[0], listed[-1]):
        single = served.api(f"{endpoint.name}/{document['id']}", token)
        assert single.status_code == 200
        assert single.json() == document
        assert_valid(validator(spec, f"{endpoint.path}/{{document_id}}"), single.json())


def test_unknown_document_id_is_404_document_not_found_as_recorded(served) -> None:
    recorded = load_shared_json("oura/recorded/single_daily_sleep_non_existing.json")[0]
    token = served.tokens()["access_token"]
    response = served.api("daily_sleep/not-existing", token)
    assert response.status_code == recorded["status"] == 404
    assert response.json() == recorded["body"]


def test_start_after_end_is_the_recorded_422(served) -> None:
    recorded = load_shared_json("oura/recorded/multiple_tag_invalid_dates.json")[0]
    token = served.tokens()["access_token"]
    response = served.api(
        "daily_cardiovascular_age", token, start_date="2025-01-15", end_date="2024-01-16"
    )
    assert response.status_code == recorded["status"] == 422
    assert response.json() == recorded["body"]


def test_unreadable_date_is_a_422_validation_error_in_oura_shape(served, spec) -> None:
    token = served.tokens()["access_token"]
    response = served.api("daily_sleep", token, start_date="last-week")
    assert response.status_code == 422
    error_schema = {"$ref": SPEC_URI + "#/components/schemas/HTTPValidationError"}
    registry = Registry().with_resource(
        SPEC_URI, Resource.from_contents(spec, default_specification=DRAFT202012)
    )
    Draft202012Validator(error_schema, registry=registry).validate(response.json())
    (detail,) = response.json()["detail"]
    assert detail["loc"] == ["query", "start_date"]
    assert detail["input"] == "last-week"


def test_missing_scope_is_the_recorded_403_forbidden(served) -> None:
    recorded = load_shared_json("oura/recorded/get_webhook_subscription_forbidden.json")[0]
    token = served.tokens(scopes=["daily", "personal"])["access_token"]
    response = served.api("heartrate", token)
    assert response.status_code == recorded["status"] == 403
    assert response.json() == recorded["body"]


def test_every_usercollection_list_route_of_the_spec_answers(served, spec) -> None:
    token = served.tokens()["access_token"]
    routes = [p for p in spec["paths"] if "/usercollection/" in p and "{" not in p]
    assert len(routes) > 30
    for path in routes:
        response = served.http.get(
            f"{served.url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        assert response.status_code == 200, (path, response.status_code)
