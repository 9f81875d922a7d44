"""The Simulator: Oura's cloud (authorize page, token endpoints, API v2) as one WSGI app."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from flask import Flask

from oura_addon.oura.endpoints import DEFAULT_SCOPES
from oura_addon.simulator.config import SimulatorConfig, wake_seconds
from oura_addon.simulator.data import (
    DataContext,
    Document,
    documents_on,
    local_iso,
    personal_info,
    ring_configurations,
)
from oura_addon.simulator.faults import (
    CLOCK_SKEW,
    DROP_CONNECTION,
    SLOW,
    TOKEN_ENDPOINT,
    Faults,
)
from oura_addon.simulator.oauth import Grant, TokenStore
from oura_addon.simulator.plans import DayPlan, day_plan, later
from oura_addon.simulator.request_log import LoggedRequest, RequestLog
from oura_addon.simulator.series import battery_rows, heart_rate_rows

DATA_PREFIX = "/v2/usercollection/"
# After this many days a day's documents are final (a rest mode period lasts up to 3 days).
SETTLED_AFTER_DAYS = 4
TOKEN_PATHS = ("/oauth/token", "/oauth/v2/ext/oauth-token")
AUTHORIZE_PATHS = ("/oauth/authorize", "/oauth/v2/ext/oauth-authorize")
REVOKE_PATHS = ("/oauth/revoke", "/oauth/v2/ext/oauth-revoke")


def _day_of(document: Document) -> str:
    return str(document.get("day") or document.get("start_day"))


def _workout(end: datetime, document_id: str) -> Document:
    start = end - timedelta(minutes=30)
    return {
        "id": document_id,
        "activity": "running",
        "calories": 310.0,
        "day": start.date().isoformat(),
        "distance": 5200.0,
        "end_datetime": local_iso(end),
        "intensity": "moderate",
        "label": None,
        "source": "manual",
        "start_datetime": local_iso(start),
    }


def _sample(start: datetime, items: list[float]) -> Document:
    return {"interval": 5.0, "items": items, "timestamp": local_iso(start)}


def _session(end: datetime, document_id: str) -> Document:
    start = end - timedelta(minutes=10)
    return {
        "id": document_id,
        "day": start.date().isoformat(),
        "start_datetime": local_iso(start),
        "end_datetime": local_iso(end),
        "type": "meditation",
        "heart_rate": _sample(start, [58.0, 57.0, 56.0, 57.0]),
        "heart_rate_variability": _sample(start, [52.0, 55.0, 58.0, 55.0]),
        "mood": "good",
        "motion_count": _sample(start, [0.0, 0.0, 1.0, 0.0]),
    }


def _enhanced_tag(end: datetime, document_id: str) -> Document:
    return {
        "id": document_id,
        "tag_type_code": "tag_generic_caffeine",
        "start_time": local_iso(end),
        "end_time": None,
        "start_day": end.date().isoformat(),
        "end_day": None,
        "comment": None,
        "custom_name": None,
    }


MOMENT_KINDS: dict[str, Callable[[datetime, str], Document]] = {
    "workout": _workout,
    "session": _session,
    "enhanced_tag": _enhanced_tag,
}


def _dated(start_response: Callable, epoch: float) -> Callable:
    """``start_response`` that dates the answer ``epoch`` (waitress keeps a Date given)."""

    def start(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
        kept = [(k, v) for k, v in headers if k.lower() != "date"]
        return start_response(status, [*kept, ("Date", formatdate(epoch, usegmt=True))], *args)

    return start


class DropConnection(Exception):
    """Raised out of the WSGI app: the server must close the socket without answering."""


def fault_target(path: str) -> str | None:
    """The name faults are aimed at for a request path (None: no fault applies)."""
    if path.startswith(DATA_PREFIX):
        return path[len(DATA_PREFIX) :].split("/", 1)[0] or None
    if path in TOKEN_PATHS:
        return TOKEN_ENDPOINT
    if path in AUTHORIZE_PATHS:
        return "oauth_authorize"
    if path in REVOKE_PATHS:
        return "oauth_revoke"
    return None


class Simulator:
    """Owns the simulated cloud's state; ``wsgi_app`` serves it.

    ``clock`` (epoch seconds) is read on every use: pass a fake one to move simulated time
    (expire codes and tokens, reach the evening) without sleeping. ``sleep`` serves the
    ``slow`` fault.
    """

    def __init__(
        self,
        config: SimulatorConfig,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.clock = clock
        self.sleep = sleep
        self.tz = ZoneInfo(config.timezone)
        self._created_at = clock()
        # Plans are pure and documents of days long past no longer change with "now":
        # generate each once. Both are bounded by users x days.
        self._plans: dict[tuple[int, date], DayPlan] = {}
        self._settled: dict[tuple[str, int, date], list[Document]] = {}
        self._cache_lock = threading.Lock()
        # Moments added through the control routes: (endpoint, user) -> (visible from, doc).
        self._added: dict[tuple[str, int], list[tuple[datetime, Document]]] = {}
        self._published_nights: dict[int, set[date]] = {}
        self.tokens = TokenStore(
            config.client_id,
            config.client_secret,
            config.access_token_ttl,
            clock=lambda: self.clock(),
            user_limit=config.user_limit,
        )
        self.faults = Faults(self.tokens)
        self.requests = RequestLog()
        # The routes (app.py) are attached by create_simulator: they read this state, so
        # this module must not import them.
        self.flask_app: Flask | None = None
        self.webhooks: Any = None  # simulator/webhooks.py's service, attached with the routes
        self.wsgi_app = self._serve

    # --- time and data ----------------------------------------------------------------

    def now(self) -> datetime:
        """Simulated local time.

        Unpinned: the clock's time in ``config.timezone``. With ``config.today`` pinned, time
        starts at ``config.start_time`` (12:00) that day when the simulator is created (so
        last night's sleep is in, the afternoon is not) and moves on with the clock,
        ``config.clock_speed`` times faster.
        """
        elapsed = (self.clock() - self._created_at) * self.config.clock_speed
        if self.config.today is None:
            if self.config.clock_speed == 1:
                return datetime.fromtimestamp(self.clock(), self.tz)
            return later(datetime.fromtimestamp(self._created_at, self.tz), elapsed)
        start = datetime.combine(self.config.today, self.config.start_time, tzinfo=self.tz)
        return later(start, elapsed)

    def wake(self, user: int) -> int | None:
        """The user's usual wake-up (seconds after midnight), None when not configured."""
        times = self.config.wake_times
        return wake_seconds(times[(user - 1) % len(times)]) if times else None

    def today(self) -> date:
        return self.now().date()

    def first_day(self) -> date:
        return self.today() - timedelta(days=self.config.days - 1)

    def context(self, user: int) -> DataContext:
        now = self.now()
        first = now.date() - timedelta(days=self.config.days - 1)
        with self._cache_lock:
            nights = frozenset(self._published_nights.get(user, ()))
        return DataContext(
            self.config.seed,
            user,
            self.tz,
            first,
            now,
            planner=self._plan,
            wake=self.wake(user),
            published_nights=nights,
        )

    def _plan(self, user: int, day: date) -> DayPlan:
        with self._cache_lock:
            plan = self._plans.get((user, day))
        if plan is None:
            plan = day_plan(self.config.seed, user, day, self.tz, self.wake(user))
            if self.first_day() - timedelta(days=1) <= day <= self.today() + timedelta(days=1):
                with self._cache_lock:
                    self._plans[(user, day)] = plan
        return plan

    def user_ids(self) -> range:
        return range(1, self.config.users + 1)

    def documents(self, name: str, user: int, start: date, end: date) -> list[Document]:
        """The list endpoint's documents for a date window, with Oura's window rules.

        ``sleep`` returns the days strictly between start and end (as recorded);
        every other endpoint returns start..end inclusive.
        """
        ctx = self.context(user)
        if name == "sleep":
            start, end = start + timedelta(days=1), end - timedelta(days=1)
        first, last = max(start, ctx.first_day), min(end, ctx.today)
        found: list[Document] = []
        day = first
        while day <= last:
            found.extend(self._documents_on(name, ctx, day))
            day += timedelta(days=1)
        with self._cache_lock:
            added = list(self._added.get((name, user), ()))
        found.extend(
            document
            for visible, document in added
            if visible <= ctx.now and first <= date.fromisoformat(_day_of(document)) <= last
        )
        return found

    # --- moments made on purpose (tests, demo) ------------------------------------------

    def add_moment(
        self, kind: str, user: int, at: datetime | None = None, **fields: Any
    ) -> Document:
        """A workout, session or enhanced tag that ends at ``at`` (default: now), visible
        from then on; ``fields`` override the made-up values."""
        if kind not in MOMENT_KINDS:
            raise ValueError(f"kind must be one of {', '.join(MOMENT_KINDS)}, got {kind!r}")
        if user not in self.user_ids():
            raise ValueError(f"user must be 1..{self.config.users}, got {user}")
        end = (at or self.now()).astimezone(self.tz)
        unknown = set(fields) - set(MOMENT_KINDS[kind](end, "x"))
        if unknown:
            raise ValueError(f"unknown {kind} fields: {', '.join(sorted(unknown))}")
        document = MOMENT_KINDS[kind](end, f"sim-{kind}-{uuid.uuid4().hex[:12]}") | fields
        with self._cache_lock:
            self._added.setdefault((kind, user), []).append((end, document))
        return document

    def publish_night(self, user: int) -> date:
        """Today's night is at Oura now (sleep, daily sleep, readiness...), as if the phone
        had synced after waking; returns the day."""
        if user not in self.user_ids():
            raise ValueError(f"user must be 1..{self.config.users}, got {user}")
        day = self.today()
        with self._cache_lock:
            self._published_nights.setdefault(user, set()).add(day)
        return day

    def _documents_on(self, name: str, ctx: DataContext, day: date) -> list[Document]:
        if day > ctx.today - timedelta(days=SETTLED_AFTER_DAYS):
            return documents_on(name, ctx, day)
        key = (name, ctx.user, day)
        with self._cache_lock:
            cached = self._settled.get(key)
        if cached is None:
            cached = documents_on(name, ctx, day)
            with self._cache_lock:
                self._settled[key] = cached
        return list(cached)  # the documents are shared: callers must not modify them

    def series(self, name: str, user: int, start: datetime, end: datetime) -> list[Document]:
        ctx = self.context(user)
        if name == "heartrate":
            return heart_rate_rows(ctx, start, end)
        return battery_rows(ctx, start, end)

    def ring_configurations(self, user: int) -> list[Document]:
        return ring_configurations(self.context(user))

    def personal_info(self, user: int) -> Document:
        return personal_info(self.config.seed, user)

    def find_document(self, name: str, user: int, document_id: str) -> Document | None:
        if name == "ring_configuration":
            candidates: Iterable[Document] = self.ring_configurations(user)
        else:
            candidates = self.documents(name, user, self.first_day(), self.today())
            if name == "sleep":  # documents() narrows sleep windows by a day on each side
                ctx = self.context(user)
                candidates = [
                    *documents_on(name, ctx, ctx.first_day),
                    *candidates,
                    *documents_on(name, ctx, ctx.today),
                ]
        return next((d for d in candidates if d.get("id") == document_id), None)

    # --- OAuth shortcuts ----------------------------------------------------------------

    def issue_tokens(self, user: int = 1, scopes: Sequence[str] = DEFAULT_SCOPES) -> dict:
        """A token response for ``user`` without the consent dance (tests, demo)."""
        if user not in self.user_ids():
            raise ValueError(f"user must be 1..{self.config.users}, got {user}")
        return self.tokens.issue_tokens(Grant(user, tuple(scopes), self.config.client_id))

    def revoke_all(self, user: int | None = None) -> None:
        self.tokens.revoke_all(user)

    def expire_access_tokens(self) -> None:
        self.tokens.expire_access_tokens()

    # --- WSGI ---------------------------------------------------------------------------

    def _serve(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        """Network-level faults first (a dropped socket never reaches Flask), then Flask."""
        target = fault_target(environ.get("PATH_INFO", ""))
        if target is not None:
            if self.faults.take(DROP_CONNECTION, target) is not None:
                self.requests.record(
                    LoggedRequest(
                        method=environ.get("REQUEST_METHOD", ""),
                        path=environ.get("PATH_INFO", ""),
                        query=dict(parse_qsl(environ.get("QUERY_STRING", ""))),
                        status=None,
                        timestamp=self.clock(),
                    )
                )
                raise DropConnection(environ.get("PATH_INFO", ""))
            slow = self.faults.take(SLOW, target)
            if slow is not None:
                self.sleep(slow.seconds)
        assert self.flask_app is not None, "build the simulator with create_simulator"
        skew = self.faults.take(CLOCK_SKEW, target) if target is not None else None
        if skew is not None:
            start_response = _dated(start_response, self.clock() + skew.seconds)
        return self.flask_app.wsgi_app(environ, start_response)
