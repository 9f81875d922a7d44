"""Oura API v2 data client: windows, pagination, typed records, typed errors.

One ``OuraClient`` per account (it owns the account's session). Transient failures are
retried by the shared ``RetryPolicy``; a 401 earns exactly one forced token refresh and one
retry. Logs name endpoints and statuses only, never a URL with a token or any credential.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, Protocol
from urllib.parse import quote

import requests

from oura_addon.http import (
    AnswerTooLarge,
    DeadlineExceeded,
    RetryPolicy,
    new_session,
    parse_retry_after,
)
from oura_addon.i18n import _l
from oura_addon.oura.endpoints import ENDPOINTS_BY_NAME, Endpoint, Window
from oura_addon.oura.errors import (
    AccessDenied,
    ApiUnavailable,
    BadResponse,
    InvalidGrant,
    InvalidRequest,
    MissingScope,
    NotFound,
    OAuthError,
    OuraApiError,
    RateLimited,
    TokenUnavailable,
    Unauthorized,
)
from oura_addon.oura.models import PersonalInfo, RestModePeriod, parse_record

__all__ = [
    "AccessDenied",
    "ApiUnavailable",
    "BadResponse",
    "InvalidRequest",
    "NotFound",
    "OuraApiError",
    "OuraClient",
    "RateLimited",
    "SyncResult",
    "TokenProvider",
    "TokenUnavailable",
    "Unauthorized",
    "query_for",
    "sync_query",
]

_LOGGER = logging.getLogger(__name__)

# A runaway next_token chain must end; Oura pages are large, so this is far beyond real use.
MAX_PAGES = 500
# Endpoints whose newest sample is all the add-on shows: one tiny request instead of a window.
LATEST_ONLY = frozenset({"ring_battery_level"})


class TokenProvider(Protocol):
    def access_token(self, force_refresh: bool = False) -> str:
        """A valid access token; with ``force_refresh`` a newly refreshed one."""
        ...


@dataclass(frozen=True)
class SyncResult:
    records: dict[str, list[Any]] = field(default_factory=dict)
    errors: dict[str, OuraApiError] = field(default_factory=dict)
    skipped: tuple[str, ...] = ()


def _as_datetime(value: date | datetime, tz: tzinfo) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    return datetime.combine(value, time.min, tzinfo=tz)


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def query_for(
    endpoint: Endpoint,
    start: date | datetime | None,
    end: date | datetime | None,
    *,
    latest: bool = False,
    tz: tzinfo = UTC,
) -> dict[str, str]:
    """Query parameters for ``endpoint`` over [start, end] (as given; no margin added)."""
    params: dict[str, str] = {}
    if endpoint.window is Window.DATE:
        if start is not None:
            params["start_date"] = _as_date(start).isoformat()
        if end is not None:
            params["end_date"] = _as_date(end).isoformat()
    elif endpoint.window is Window.DATETIME:
        if latest:
            params["latest"] = "true"
        else:
            if start is not None:
                params["start_datetime"] = _as_datetime(start, tz).isoformat()
            if end is not None:
                params["end_datetime"] = _as_datetime(end, tz).isoformat()
    return params


def sync_query(endpoint: Endpoint, start: date, end: date, tz: tzinfo = UTC) -> dict[str, str]:
    """The query a sync of the days [start, end] sends for ``endpoint``.

    Date endpoints get a day of margin on both sides (Oura's end bound has been seen both
    inclusive and exclusive); the records are then selected by day. Datetime endpoints get
    [start 00:00, end+1 00:00) in ``tz``, the user's day boundaries.
    """
    if endpoint.name in LATEST_ONLY:
        return query_for(endpoint, None, None, latest=True)
    if endpoint.window is Window.DATE:
        return query_for(endpoint, start - timedelta(days=1), end + timedelta(days=1))
    if endpoint.window is Window.DATETIME:
        return query_for(endpoint, start, end + timedelta(days=1), tz=tz)
    return {}


def within_days(record: Any, start: date, end: date) -> bool:
    """Whether a record belongs to the days [start, end]; undated records are kept."""
    first = getattr(record, "start_day", None)
    if first is not None:
        last = getattr(record, "end_day", None)
        if last is None:
            # A rest mode period without an end is still going on; a tag without one is a
            # moment on its start day.
            last = end if isinstance(record, RestModePeriod) else first
        return first <= end and last >= start
    day = getattr(record, "day", None)
    if isinstance(day, date):
        return start <= day <= end
    return True


def _detail(response: requests.Response) -> str:
    """A short, safe description from an error body (``detail`` string or 422 list)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, str):
        return detail[:200]
    if isinstance(detail, list):
        messages = [
            str(item.get("msg"))
            for item in detail
            if isinstance(item, dict) and isinstance(item.get("msg"), str)
        ]
        return "; ".join(messages)[:200]
    return ""


