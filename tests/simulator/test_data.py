"""Windows, paging, time of day and realism of the simulated data."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from itertools import pairwise

import pytest

from oura_addon.oura import models
from oura_addon.oura.endpoints import ENDPOINTS, Window
from tests.simulator.conftest import NOON, FakeClock, Served

TODAY = NOON.date()
DAY = timedelta(days=1)


def days_of(documents: list[dict], key: str = "day") -> list[str]:
    return sorted({d[key] for d in documents})


def all_pages(served: Served, name: str, token: str, **params) -> list[dict]:
    body = served.get_json(name, token, **params)
    data = list(body["data"])
    while body["next_token"]:
        body = served.get_json(name, token, next_token=body["next_token"])
        data.extend(body["data"])
    return data


@pytest.fixture
def token(served) -> str:
    return served.tokens()["access_token"]


def test_daily_sleep_with_start_equal_to_end_returns_exactly_that_day(served, token) -> None:
    day = str(TODAY - 5 * DAY)
    data = served.get_json("daily_sleep", token, start_date=day, end_date=day)["data"]
    assert days_of(data) == [day]


def test_daily_endpoints_include_both_ends_of_the_window(served, token) -> None:
    start, end = TODAY - 6 * DAY, TODAY - 2 * DAY
    expected = [str(start + i * DAY) for i in range(5)]
    for name in ("daily_sleep", "daily_readiness", "daily_activity", "daily_spo2", "sleep_time"):
        data = served.get_json(name, token, start_date=str(start), end_date=str(end))["data"]
        assert days_of(data) == expected, name


def test_sleep_returns_the_days_strictly_inside_the_window_as_recorded(served, token) -> None:
    start, end = TODAY - 10 * DAY, TODAY - 2 * DAY
    data = served.get_json("sleep", token, start_date=str(start), end_date=str(end))["data"]
    assert days_of(data) == [str(start + i * DAY) for i in range(1, 8)]


def test_without_a_window_daily_endpoints_return_yesterday_and_today(served, token) -> None:
    data = served.get_json("daily_sleep", token)["data"]
    assert days_of(data) == [str(TODAY - DAY), str(TODAY)]


def test_every_night_has_exactly_one_long_sleep_and_naps_come_now_and_then(served, token) -> None:
    data = all_pages(served, "sleep", token, start_date="2025-01-01", end_date=str(TODAY + DAY))
    long_sleeps = Counter(d["day"] for d in data if d["type"] == "long_sleep")
    expected = {str(TODAY - i * DAY) for i in range(30)}
    assert set(long_sleeps) == expected
    assert set(long_sleeps.values()) == {1}
    assert {d["type"] for d in data} - {"long_sleep"} <= {"late_nap", "rest"}
    assert any(d["type"] != "long_sleep" for d in data)
    for day in expected:  # periods number the day's sleeps in time order
        periods = sorted((d["bedtime_start"], d["period"]) for d in data if d["day"] == day)
        assert [p for _, p in periods] == list(range(len(periods)))


def test_long_sleeps_look_like_real_nights(served, token) -> None:
    data = served.get_json("sleep", token, start_date="2025-01-01", end_date=str(TODAY + DAY))
    for night in (d for d in data["data"] if d["type"] == "long_sleep"):
        start = datetime.fromisoformat(night["bedtime_start"])
        end = datetime.fromisoformat(night["bedtime_end"])
        assert start.utcoffset() == timedelta(hours=2)  # Helsinki in winter
        assert end.date().isoformat() == night["day"]
        assert 4.5 * 3600 <= night["time_in_bed"] <= 10.5 * 3600
        assert night["time_in_bed"] == (end - start).total_seconds()
        assert night["total_sleep_duration"] == (
            night["deep_sleep_duration"]
            + night["rem_sleep_duration"]
            + night["light_sleep_duration"]
        )
        assert 35 <= night["lowest_heart_rate"] <= night["average_heart_rate"] <= 80
        assert 5 <= night["average_hrv"] <= 150
        assert 40 <= night["readiness"]["score"] <= 100


def test_scores_stay_between_40_and_100(served, token) -> None:
    window = {"start_date": str(TODAY - 29 * DAY), "end_date": str(TODAY)}
    for name in ("daily_sleep", "daily_readiness", "daily_activity"):
        scores = [d["score"] for d in served.get_json(name, token, **window)["data"]]
        assert len(scores) == 30
        assert all(40 <= s <= 100 for s in scores), (name, scores)
        assert len(set(scores)) > 5, "scores should vary from day to day"


def test_data_covers_the_configured_days_and_nothing_older(serve) -> None:
    served = serve(days=7)
    token = served.tokens()["access_token"]
    data = served.get_json("daily_sleep", token, start_date="2020-01-01", end_date=str(TODAY))
    assert days_of(data["data"]) == [str(TODAY - i * DAY) for i in range(6, -1, -1)]


def minutes_since_four(moment: datetime) -> int:
    four = datetime.combine(moment.date(), datetime.min.time(), moment.tzinfo) + timedelta(hours=4)
    return int((moment - four).total_seconds() // 60)


def test_today_is_partial_at_noon_up_to_the_phones_last_sync(served, token) -> None:
    today = str(TODAY)
    synced = served.simulator.context(1).synced_until
    assert NOON - timedelta(hours=1) <= synced <= NOON  # background syncs at most an hour apart
    activity = served.get_json("daily_activity", token, start_date=today, end_date=today)
    (document,) = activity["data"]
    # MET samples from 04:00 to the last sync; the rest of the day is not at Oura yet.
    assert len(document["met"]["items"]) == minutes_since_four(synced) < 480
    rows = served.get_json("heartrate", token, start_datetime=str(TODAY))["data"]
    newest = datetime.fromisoformat(rows[-1]["timestamp"])
    assert synced - timedelta(minutes=5) <= newest <= synced
    assert served.get_json("daily_sleep", token, start_date=today, end_date=today)["data"]


def test_evening_brings_more_of_today(served, token) -> None:
    today = str(TODAY)
    steps_at_noon = served.get_json("daily_activity", token, start_date=today)["data"][-1]
    served.clock.advance(8 * 3600)
    steps_at_eight = served.get_json("daily_activity", token, start_date=today)["data"][-1]
    assert steps_at_eight["steps"] > steps_at_noon["steps"]
    synced = served.simulator.context(1).synced_until
    assert len(steps_at_eight["met"]["items"]) == minutes_since_four(synced) > 480


def test_last_nights_documents_appear_at_the_morning_sync(serve) -> None:
    clock = FakeClock()
    served = serve(today=TODAY, clock=clock, start_time=time(3, 0), wake_times=("07:00",))
    token = served.tokens()["access_token"]
    plan = served.simulator.context(1).plan(TODAY)
    sync = plan.morning_sync
    assert plan.night.end < sync <= plan.night.end + timedelta(hours=2, minutes=30)
    assert abs(plan.night.end - datetime.combine(TODAY, time(7), sync.tzinfo)) < timedelta(hours=2)

    def nights() -> dict[str, list]:
        return {
            name: served.get_json(name, token, start_date=str(TODAY), end_date=str(TODAY))["data"]
            for name in ("daily_sleep", "daily_readiness", "daily_spo2")
        }

    clock.advance((sync - served.simulator.now()).total_seconds() - 1)
    assert not any(nights().values())  # a second before the sync: awake, nothing at Oura
    clock.advance(1)
    assert all(nights().values())


def test_the_clock_can_run_faster(serve) -> None:
    clock = FakeClock()
    served = serve(today=TODAY, clock=clock, clock_speed=60)
    start = served.simulator.now()
    clock.advance(60)
    assert served.simulator.now() - start == timedelta(hours=1)


def test_a_pinned_today_starts_at_noon_local_time(serve) -> None:
    served = serve(today=date(2024, 11, 11), clock=FakeClock())
    assert served.simulator.now().isoformat() == "2024-11-11T12:00:00+02:00"
    token = served.tokens()["access_token"]
    rows = served.get_json("heartrate", token, latest="true")["data"]
    newest = datetime.fromisoformat(rows[-1]["timestamp"])
    assert newest.date() == date(2024, 11, 11) and newest <= served.simulator.now()


def steps_until_synced(served: Served, start: datetime, step: timedelta) -> int:
    """Rows every ``step`` from ``start`` (on the grid) to the phone's last sync."""
    return (served.simulator.context(1).synced_until - start) // step + 1


