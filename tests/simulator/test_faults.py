"""Fault switches, seen by a real HTTP client against a simulator on loopback."""

from __future__ import annotations

import json

import pytest
import requests

from tests.simulator.conftest import REDIRECT_URI, Served


@pytest.fixture
def token(served) -> str:
    return served.tokens()["access_token"]


def refresh(served: Served, refresh_token: str) -> requests.Response:
    return served.token_request(
        grant_type="refresh_token",
        refresh_token=refresh_token,
        client_id="demo-client",
        client_secret="demo-secret",
    )


def test_rate_limit_answers_429_with_retry_after_then_recovers(served, token) -> None:
    served.simulator.faults.rate_limit(count=2, retry_after=7)
    for _ in range(2):
        limited = served.api("daily_sleep", token)
        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "7"
    assert served.api("daily_sleep", token).status_code == 200


def test_a_fault_aimed_at_one_endpoint_leaves_the_others_alone(served, token) -> None:
    served.simulator.faults.rate_limit(count=1, endpoint="heartrate")
    assert served.api("daily_sleep", token).status_code == 200
    assert served.api("heartrate", token).status_code == 429
    assert served.api("heartrate", token).status_code == 200


def test_server_error_answers_an_html_5xx_page_like_a_proxy(served, token) -> None:
    served.simulator.faults.server_error(count=1, status=502)
    failed = served.api("daily_readiness", token)
    assert failed.status_code == 502
    assert failed.headers["Content-Type"].startswith("text/html")
    with pytest.raises(ValueError):
        failed.json()
    assert served.api("daily_readiness", token).status_code == 200


def test_slow_delays_the_answer_past_a_client_timeout(served, token) -> None:
    served.simulator.faults.slow(seconds=1.0, count=1)
    with pytest.raises(requests.Timeout):
        served.http.get(
            f"{served.url}/v2/usercollection/daily_sleep",
            headers={"Authorization": f"Bearer {token}"},
            timeout=0.2,
        )
    assert served.api("daily_sleep", token).status_code == 200


def test_slow_uses_the_injected_sleep(serve) -> None:
    naps: list[float] = []
    served = serve(sleep=naps.append)
    served.simulator.faults.slow(seconds=4, count=2, endpoint="workout")
    token = served.tokens()["access_token"]
    for name in ("workout", "daily_sleep", "workout", "workout"):
        assert served.api(name, token).status_code == 200
    assert naps == [4.0, 4.0]


def test_drop_connection_gives_the_client_a_connection_error(served, token) -> None:
    served.simulator.faults.drop_connection(count=1)
    with pytest.raises(requests.ConnectionError):
        served.api("daily_sleep", token)
    assert served.api("daily_sleep", token).status_code == 200
    dropped = served.simulator.requests.matching("/v2/usercollection/daily_sleep")[0]
    assert dropped.status is None


def test_expired_tokens_are_refused_until_refreshed(served) -> None:
    tokens = served.tokens()
    served.simulator.faults.expire_tokens()
    assert served.api("daily_sleep", tokens["access_token"]).status_code == 401
    renewed = refresh(served, tokens["refresh_token"])
    assert renewed.status_code == 200
    assert served.api("daily_sleep", renewed.json()["access_token"]).status_code == 200


def test_revoke_refuses_data_and_refresh(served) -> None:
    tokens = served.tokens()
    served.simulator.faults.revoke(user=1)
    assert served.api("daily_sleep", tokens["access_token"]).status_code == 401
    refused = refresh(served, tokens["refresh_token"])
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"


def test_forbid_is_a_403_for_that_endpoint_only_until_cleared(served, token) -> None:
    served.simulator.faults.forbid("daily_stress")
    for _ in range(2):
        refused = served.api("daily_stress", token)
        assert refused.status_code == 403
        assert refused.json() == {"detail": "Forbidden"}
    assert served.api("daily_sleep", token).status_code == 200
    served.simulator.faults.clear()
    assert served.api("daily_stress", token).status_code == 200


def test_refuse_token_endpoint_fails_refreshes_then_recovers(served) -> None:
    tokens = served.tokens()
    served.simulator.faults.refuse_token_endpoint(count=1, status=503)
    assert refresh(served, tokens["refresh_token"]).status_code == 503
    # The refused attempt did not use the refresh token up.
    assert refresh(served, tokens["refresh_token"]).status_code == 200


