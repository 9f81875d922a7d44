"""What the panel shows, as plain values: gathered from the services once per request.

``collect_*`` functions are the edge (they call the scheduler and stores and survive their
failures); everything else here is pure and shared by the HTML pages and the JSON API.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape

from oura_addon import __version__
from oura_addon.catalogue import HEADLINES, TRENDS
from oura_addon.history_import.days import GROUPS
from oura_addon.history_import.job import HistoryJob, status_json
from oura_addon.i18n import Text, Translator, _l
from oura_addon.oura.endpoints import DEFAULT_SCOPES, ENDPOINTS_BY_NAME, SCOPE_LABELS, bare_scope
from oura_addon.services import (
    AccountSnapshot,
    AddonSnapshot,
    HomeAssistantState,
    PublishState,
    Services,
)
from oura_addon.states import EntityState
from oura_addon.store.files import storage_condition
from oura_addon.store.trends import TREND_DAYS
from oura_addon.web.charts import render_trend_chart
from oura_addon.web.sign_in import SignIn, SignIns

if TYPE_CHECKING:
    from oura_addon.store.accounts import Account

_LOGGER = logging.getLogger(__name__)

# The history import's groups as the panel names them, in the order it lists them.
HISTORY_GROUP_LABELS: Mapping[str, Text] = {
    "sleep": _l("Sleep"),
    "readiness": _l("Readiness"),
    "activity": _l("Activity"),
    "spo2": _l("SpO2"),
    "stress": _l("Stress and resilience"),
    "heart_health": _l("Heart health"),
}

CONNECTION_LABELS = {
    "connected": _l("Connected"),
    "needs_reconnect": _l("Needs reconnecting"),
    "not_connected": _l("Not connected"),
}


@dataclass(frozen=True)
class EntityRow:
    entity_id: str
    name: str
    state: str
    unit: str

    def to_json(self) -> dict[str, str]:
        return {
            "entity_id": self.entity_id,
            "state": self.state,
            "unit": self.unit,
            "name": self.name,
        }


@dataclass(frozen=True)
class Metric:
    label: str
    value: str | None  # None: no data yet; else as this locale writes it
    unit: str
    entity_id: str
    state: str = ""  # the entity's raw state, so the panel's script sees when it moves


@dataclass(frozen=True)
class Trend:
    label: str
    unit: str
    points: tuple[tuple[date, float | None], ...]
    svg: str | None  # None: render the points as a table

    @property
    def has_data(self) -> bool:
        return any(value is not None for _, value in self.points)


@dataclass(frozen=True)
class AccountView:
    """One account as the panel shows it: stored state + the scheduler's snapshot."""

    name: str
    entity_prefix: str
    connection: str
    email: str | None
    auth_error: str | None
    authorizing: bool
    snapshot: AccountSnapshot
    granted_scopes: tuple[str, ...] = ()
    missing_scopes: tuple[str, ...] = ()
    history: Mapping[str, Any] | None = None  # the history import's status object
    sign_in: SignIn | None = None  # the sign-in waiting, or its outcome until dismissed

    @property
    def missing_data(self) -> list[str]:
        """What Oura did not grant, in the words of its consent page."""
        return [SCOPE_LABELS.get(scope, scope) for scope in self.missing_scopes]

    @property
    def connection_label(self) -> str:
        return CONNECTION_LABELS.get(self.connection, self.connection)

    @property
    def is_connected(self) -> bool:
        return self.connection == "connected"

    @property
    def entities(self) -> list[EntityRow]:
        return entity_rows(self.snapshot.states)

    def headline(self, translator: Translator | None = None) -> list[Metric]:
        return headline_metrics(self.entity_prefix, self.snapshot.states, translator)

    @property
    def history_status(self) -> dict[str, Any]:
        return dict(self.history or status_json(HistoryJob()))

    @property
    def history_groups(self) -> list[tuple[str, str, int, int, bool]]:
        """(group, label, days done, days total, granted) of each group, in the panel's
        order; a group whose data Oura did not grant is skipped by the import."""
        groups = self.history_status.get("groups") or {}
        missing = {bare_scope(scope) for scope in self.missing_scopes}
        rows: list[tuple[str, str, int, int, bool]] = []
        for group, label in HISTORY_GROUP_LABELS.items():
            progress = groups.get(group) or {}
            done, total = progress.get("days_done", 0), progress.get("days_total", 0)
            granted = group_granted(group, missing)
            rows.append((group, label, int(done), int(total), granted))
        return rows

    @property
    def yesterday(self) -> str:
        """The last day an import can start at (the date picker offers no later one)."""
        today = self.snapshot.today or date.today()
        return (today - timedelta(days=1)).isoformat()

    def trends(self, translator: Translator | None = None) -> list[Trend]:
        return trends(self.snapshot.trend_days, self.snapshot.today, translator)

    def to_json(self, translator: Translator | None = None) -> dict[str, Any]:
        text = (translator or Translator()).text
        snap = self.snapshot
        return {
            "name": self.name,
            "entity_prefix": self.entity_prefix,
            "connection": self.connection,
            "email": self.email,
            "auth_error": text(self.auth_error) if self.auth_error else None,
            "authorizing": self.authorizing,
            "sign_in": self.sign_in.to_json(translator) if self.sign_in else None,
            "last_sync": iso(snap.last_sync),
            "next_sync": iso(snap.next_sync),
            "syncing": snap.syncing,
            "last_error": text(snap.last_error) if snap.last_error else None,
            "endpoint_errors": {key: text(value) for key, value in snap.endpoint_errors.items()},
            "granted_scopes": list(self.granted_scopes),
            "missing_scopes": list(self.missing_scopes),
            "schedule": [
                {
                    "group": plan.group,
                    "label": text(plan.label),
                    "next_fetch": iso(plan.next_fetch),
                    "reason": plan.reason,
                    "message": text(plan.message),
                }
                for plan in snap.schedule
            ],
            "entities": [row.to_json() for row in self.entities],
            "history": {
                **self.history_status,
                "message": text(self.history_status.get("message")),
                "not_granted": [g for g, _, _, _, granted in self.history_groups if not granted],
            },
        }