def test_heart_rate_comes_every_five_minutes_with_unix_milliseconds(served, token) -> None:
    start = NOON - timedelta(hours=30)
    rows = served.get_json("heartrate", token, start_datetime=start.isoformat())["data"]
    assert len(rows) == steps_until_synced(served, start, timedelta(minutes=5)) > 29 * 12
    stamps = [datetime.fromisoformat(r["timestamp"]) for r in rows]
    assert all(s.utcoffset() == timedelta(0) for s in stamps)
    assert all(b - a == timedelta(minutes=5) for a, b in pairwise(stamps))
    assert all(
        r["timestamp_unix"] == int(s.timestamp() * 1000) for r, s in zip(rows, stamps, strict=True)
    )
    assert {"sleep", "awake"} <= {r["source"] for r in rows}
    assert all(30 <= r["bpm"] <= 200 for r in rows)


def test_heart_rate_latest_returns_only_the_newest_row(served, token) -> None:
    rows = served.get_json("heartrate", token, latest="true")["data"]
    assert len(rows) == 1
    synced = served.simulator.context(1).synced_until
    newest = datetime.fromisoformat(rows[0]["timestamp"])
    assert synced - timedelta(minutes=5) < newest <= synced


def test_ring_battery_drains_and_charges_every_half_hour(served, token) -> None:
    start = NOON - timedelta(days=6)
    rows = all_pages(served, "ring_battery_level", token, start_datetime=start.isoformat())
    assert len(rows) == steps_until_synced(served, start, timedelta(minutes=30)) > 6 * 46
    assert all(0 <= r["level"] <= 100 for r in rows)
    assert any(r["in_charger"] for r in rows) and not all(r["in_charger"] for r in rows)