_SCOPE_REFUSAL = re.compile(
    r"not authorized\b.{0,20}?\b(?:extapi:)?([a-z0-9_]+) scope", re.IGNORECASE
)


def missing_scope(response: requests.Response, endpoint: Endpoint) -> str | None:
    """The scope a 401 says the token lacks (``Token is not authorized access spo2
    scope.``); None when the 401 is about the token itself."""
    detail = _detail(response)
    if "scope" not in detail.lower() or "not authorized" not in detail.lower():
        return None
    found = _SCOPE_REFUSAL.search(detail)
    return found.group(1).lower() if found else endpoint.scope


def error_for(response: requests.Response, endpoint: str) -> OuraApiError:
    """The typed error for a non-200 answer (401 is handled by the caller's retry)."""
    status = response.status_code
    if status == 401:
        return Unauthorized(endpoint)
    if status == 403:
        return AccessDenied(endpoint)
    if status == 404:
        return NotFound(endpoint)
    if status == 429:
        return RateLimited(endpoint, parse_retry_after(response.headers.get("Retry-After")))
    if status in (400, 422):
        return InvalidRequest(endpoint, _detail(response))
    if status >= 500:
        return ApiUnavailable(endpoint, f"HTTP {status}")
    return BadResponse(endpoint, _l("unexpected HTTP %(status)s", status=status))


def _json_object(response: requests.Response, endpoint: str) -> dict[str, Any]:
    content_type = response.headers.get("Content-Type", "")
    if "json" not in content_type.lower():
        raise BadResponse(endpoint, _l("not a JSON answer"))
    try:
        body = response.json()
    except ValueError:
        raise BadResponse(endpoint, _l("invalid JSON")) from None
    if not isinstance(body, dict):
        raise BadResponse(endpoint, _l("not a JSON object"))
    return body