@dataclass(frozen=True)
class HomeAssistantView:
    state: str  # connected, waiting, unreachable, demo or not_configured
    message: str  # English; a Text translates where shown
    url: str
    last_publish: datetime | None

    def to_json(self, translator: Translator | None = None) -> dict[str, Any]:
        return {
            "state": self.state,
            "message": (translator or Translator()).text(self.message),
            "url": self.url,
            "last_publish": iso(self.last_publish),
        }


def address_markup(address: str) -> Markup:
    """An address that wraps only after ``/``, ``?`` or ``&`` (never inside a word)."""
    parts = re.split(r"(?<=[/?&])", address)
    return Markup("<wbr>").join(escape(part) for part in parts if part)


def group_granted(group: str, missing_scopes: set[str]) -> bool:
    """Whether any of the history group's endpoints reads data Oura granted."""
    endpoints = [
        ENDPOINTS_BY_NAME[name] for name in GROUPS.get(group, ()) if name in ENDPOINTS_BY_NAME
    ]
    return not endpoints or any(bare_scope(e.scope) not in missing_scopes for e in endpoints)


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def object_id(entity_id: str) -> str:
    return entity_id.split(".", 1)[-1]


def entity_rows(states: Sequence[EntityState]) -> list[EntityRow]:
    rows = []
    for state in states:
        attributes = state.attributes or {}
        rows.append(
            EntityRow(
                entity_id=state.entity_id,
                name=str(attributes.get("friendly_name") or ""),
                state=state.state,
                unit=str(attributes.get("unit_of_measurement") or ""),
            )
        )
    return sorted(rows, key=lambda row: row.entity_id)


def headline_metrics(
    prefix: str, states: Sequence[EntityState], translator: Translator | None = None
) -> list[Metric]:
    translator = translator or Translator()
    by_object_id = {object_id(s.entity_id): s for s in states}
    metrics = []
    for sensor, place in HEADLINES:
        label = place.label
        state = by_object_id.get(f"{prefix}_{sensor.key}")
        usable = state is not None and state.state not in ("unknown", "unavailable", "")
        unit = str((state.attributes or {}).get("unit_of_measurement") or "") if state else ""
        value, unit = (
            display_value(state.state, unit, translator) if usable and state else (None, unit)
        )
        metrics.append(
            Metric(
                label=label,
                value=value,
                unit="" if unit.lower() == label.lower() else unit,
                entity_id=state.entity_id if state else "",
                state=state.state if state else "",
            )
        )
    return metrics


def entity_state_text(state: str, unit: str, translator: Translator) -> str:
    """An entity's state as the panel writes every value: durations as hours and minutes,
    a timestamp as the locale writes a date and time, numbers in its digits."""
    if "T" in state and state[:4].isdigit():
        try:
            moment = datetime.fromisoformat(state)
        except ValueError:
            pass
        else:
            if moment.tzinfo is not None:
                return translator.datetime(moment)
    value, shown_unit = display_value(state, unit, translator)
    return f"{value} {shown_unit}" if shown_unit else value


def display_value(state: str, unit: str, translator: Translator) -> tuple[str, str]:
    """A card's number as people read it: 7.17 h -> "7 hr 10 min", 7523 -> "7.523" (de)."""
    if unit == "h":
        try:
            return translator.duration_hours(float(state)), ""
        except ValueError:
            return state, unit
    return translator.number(state), unit