def test_pages_put_together_equal_the_whole_listing(serve) -> None:
    whole = serve(page_size=1000)
    paged = serve(page_size=4)
    params = {"start_date": str(TODAY - 20 * DAY), "end_date": str(TODAY)}
    for name in ("sleep", "daily_activity", "workout"):
        expected = whole.get_json(name, whole.tokens()["access_token"], **params)
        assert expected["next_token"] is None
        first = paged.get_json(name, paged.tokens()["access_token"], **params)
        assert len(first["data"]) == 4 and first["next_token"]
        assert (
            all_pages(paged, name, paged.tokens()["access_token"], **params) == (expected["data"])
        )


def test_a_garbled_next_token_is_a_400(served, token) -> None:
    response = served.api("daily_sleep", token, next_token="%%%not-ours")
    assert response.status_code == 400
    assert "next_token" in response.json()["detail"]


def test_a_digits_only_date_reads_as_unix_time_like_oura_does(served, token) -> None:
    body = served.get_json("workout", token, start_date="1", end_date="2")
    assert body == {"data": [], "next_token": None}


def test_users_have_different_data(serve) -> None:
    served = serve(users=2)
    one = served.get_json("daily_sleep", served.tokens(1)["access_token"], start_date="2025-02-01")
    two = served.get_json("daily_sleep", served.tokens(2)["access_token"], start_date="2025-02-01")
    assert [d["score"] for d in one["data"]] != [d["score"] for d in two["data"]]


def test_another_time_zone_shows_in_the_offsets(serve) -> None:
    served = serve(timezone="America/New_York")
    token = served.tokens()["access_token"]
    data = served.get_json("daily_sleep", token, start_date="2025-03-01", end_date="2025-03-05")
    assert all(d["timestamp"].endswith("T00:00:00-05:00") for d in data["data"])


def test_same_config_and_clock_give_byte_identical_documents(serve) -> None:
    first, second = serve(users=2, days=10), serve(users=2, days=10)
    params = {"start_date": str(TODAY - 9 * DAY), "end_date": str(TODAY)}
    for endpoint in ENDPOINTS:
        for user in (1, 2):
            extra = params if endpoint.window is Window.DATE else {}
            a = first.api(endpoint.name, first.tokens(user)["access_token"], **extra)
            b = second.api(endpoint.name, second.tokens(user)["access_token"], **extra)
            assert a.status_code == b.status_code == 200
            assert a.content == b.content, endpoint.name
    reseeded = serve(days=10, seed=2)
    c = reseeded.api("daily_sleep", reseeded.tokens()["access_token"], **params)
    assert c.content != first.api("daily_sleep", first.tokens()["access_token"], **params).content


def test_the_add_on_models_read_every_simulated_document(served, token) -> None:
    for endpoint in ENDPOINTS:
        body = served.get_json(endpoint.name, token)
        documents = [body] if endpoint.window is Window.SINGLE else body["data"]
        for document in documents:
            record = models.parse_record(endpoint.record, document)
            for field in ("id", "day", "timestamp", "bpm", "level"):
                if field in document and hasattr(record, field):
                    assert getattr(record, field) is not None, (endpoint.name, field)


def test_an_unknown_endpoint_is_a_json_404(served, token) -> None:
    response = served.api("daily_mood", token)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


def test_a_datetime_whose_plus_arrived_as_a_space_still_reads(served, token) -> None:
    url = f"{served.url}/v2/usercollection/heartrate?start_datetime=2025-03-10T11:00:00+02:00"
    response = served.http.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert response.status_code == 200
    assert response.json()["data"][0]["timestamp"] == "2025-03-10T09:00:00+00:00"
