"""A 429 backs off the whole sync: the endpoints after it are not asked."""

from __future__ import annotations

from datetime import date

from oura_addon.oura.client import OuraClient, RateLimited
from oura_addon.oura.endpoints import ENDPOINTS_BY_NAME
from tests.oura.conftest import Reply

V2 = "/v2/usercollection"
DAY = date(2024, 11, 11)


def test_after_a_rate_limit_the_remaining_endpoints_are_not_asked(scripted, tokens, policy, sleeps):
    scripted.script(f"{V2}/daily_sleep", Reply(200, {"data": [], "next_token": None}))
    scripted.script(f"{V2}/daily_readiness", Reply(429, {}, {"Retry-After": "3600"}))
    names = ("daily_sleep", "daily_readiness", "daily_activity", "heartrate")
    client = OuraClient(scripted.url, tokens, policy=policy)
    result = client.sync([ENDPOINTS_BY_NAME[n] for n in names], DAY, DAY)
    assert list(result.records) == ["daily_sleep"]
    assert set(result.errors) == {"daily_readiness", "daily_activity", "heartrate"}
    assert all(isinstance(e, RateLimited) for e in result.errors.values())
    assert result.errors["heartrate"].retry_after == 3600
    assert not scripted.requests_to(f"{V2}/daily_activity")
    assert not scripted.requests_to(f"{V2}/heartrate")
