"""The subscription planner: Oura's list and the wish in, the calls that make them agree out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from oura_addon.oura.webhooks import (
    Create,
    Delete,
    Renew,
    Update,
    plan,
    wanted_pairs,
)
from oura_addon.store.webhooks import Subscription

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)
URL = "https://oura.example.com/webhook"
OLD = "https://old.example.com/webhook"


def sub(id_: str, data_type: str, event: str, url: str = URL, days: float = 20) -> Subscription:
    expiry = (NOW + timedelta(days=days)).isoformat().replace("+00:00", "Z")
    return Subscription(id_, data_type, event, url, expiry)


WANT = wanted_pairs(["daily_activity", "heartrate"])


def test_heart_rate_is_not_pushed_and_each_type_has_create_and_update():
    assert {("daily_activity", "create"), ("daily_activity", "update")} == WANT
    assert ("vo2_max", "create") in wanted_pairs(["vO2_max"])


def test_nothing_there_creates_every_pair():
    assert set(plan(WANT, [], URL, set(), NOW)) == {
        Create("daily_activity", "create"),
        Create("daily_activity", "update"),
    }


def test_all_there_and_fresh_is_no_call():
    existing = [sub("a", "daily_activity", "create"), sub("b", "daily_activity", "update")]
    assert plan(WANT, existing, URL, {"a", "b"}, NOW) == []


def test_duplicates_after_a_crash_are_deleted_keeping_one():
    existing = [
        sub("a", "daily_activity", "create", days=20),
        sub("a2", "daily_activity", "create", days=29),
        sub("b", "daily_activity", "update"),
    ]
    actions = plan(WANT, existing, URL, {URL}, NOW)
    assert actions == [Delete("a")]


def test_expiring_soon_is_renewed_and_expired_is_replaced():
    existing = [
        sub("a", "daily_activity", "create", days=1),
        sub("b", "daily_activity", "update", days=-1),
    ]
    actions = plan(WANT, existing, URL, {URL}, NOW)
    assert Renew("a") in actions
    assert Delete("b") in actions and Create("daily_activity", "update") in actions


def test_a_new_address_updates_the_old_subscriptions():
    existing = [
        sub("a", "daily_activity", "create", OLD),
        sub("b", "daily_activity", "update", OLD),
    ]
    actions = plan(WANT, existing, URL, {OLD}, NOW)
    assert set(actions) == {
        Update("a", "daily_activity", "create"),
        Update("b", "daily_activity", "update"),
    }


def test_no_longer_wanted_is_deleted_and_others_apps_are_left_alone():
    existing = [
        sub("a", "daily_activity", "create"),
        sub("s", "sleep", "create"),
        sub("x", "sleep", "update", "https://someone-else.example.com/hook"),
    ]
    assert plan(frozenset(), existing, None, {URL}, NOW) == [Delete("a"), Delete("s")]
