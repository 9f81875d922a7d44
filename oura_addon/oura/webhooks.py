"""Oura's webhook subscriptions: which ones the add-on wants (a pure planner) and the routes
under ``/v2/webhook/subscription`` (app credentials in ``x-client-id`` / ``x-client-secret``).

Subscriptions belong to the app, not to an account: one per (data type, event type), each
event naming its user. Oura's own list is the truth; the planner turns "wanted" and "what
Oura has" into creations, renewals, updates and deletions, so a crash at any point is
repaired by planning again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests

from oura_addon.errors import AddonError
from oura_addon.http import RetryPolicy, new_session
from oura_addon.i18n import _l
from oura_addon.oura.tokens import AppCredentials
from oura_addon.store.webhooks import Subscription, parse_subscription

_LOGGER = logging.getLogger(__name__)

SUBSCRIPTION_PATH = "/v2/webhook/subscription"
EVENT_TYPES = ("create", "update")
# Endpoint -> Oura's webhook data type. Heart rate and ring battery are not pushed.
DATA_TYPE_OF: Mapping[str, str] = {
    "daily_sleep": "daily_sleep",
    "daily_readiness": "daily_readiness",
    "daily_activity": "daily_activity",
    "sleep": "sleep",
    "daily_spo2": "daily_spo2",
    "daily_stress": "daily_stress",
    "daily_resilience": "daily_resilience",
    "daily_cardiovascular_age": "daily_cardiovascular_age",
    "vO2_max": "vo2_max",
    "workout": "workout",
    "session": "session",
    "enhanced_tag": "enhanced_tag",
    "sleep_time": "sleep_time",
    "rest_mode_period": "rest_mode_period",
    "ring_configuration": "ring_configuration",
}
ENDPOINT_OF: Mapping[str, str] = {v: k for k, v in DATA_TYPE_OF.items()}
# Renewed this long before Oura's expiration_time.
RENEW_BEFORE = timedelta(days=3)

Pair = tuple[str, str]


class WebhookError(AddonError):
    """Oura refused or did not answer a subscription call."""

    def __init__(self, user_message: str, status: int | None = None) -> None:
        super().__init__(user_message)
        self.status = status


class SubscriptionGone(WebhookError):
    """Oura no longer has the subscription (403/404 on its id)."""


# -- the planner --------------------------------------------------------------------------


@dataclass(frozen=True)
class Create:
    data_type: str
    event_type: str


@dataclass(frozen=True)
class Renew:
    id: str


@dataclass(frozen=True)
class Update:
    """Point an existing subscription at the current callback address."""

    id: str
    data_type: str
    event_type: str


@dataclass(frozen=True)
class Delete:
    id: str


Action = Create | Renew | Update | Delete


def wanted_pairs(endpoints: Iterable[str]) -> frozenset[Pair]:
    """(data type, event type) for every pushed endpoint the accounts fetch."""
    return frozenset(
        (DATA_TYPE_OF[e], event) for e in endpoints if e in DATA_TYPE_OF for event in EVENT_TYPES
    )


def _expiry(subscription: Subscription) -> datetime | None:
    try:
        return datetime.fromisoformat(subscription.expiration_time.replace("Z", "+00:00"))
    except ValueError:
        return None


def plan(
    wanted: Collection[Pair],
    existing: Sequence[Subscription],
    callback_url: str | None,
    ours: Collection[str],
    now: datetime,
) -> list[Action]:
    """What to do so that Oura holds exactly one live subscription per wanted pair, at
    ``callback_url``, and none of ours beyond them. ``ours``: the callback addresses and
    subscription ids the add-on ever used (others' subscriptions of the app are left alone)."""
    mine = [
        s
        for s in existing
        if s.callback_url == callback_url or s.callback_url in ours or s.id in ours
    ]
    actions: list[Action] = []
    for pair in sorted({s.pair for s in mine} | set(wanted)):
        candidates = [s for s in mine if s.pair == pair]
        live = [s for s in candidates if (_expiry(s) or now) > now]
        keep = None
        if pair in wanted and callback_url is not None and live:
            # The one at the right address first, then the one that lives longest.
            keep = max(live, key=lambda s: (s.callback_url == callback_url, _expiry(s) or now))
        actions += [Delete(s.id) for s in candidates if s is not keep]
        if pair not in wanted or callback_url is None:
            continue
        if keep is None:
            actions.append(Create(*pair))
        elif keep.callback_url != callback_url:
            actions.append(Update(keep.id, *pair))
        elif (_expiry(keep) or now) - now < RENEW_BEFORE:
            actions.append(Renew(keep.id))
    return actions


# -- Oura's routes ------------------------------------------------------------------------


class WebhookApi:
    """The subscription routes; one HTTP session and the shared retry policy."""

    def __init__(
        self,
        base_url: str,
        session: requests.Session | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._session = session or new_session()
        # Creation waits for Oura's verification round trip to the callback.
        self._policy = policy or RetryPolicy(timeout=(5.0, 40.0))

    def close(self) -> None:
        self._session.close()

    def _call(
        self, creds: AppCredentials, method: str, path: str, body: dict[str, str] | None = None
    ) -> requests.Response:
        headers = {"x-client-id": creds.client_id, "x-client-secret": creds.client_secret}
        try:
            response = self._policy.send(
                self._session,
                method,
                f"{self.base_url}{SUBSCRIPTION_PATH}{path}",
                label=f"webhook subscription {method}",
                headers=headers,
                json=body,
            )
        except requests.RequestException as err:
            _LOGGER.info("Oura webhook subscriptions: no answer (%s)", type(err).__name__)
            raise WebhookError(_l("Oura did not answer the webhook subscription call.")) from None
        if response.status_code in (403, 404) and path:
            raise SubscriptionGone(_l("Oura no longer has that webhook subscription."), 404)
        if response.status_code == 401:
            raise WebhookError(
                _l("Oura refused the app's client id or secret for webhook subscriptions."),
                401,
            )
        if response.status_code >= 300:
            raise WebhookError(
                _l(
                    "Oura refused the webhook subscription (HTTP %(status)s): %(detail)s",
                    status=response.status_code,
                    detail=_detail(response),
                ),
                response.status_code,
            )
        return response

    @staticmethod
    def _verified(callback_url: str, call: Callable[[], requests.Response]) -> requests.Response:
        """Creation and update wait for Oura's check of the callback: a 400 is that check."""
        try:
            return call()
        except WebhookError as err:
            if err.status != 400:
                raise
            raise WebhookError(
                _l(
                    "Oura could not verify %(url)s: check that this address reaches the "
                    "add-on's webhook port (8098/tcp, path /webhook).",
                    url=callback_url,
                ),
                400,
            ) from err

    def _one(self, response: requests.Response) -> Subscription:
        try:
            found = parse_subscription(response.json())
        except ValueError:
            found = None
        if found is None:
            raise WebhookError(_l("Oura's webhook subscription answer was not understood."))
        return found

    def list(self, creds: AppCredentials) -> list[Subscription]:
        response = self._call(creds, "GET", "")
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, list):
            raise WebhookError(_l("Oura's webhook subscription answer was not understood."))
        return [s for s in map(parse_subscription, body) if s is not None]

    def create(
        self, creds: AppCredentials, callback_url: str, token: str, pair: Pair
    ) -> Subscription:
        body = {
            "callback_url": callback_url,
            "verification_token": token,
            "data_type": pair[0],
            "event_type": pair[1],
        }
        return self._one(self._verified(callback_url, lambda: self._call(creds, "POST", "", body)))

    def update(
        self, creds: AppCredentials, sub_id: str, callback_url: str, token: str, pair: Pair
    ) -> Subscription:
        body = {
            "callback_url": callback_url,
            "verification_token": token,
            "data_type": pair[0],
            "event_type": pair[1],
        }
        return self._one(
            self._verified(callback_url, lambda: self._call(creds, "PUT", f"/{sub_id}", body))
        )

    def renew(self, creds: AppCredentials, sub_id: str) -> Subscription:
        return self._one(self._call(creds, "PUT", f"/renew/{sub_id}"))

    def delete(self, creds: AppCredentials, sub_id: str) -> None:
        self._call(creds, "DELETE", f"/{sub_id}")


def _detail(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason or ""
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, str):
        return detail[:200]
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):
        return str(detail[0].get("msg", ""))[:200]
    return response.reason or ""