def trend_series(
    values: Mapping[str, float], today: date, days: int = TREND_DAYS
) -> tuple[tuple[date, float | None], ...]:
    """The last ``days`` days ending ``today``, oldest first, None where Oura had nothing."""
    start = today - timedelta(days=days - 1)
    return tuple(
        (day, values.get(day.isoformat()))
        for day in (start + timedelta(days=i) for i in range(days))
    )


def trends(
    trend_days: Mapping[str, Mapping[str, float]],
    today: date | None,
    translator: Translator | None = None,
) -> list[Trend]:
    """One chart per trend sensor; no points before the account's first sync."""
    translator = translator or Translator()
    result = []
    for sensor, place in TRENDS:
        label, unit = place.label, sensor.unit or ""
        points = trend_series(trend_days.get(sensor.key, {}), today) if today else ()
        result.append(Trend(label, unit, points, _chart(points, label, unit, translator)))
    return result


def _chart(
    points: tuple[tuple[date, float | None], ...], label: str, unit: str, translator: Translator
) -> str | None:
    if not any(v is not None for _, v in points):
        return None
    try:
        return render_trend_chart(
            points, title=translator.text(label), unit=unit, translator=translator
        )
    except Exception:  # a chart bug must not take the page down; the table still shows
        _LOGGER.exception("Cannot draw the %s chart", label)
        return None


def home_assistant_view(snapshot: AddonSnapshot, demo: bool) -> HomeAssistantView:
    url = snapshot.home_assistant_url
    match snapshot.home_assistant:
        case HomeAssistantState.CONNECTED:
            message: str = _l("Home Assistant: connected.")
        case HomeAssistantState.UNREACHABLE:
            error = snapshot.error or _l("no answer.")
            # The publisher's own sentence already names the address and what will be re-sent.
            message = (
                error
                if url in error
                else _l(
                    "Home Assistant is unreachable at %(url)s: %(why)s. States are kept and "
                    "sent when it answers again.",
                    url=url,
                    why=_without_full_stop(error),
                )
            )
        case HomeAssistantState.WAITING:
            message = _l(
                "Home Assistant: waiting for the first sync to send states to %(url)s.", url=url
            )
        case HomeAssistantState.NOT_CONFIGURED:
            message = (
                _l(
                    "Demo mode: no Home Assistant is connected, so the states are shown only "
                    "in this panel (start the demo with --ha-url and --ha-token to send them "
                    "to one)."
                )
                if demo
                else _l(
                    "Home Assistant is not configured: states are not sent anywhere. "
                    "Restart the add-on; if this stays, reinstall it so it gets API access."
                )
            )
            return HomeAssistantView("demo" if demo else "not_configured", message, url, None)
    return HomeAssistantView(str(snapshot.home_assistant), message, url, snapshot.last_publish)


def _without_full_stop(sentence: str) -> str:
    """A sentence to quote inside another, keeping it translatable when it is a ``Text``."""
    if isinstance(sentence, Text) and sentence.msgid.endswith("."):
        return Text(sentence.msgid[:-1], sentence.params)
    return sentence.strip().rstrip(".")


def collect_accounts(services: Services, sign_ins: SignIns) -> list[AccountView]:
    try:
        accounts = services.accounts.list()
    except Exception:  # a broken store must still leave the panel usable to fix it
        _LOGGER.exception("Cannot list accounts")
        return []
    return [account_view(services, account, sign_ins) for account in accounts]


def account_view(services: Services, account: Account, sign_ins: SignIns) -> AccountView:
    try:
        snapshot = services.sync.account_snapshot(account.name)
    except Exception:  # the scheduler may not know a just-created account yet
        _LOGGER.debug("No snapshot for %s", account.name, exc_info=True)
        snapshot = AccountSnapshot(name=account.name, entity_prefix=account.entity_prefix)
    history = None
    if services.history is not None:
        try:
            history = services.history.status(account.name)
        except Exception:  # an unreadable progress file must not take the panel down
            _LOGGER.exception("No history import status for %s", account.name)
    try:
        sign_in = sign_ins.current(account.name)
    except Exception:  # an unreadable outcome must not take the panel down
        _LOGGER.exception("No sign-in outcome for %s", account.name)
        sign_in = None
    return AccountView(
        name=account.name,
        entity_prefix=account.entity_prefix,
        connection=account.connection,
        email=account.email,
        auth_error=account.auth_error,
        authorizing=sign_in is not None and sign_in.state == "waiting",
        sign_in=sign_in,
        snapshot=snapshot,
        **scope_fields(services, account),
        history=history,
    )


