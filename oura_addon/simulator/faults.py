"""Fault switches: make the next requests fail the way real networks and Oura fail.

A fault targets one endpoint name (``daily_sleep``, ``personal_info``, ..., or ``oauth_token``,
``oauth_authorize``, ``oauth_revoke``) or, with ``endpoint=None``, every data endpoint.
Counted faults wear off after ``count`` matching requests; ``count=None`` lasts until
``clear()``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any, Protocol

RATE_LIMIT = "rate_limit"
SERVER_ERROR = "server_error"
SLOW = "slow"
DROP_CONNECTION = "drop_connection"
FORBID = "forbid"
REFUSE_TOKEN_ENDPOINT = "refuse_token_endpoint"
# Absurd but well-formed answers: a token answer with an absurd ``expires_in`` or without
# its access token, and a data page of ``size`` bytes (gzip-compressed: a bomb).
ABSURD_TOKEN = "absurd_token"
HUGE_ANSWER = "huge_answer"
# Every answer's Date header ``seconds`` off the real clock: Oura's clock against a host's
# clock that is wrong.
CLOCK_SKEW = "clock_skew"
# Targets of the OAuth routes; faults without an endpoint leave them alone.
OAUTH_TARGET_PREFIX = "oauth_"
TOKEN_ENDPOINT = "oauth_token"


class TokenRevoker(Protocol):
    def expire_access_tokens(self) -> None: ...

    def revoke_all(self, user: int | None = None) -> None: ...


@dataclass(frozen=True)
class Fault:
    kind: str
    remaining: int | None = 1
    endpoint: str | None = None
    status: int = 0
    retry_after: int = 0
    seconds: float = 0.0
    size: int = 0
    compressed: bool = False
    drop_access_token: bool = False

    def applies_to(self, target: str) -> bool:
        if self.endpoint is not None:
            return self.endpoint == target
        if self.kind == REFUSE_TOKEN_ENDPOINT:
            return target == TOKEN_ENDPOINT
        return not target.startswith(OAUTH_TARGET_PREFIX)


def _count(value: Any, name: str = "count") -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer or null, got {value!r}")
    return value


class Faults:
    """Thread-safe set of armed faults; the app asks ``take(kind, target)`` per request."""

    def __init__(self, tokens: TokenRevoker) -> None:
        self._tokens = tokens
        self._lock = threading.Lock()
        self._armed: list[Fault] = []

    def _arm(self, fault: Fault) -> None:
        with self._lock:
            self._armed.append(fault)

    def rate_limit(
        self, count: int | None = 1, retry_after: int = 60, endpoint: str | None = None
    ) -> None:
        """The next ``count`` data requests get 429 with ``Retry-After``."""
        self._arm(Fault(RATE_LIMIT, _count(count), endpoint, status=429, retry_after=retry_after))

    def server_error(
        self, count: int | None = 1, status: int = 503, endpoint: str | None = None
    ) -> None:
        """The next ``count`` data requests get an HTML 5xx page, as from a proxy."""
        if not 500 <= status <= 599:
            raise ValueError(f"server_error status must be 5xx, got {status}")
        self._arm(Fault(SERVER_ERROR, _count(count), endpoint, status=status))

    def slow(self, seconds: float, count: int | None = 1, endpoint: str | None = None) -> None:
        """Delay the next ``count`` responses by ``seconds``."""
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        self._arm(Fault(SLOW, _count(count), endpoint, seconds=float(seconds)))

    def drop_connection(self, count: int | None = 1, endpoint: str | None = None) -> None:
        """Close the socket of the next ``count`` requests without any answer."""
        self._arm(Fault(DROP_CONNECTION, _count(count), endpoint))

    def forbid(self, endpoint: str | None, count: int | None = None) -> None:
        """403 ``{"detail": "Forbidden"}`` for that endpoint (an expired membership)."""
        self._arm(Fault(FORBID, _count(count), endpoint, status=403))

    def refuse_token_endpoint(self, count: int | None = 1, status: int = 503) -> None:
        """The token endpoints answer ``status`` for the next ``count`` requests."""
        if not 400 <= status <= 599:
            raise ValueError(f"token endpoint status must be 4xx or 5xx, got {status}")
        self._arm(Fault(REFUSE_TOKEN_ENDPOINT, _count(count), TOKEN_ENDPOINT, status=status))

    def absurd_token(
        self,
        expires_in: float | None = None,
        count: int | None = 1,
        drop_access_token: bool = False,
    ) -> None:
        """The next ``count`` successful token answers carry ``expires_in`` (any float,
        infinity included), or lack their access token (the refresh token still rotates)."""
        self._arm(
            Fault(
                ABSURD_TOKEN,
                _count(count),
                TOKEN_ENDPOINT,
                seconds=float("nan") if expires_in is None else float(expires_in),
                drop_access_token=drop_access_token,
            )
        )

    def huge_answer(
        self,
        size: int,
        count: int | None = 1,
        endpoint: str | None = None,
        compressed: bool = False,
    ) -> None:
        """The next ``count`` data answers are ``size`` bytes of valid JSON (gzip when
        ``compressed``: a few hundred KB on the wire)."""
        if size < 64:
            raise ValueError("size must be at least 64 bytes")
        self._arm(Fault(HUGE_ANSWER, _count(count), endpoint, size=size, compressed=compressed))

    def clock_skew(self, seconds: float, count: int | None = None) -> None:
        """Answers say it is ``seconds`` later (earlier when negative) than the real clock;
        lasts until ``clear()`` unless counted."""
        self._arm(Fault(CLOCK_SKEW, _count(count), seconds=float(seconds)))

    def expire_tokens(self) -> None:
        """Every access token issued so far expires now (refresh tokens still work)."""
        self._tokens.expire_access_tokens()

    def revoke(self, user: int | None = None) -> None:
        """Revoke the user's (or everyone's) tokens server-side: refreshes are refused."""
        self._tokens.revoke_all(user)

    def take(self, kind: str, target: str) -> Fault | None:
        """The first armed fault of ``kind`` for ``target``, using up one of its count."""
        with self._lock:
            for index, fault in enumerate(self._armed):
                if fault.kind != kind or not fault.applies_to(target):
                    continue
                if fault.remaining is None:
                    return fault
                if fault.remaining <= 1:
                    del self._armed[index]
                else:
                    self._armed[index] = replace(fault, remaining=fault.remaining - 1)
                return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()

    def active(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(f) for f in self._armed]

    def apply(self, spec: Mapping[str, Any]) -> None:
        """Arm one fault from its JSON form, e.g. ``{"fault": "rate_limit", "count": 2}``.

        Raises ValueError with a readable message on anything malformed.
        """
        if not isinstance(spec, Mapping):
            raise ValueError("each fault must be a JSON object")
        kind = spec.get("fault")
        endpoint = spec.get("endpoint")
        if endpoint is not None and not isinstance(endpoint, str):
            raise ValueError("endpoint must be a string or null")
        count = spec.get("count", 1)
        try:
            if kind == RATE_LIMIT:
                self.rate_limit(count, int(spec.get("retry_after", 60)), endpoint)
            elif kind == SERVER_ERROR:
                self.server_error(count, int(spec.get("status", 503)), endpoint)
            elif kind == SLOW:
                self.slow(float(spec.get("seconds", 1.0)), count, endpoint)
            elif kind == DROP_CONNECTION:
                self.drop_connection(count, endpoint)
            elif kind == FORBID:
                self.forbid(endpoint, spec.get("count"))
            elif kind == REFUSE_TOKEN_ENDPOINT:
                self.refuse_token_endpoint(count, int(spec.get("status", 503)))
            elif kind == ABSURD_TOKEN:
                expires_in = spec.get("expires_in")
                self.absurd_token(
                    None if expires_in is None else float(expires_in),
                    count,
                    bool(spec.get("drop_access_token", False)),
                )
            elif kind == HUGE_ANSWER:
                self.huge_answer(
                    int(spec["size"]), count, endpoint, bool(spec.get("compressed", False))
                )
            elif kind == CLOCK_SKEW:
                self.clock_skew(float(spec["seconds"]), spec.get("count"))
            elif kind == "expire_tokens":
                self.expire_tokens()
            elif kind == "revoke":
                user = spec.get("user")
                self.revoke(None if user is None else int(user))
            else:
                raise ValueError(f"unknown fault {kind!r}")
        except (TypeError, ValueError, KeyError) as err:
            raise ValueError(f"bad {kind} fault: {err}") from err