class OuraClient:
    def __init__(
        self,
        base_url: str,
        token_provider: TokenProvider,
        session: requests.Session | None = None,
        policy: RetryPolicy | None = None,
        on_missing_scope: Callable[[str], None] | None = None,
        on_answer_date: Callable[[str | None], None] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._tokens = token_provider
        self._on_missing_scope = on_missing_scope
        # Each answer's Date header: Oura's clock, against which this machine's is checked.
        self._on_answer_date = on_answer_date
        self._session = session or new_session()
        self._policy = policy or RetryPolicy()

    def close(self) -> None:
        self._session.close()

    def _send(self, endpoint: str, path: str, params: dict[str, str], token: str):
        response = self._ask(endpoint, path, params, token)
        if self._on_answer_date is not None:
            self._on_answer_date(response.headers.get("Date"))
        return response

    def _ask(self, endpoint: str, path: str, params: dict[str, str], token: str):
        try:
            return self._policy.send(
                self._session,
                "GET",
                f"{self.base_url}{path}",
                label=endpoint,
                params=params,
                headers={"Authorization": f"Bearer {token}"},
            )
        except AnswerTooLarge:
            raise ApiUnavailable(endpoint, _l("an answer too large to read")) from None
        except DeadlineExceeded:
            raise ApiUnavailable(endpoint, _l("no complete answer in time")) from None
        except requests.RequestException as err:
            _LOGGER.info("Oura %s: no answer (%s)", endpoint, type(err).__name__)
            raise ApiUnavailable(endpoint, _l("no answer")) from None

    def _token(self, endpoint: str, force_refresh: bool = False) -> str:
        """Ask the provider; its OAuth failures become errors that end the sync.

        Other exceptions (e.g. the account store's own "reconnect" error) pass unchanged.
        """
        try:
            return self._tokens.access_token(force_refresh=force_refresh)
        except InvalidGrant as err:
            raise Unauthorized(endpoint, err.user_message) from err
        except OAuthError as err:
            raise TokenUnavailable(endpoint, err) from err

    def _get(self, endpoint: str, path: str, params: dict[str, str]) -> dict[str, Any]:
        """GET one page as a JSON object; one forced refresh and retry on a 401.

        A 401 naming a scope is no token problem: no refresh, the endpoint is marked.
        """
        response = self._send(endpoint, path, params, self._token(endpoint))
        scope = (
            missing_scope(response, ENDPOINTS_BY_NAME[endpoint])
            if response.status_code == 401 and endpoint in ENDPOINTS_BY_NAME
            else None
        )
        if scope is not None:
            response.close()
            _LOGGER.info("Oura %s: the %s scope was not granted", endpoint, scope)
            if self._on_missing_scope is not None:
                try:
                    self._on_missing_scope(scope)
                except Exception:  # remembering it is a nicety; the endpoint is marked anyway
                    _LOGGER.exception("Cannot record the missing %s scope", scope)
            raise MissingScope(endpoint, scope)
        if response.status_code == 401:
            response.close()
            _LOGGER.info("Oura %s answered 401; refreshing the token once", endpoint)
            token = self._token(endpoint, force_refresh=True)
            response = self._send(endpoint, path, params, token)
        _LOGGER.debug("Oura %s answered %s", endpoint, response.status_code)
        if response.status_code != 200:
            raise error_for(response, endpoint)
        return _json_object(response, endpoint)

    def fetch(
        self,
        endpoint_name: str,
        start: date | datetime | None = None,
        end: date | datetime | None = None,
        *,
        latest: bool = False,
        tz: tzinfo = UTC,
    ) -> list[Any]:
        """Every record of ``endpoint_name`` in the window, following ``next_token``."""
        endpoint = ENDPOINTS_BY_NAME[endpoint_name]
        params = query_for(endpoint, start, end, latest=latest, tz=tz)
        return self._fetch(endpoint, params)

    def first_page(self, endpoint_name: str, start: date, end: date) -> list[Any]:
        """The records of the window's first page only: the oldest ones, one request."""
        endpoint = ENDPOINTS_BY_NAME[endpoint_name]
        return self._fetch(endpoint, query_for(endpoint, start, end), max_pages=1)

    def _fetch(
        self, endpoint: Endpoint, params: dict[str, str], max_pages: int = MAX_PAGES
    ) -> list[Any]:
        name = endpoint.name
        if endpoint.window is Window.SINGLE:
            return [parse_record(endpoint.record, self._get(name, endpoint.path, params))]
        records: list[Any] = []
        seen_tokens: set[str] = set()
        page_params = dict(params)
        for _page in range(max_pages):
            body = self._get(name, endpoint.path, page_params)
            documents = body.get("data")
            if not isinstance(documents, list):
                raise BadResponse(name, _l("no data list"))
            records += self._parse_documents(endpoint, documents)
            next_token = body.get("next_token")
            if not isinstance(next_token, str) or not next_token:
                return records
            if next_token in seen_tokens:
                _LOGGER.warning("Oura %s repeated a page token; stopping there", name)
                return records
            seen_tokens.add(next_token)
            page_params = {**params, "next_token": next_token}
        if max_pages < MAX_PAGES:
            return records
        _LOGGER.warning("Oura %s has more than %d pages; stopping there", name, MAX_PAGES)
        return records

    @staticmethod
    def _parse_documents(endpoint: Endpoint, documents: list[Any]) -> list[Any]:
        records: list[Any] = []
        for index, document in enumerate(documents):
            try:
                records.append(parse_record(endpoint.record, document))
            except (TypeError, ValueError) as err:
                _LOGGER.debug("Skipping malformed %s document #%d: %s", endpoint.name, index, err)
        return records

    def document(self, endpoint_name: str, document_id: str) -> Any:
        """One document by its id (the route a webhook event points at)."""
        endpoint = ENDPOINTS_BY_NAME[endpoint_name]
        path = f"{endpoint.path}/{quote(document_id, safe='')}"
        return parse_record(endpoint.record, self._get(endpoint_name, path, {}))

    def personal_info(self) -> PersonalInfo:
        endpoint = ENDPOINTS_BY_NAME["personal_info"]
        return parse_record(PersonalInfo, self._get(endpoint.name, endpoint.path, {}))

    def sync(
        self,
        endpoints: Iterable[Endpoint],
        start: date,
        end: date,
        granted: Callable[[str], bool] | None = None,
        *,
        tz: tzinfo = UTC,
    ) -> SyncResult:
        """Fetch every endpoint for the days [start, end], isolating failures per endpoint.

        Once Oura rate-limits one endpoint the rest are not asked: they get the same
        ``RateLimited`` error. Raises ``Unauthorized`` and ``TokenUnavailable`` (and whatever
        else the token provider raises): without a token no endpoint can succeed.
        """
        records_by_name: dict[str, list[Any]] = {}
        errors: dict[str, OuraApiError] = {}
        skipped: list[str] = []
        limited: RateLimited | None = None
        for endpoint in endpoints:
            if granted is not None and not granted(endpoint.scope):
                skipped.append(endpoint.name)
                continue
            if limited is not None:
                errors[endpoint.name] = limited
                continue
            try:
                records = self._fetch(endpoint, sync_query(endpoint, start, end, tz))
            except (Unauthorized, TokenUnavailable):
                raise
            except OuraApiError as err:
                _LOGGER.info("Oura %s failed: %s", endpoint.name, err.kind)
                errors[endpoint.name] = err
                if isinstance(err, RateLimited):
                    limited = err
                continue
            if endpoint.window is Window.DATE:
                records = [r for r in records if within_days(r, start, end)]
            records_by_name[endpoint.name] = records
        return SyncResult(records=records_by_name, errors=errors, skipped=tuple(skipped))
