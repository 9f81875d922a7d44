"""The simulator's control routes make moments happen: a workout, session or tag at a chosen
moment, and last night published at once."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.simulator.conftest import HELSINKI, NOON, Served, load_shared_json
from tests.simulator.test_schema import assert_valid, validator

TODAY = NOON.date()
WINDOW = {"start_date": str(TODAY - timedelta(days=1)), "end_date": str(TODAY)}


def control(served: Served, path: str, body: object) -> tuple[int, object]:
    response = served.http.post(f"{served.url}/_sim/{path}", json=body, timeout=10)
    return response.status_code, response.json()


def ids(served: Served, name: str, token: str) -> list[str]:
    return [d["id"] for d in served.get_json(name, token, **WINDOW)["data"]]


@pytest.mark.parametrize("kind", ["workout", "session", "enhanced_tag"])
def test_a_moment_added_now_is_served_once_as_oura_would(serve, kind):
    served = serve(users=2)
    token = served.tokens()["access_token"]
    before = ids(served, kind, token)
    status, document = control(served, "moments", {"kind": kind, "user": 1})
    assert status == 201, document
    after = ids(served, kind, token)
    assert after == [*before, document["id"]]
    other_user = served.tokens(user=2)["access_token"]
    assert document["id"] not in ids(served, kind, other_user)
    spec = load_shared_json("oura/openapi-1.37.json")
    body = served.get_json(kind, token, **WINDOW)
    assert_valid(validator(spec, f"/v2/usercollection/{kind}"), body)


def test_a_moment_in_the_future_appears_when_its_moment_has_come(served):
    token = served.tokens()["access_token"]
    at = (NOON + timedelta(minutes=45)).isoformat()
    status, document = control(
        served, "moments", {"kind": "workout", "at": at, "fields": {"activity": "cycling"}}
    )
    assert status == 201
    assert document["activity"] == "cycling"
    assert datetime.fromisoformat(document["end_datetime"]) == NOON + timedelta(minutes=45)
    assert document["id"] not in ids(served, "workout", token)
    served.clock.advance(46 * 60)
    assert document["id"] in ids(served, "workout", token)


def test_bad_moments_are_refused_with_a_reason(served):
    assert control(served, "moments", {"kind": "nap"})[0] == 400
    assert control(served, "moments", {"kind": "workout", "user": 9})[0] == 400
    assert control(served, "night", {"user": 9})[0] == 400
    status, body = control(served, "moments", {"kind": "workout", "fields": {"colour": "red"}})
    assert status == 400 and "colour" in body["detail"]
    assert control(served, "moments", ["workout"])[0] == 400


def test_publishing_the_night_makes_last_nights_documents_appear_at_once(serve):
    from tests.simulator.conftest import FakeClock

    early = datetime(2025, 3, 10, 3, 0, tzinfo=HELSINKI)  # asleep: the night is not over
    served = serve(clock=FakeClock(early), users=2)
    token = served.tokens()["access_token"]
    today = {"start_date": str(early.date()), "end_date": str(early.date())}
    assert served.get_json("daily_sleep", token, **today)["data"] == []
    assert served.get_json("daily_readiness", token, **today)["data"] == []
    status, answer = control(served, "night", {"user": 1})
    assert status == 200 and answer["day"] == str(early.date())
    assert [d["day"] for d in served.get_json("daily_sleep", token, **today)["data"]] == [
        str(early.date())
    ]
    assert served.get_json("daily_readiness", token, **today)["data"]
    nights = served.get_json(
        "sleep",
        token,
        start_date=str(early.date() - timedelta(days=1)),
        end_date=str(early.date() + timedelta(days=1)),
    )["data"]
    assert [n["type"] for n in nights if n["day"] == str(early.date())] == ["long_sleep"]
    other = served.tokens(user=2)["access_token"]
    assert served.get_json("daily_sleep", other, **today)["data"] == []