def test_faults_can_be_armed_over_http_by_another_process(served, token) -> None:
    armed = served.http.post(
        f"{served.url}/_sim/faults",
        json=[
            {"fault": "rate_limit", "count": 1, "retry_after": 3, "endpoint": "sleep"},
            {"fault": "server_error", "count": 1, "status": 500, "endpoint": "workout"},
        ],
        timeout=10,
    )
    assert armed.status_code == 200
    assert len(armed.json()["faults"]) == 2
    assert served.api("sleep", token).status_code == 429
    assert served.api("workout", token).status_code == 500
    served.http.post(f"{served.url}/_sim/faults", json={"fault": "expire_tokens"}, timeout=10)
    assert served.api("sleep", token).status_code == 401


def test_a_malformed_fault_is_refused_with_a_message(served) -> None:
    answer = served.http.post(
        f"{served.url}/_sim/faults", json={"fault": "rate_limit", "count": -1}, timeout=10
    )
    assert answer.status_code == 400
    assert "count" in answer.json()["detail"]
    unknown = served.http.post(f"{served.url}/_sim/faults", json={"fault": "meteor"}, timeout=10)
    assert unknown.status_code == 400
    assert "meteor" in unknown.json()["detail"]
    assert served.simulator.faults.active() == []


def test_reset_clears_faults_and_the_request_log(served, token) -> None:
    served.simulator.faults.rate_limit(count=5)
    served.api("daily_sleep", token)
    assert served.http.post(f"{served.url}/_sim/reset", timeout=10).status_code == 200
    assert served.simulator.faults.active() == []
    assert served.simulator.requests.count() == 0
    assert served.api("daily_sleep", token).status_code == 200


def test_the_request_log_counts_requests_and_never_holds_secrets(served) -> None:
    served_tokens = served.http.get(
        f"{served.url}/oauth/authorize",
        params={
            "response_type": "code",
            "client_id": "demo-client",
            "redirect_uri": REDIRECT_URI,
            "state": "s",
        },
        timeout=10,
    )
    assert served_tokens.status_code == 200
    tokens = served.tokens(user=1)
    served.api("daily_sleep", tokens["access_token"], start_date="2025-03-01")
    served.api("heartrate", tokens["access_token"])
    refresh(served, tokens["refresh_token"])
    served.http.get(
        f"{served.url}/oauth/revoke", params={"access_token": tokens["access_token"]}, timeout=10
    )

    log = served.simulator.requests
    assert log.count("/v2/") == 2
    assert log.count("/oauth/", method="POST") == 1
    assert log.count("/oauth/", method="GET") == 2
    entry = log.matching("/v2/usercollection/daily_sleep")[0]
    assert (entry.method, entry.status, entry.user) == ("GET", 200, 1)
    assert entry.query == {"start_date": "2025-03-01"}

    over_http = served.http.get(f"{served.url}/_sim/requests", timeout=10).json()["requests"]
    assert len(over_http) == log.count()
    dumped = json.dumps(over_http)
    for secret in (tokens["access_token"], tokens["refresh_token"], "demo-secret"):
        assert secret not in dumped
    log.clear()
    assert log.count() == 0


def test_another_process_can_get_tokens_and_read_armed_faults_over_http(serve) -> None:
    served = serve(users=2)
    issued = served.http.post(
        f"{served.url}/_sim/tokens", json={"user": 2, "scopes": ["personal"]}, timeout=10
    )
    assert issued.status_code == 200
    assert issued.json()["scope"] == "extapi:personal"
    token = issued.json()["access_token"]
    assert served.get_json("personal_info", token)["email"] is None
    assert served.api("daily_sleep", token).status_code == 403

    served.simulator.faults.drop_connection(count=3, endpoint="heartrate")
    (armed,) = served.http.get(f"{served.url}/_sim/faults", timeout=10).json()["faults"]
    assert (armed["kind"], armed["remaining"], armed["endpoint"]) == (
        "drop_connection",
        3,
        "heartrate",
    )
    bad_user = served.http.post(f"{served.url}/_sim/tokens", json={"user": 9}, timeout=10)
    assert bad_user.status_code == 400