def scope_fields(services: Services, account: Account) -> dict[str, tuple[str, ...]]:
    """granted_scopes/missing_scopes from the stored grant (empty when not connected)."""
    try:
        tokens = services.accounts.tokens(account.name) if account.connected else None
    except Exception:
        _LOGGER.debug("Cannot read the tokens of %s", account.name, exc_info=True)
        tokens = None
    if tokens is None:
        return {}
    return {
        "granted_scopes": tuple(s for s in DEFAULT_SCOPES if tokens.grants(s)),
        "missing_scopes": tuple(s for s in DEFAULT_SCOPES if not tokens.grants(s)),
    }


def portal_of(services: Services) -> str | None:
    """The portal the app's sign-in uses now (what worked, else what was chosen)."""
    try:
        credentials = services.credentials.get()
        return services.oauth.portal_for(credentials) if credentials else None
    except Exception:
        _LOGGER.exception("Cannot tell the Oura app's portal")
        return None


def collect_home_assistant(services: Services) -> HomeAssistantView:
    try:
        snapshot = services.sync.addon_snapshot()
    except Exception:
        _LOGGER.exception("Cannot read the add-on status")
        snapshot = AddonSnapshot(
            HomeAssistantState.UNREACHABLE,
            services.settings.ha_api_url,
            error="status unavailable",
        )
    return home_assistant_view(snapshot, services.settings.demo)


def credentials_description(
    services: Services, translator: Translator | None = None
) -> dict[str, Any]:
    text = (translator or Translator()).text
    try:
        described = dict(services.credentials.describe())
    except Exception:
        _LOGGER.exception("Cannot read the client credentials")
        described = {}
    # Only these keys ever leave: never a secret, whatever describe() grows.
    problems = described.get("problems") or []
    return {
        "client_id": described.get("client_id"),
        "source": described.get("source"),
        "has_secret": bool(described.get("has_secret")),
        "portal": portal_of(services),
        "problems": [text(p) for p in problems] if isinstance(problems, list) else [],
    }


def publish_summary(state: PublishState, translator: Translator) -> str:
    """The panel's one sentence about how the sensors reach Home Assistant."""
    reason = translator.text(state.message) if state.message else ""
    if state.mode == "mqtt" and state.connected:
        if state.devices == 1:
            return translator.gettext(
                "MQTT discovery: connected to the broker at %(broker)s, one device.",
                broker=state.broker or "",
            )
        return translator.gettext(
            "MQTT discovery: connected to the broker at %(broker)s, %(num)d devices.",
            broker=state.broker or "",
            num=state.devices,
        )
    if state.mode == "mqtt":
        return translator.gettext(
            "MQTT discovery: the broker %(broker)s is not connected (%(reason)s). "
            "Oura is still polled and nothing is lost.",
            broker=state.broker or "",
            reason=(reason or translator.gettext("Connecting to the MQTT broker.")).rstrip("."),
        )
    if reason:  # whole sentences: why not MQTT, and what happens next
        return translator.gettext(
            "Core API: states are posted to Home Assistant directly. %(reason)s",
            reason=reason,
        )
    return translator.gettext("Core API: states are posted to Home Assistant directly.")


def publish_state(services: Services) -> PublishState:
    """MQTT or the core API, the broker and its connection (the panel's first card)."""
    if services.publishing is not None:
        return services.publishing()
    return PublishState(mode="core_api", configured=services.settings.publish_mode)


def publish_document(services: Services, translator: Translator | None = None) -> dict[str, Any]:
    translator = translator or Translator()
    state = publish_state(services)
    document = state.to_json()
    document["message"] = translator.text(state.message) if state.message else None
    return document | {"summary": publish_summary(state, translator)}


def addon_problems(services: Services) -> tuple[str, ...]:
    """The options' problems, then /data's condition (full or read-only) and what only
    memory holds because of it."""
    problems = list(services.settings.problems)
    refusal = storage_condition(services.settings.data_dir)
    unsaved = services.accounts.unsaved()
    if refusal is not None:
        problems.append(refusal.user_message)
    if unsaved:
        problems.append(
            _l(
                "The newest tokens of %(accounts)s are kept in memory until /data takes them: "
                "do not restart the add-on before then.",
                accounts=", ".join(unsaved),
            )
        )
    clock_problem = services.clock() if services.clock is not None else None
    if clock_problem:
        problems.append(clock_problem)
    return tuple(problems)


def status_document(
    services: Services, sign_ins: SignIns, translator: Translator | None = None
) -> dict[str, Any]:
    """The body of ``GET /api/status``: everything the panel polls, never a secret.

    Sentences are in ``translator``'s language (the request's), English by default."""
    translator = translator or Translator()
    return {
        "version": __version__,
        "demo": services.settings.demo,
        "problems": [translator.text(p) for p in addon_problems(services)],
        "credentials": credentials_description(services, translator),
        "home_assistant": collect_home_assistant(services).to_json(translator),
        "publish": publish_document(services, translator),
        "accounts": [view.to_json(translator) for view in collect_accounts(services, sign_ins)],
    }
