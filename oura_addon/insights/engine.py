"""When the insights are computed, from what, and where they go.

``Insights`` keeps the choice of entities, and per account recomputes once a day (after the
night is ready, or in the afternoon when it never comes) and whenever the choice changes. A
recompute asks Oura three endpoints (the whole year the first time, then from a week before
the last fetch), lists Home Assistant's statistics once and reads each chosen entity's
hourly means once. Results and the nights stay in /data; last night's mean of each entity
is published as ``sensor.<prefix>_<object id>_last_night``.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, suppress
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from oura_addon import catalogue
from oura_addon.errors import AddonError, InvalidInput
from oura_addon.homeassistant.publisher import Publisher
from oura_addon.homeassistant.rest import HomeAssistantError
from oura_addon.i18n import _l, text_from_json, text_to_json
from oura_addon.insights import core
from oura_addon.insights.statistics import (
    CommandSession,
    NumericStatistic,
    hourly_means,
    numeric_statistics,
)
from oura_addon.oura.client import OuraClient
from oura_addon.oura.endpoints import ENDPOINTS_BY_NAME
from oura_addon.states import EntityState, account_label, last_night_entity_id
from oura_addon.store.accounts import Account, AccountStore, Connection
from oura_addon.store.insights import InsightStore
from oura_addon.ticker import Ticker

__all__ = ["Insights", "InsightsUnavailable", "compute", "last_night_entity_id", "last_night_state"]

_LOGGER = logging.getLogger(__name__)

ENDPOINTS = ("sleep", "daily_sleep", "daily_readiness")
# Oura revises recent days: each fetch reaches back this far before the last one.
REFETCH_DAYS = 7
# Without last night's data by this hour, the day's insights are computed without it.
GIVE_UP_HOUR = 14
TICK_SECONDS = 600.0
LIST_SECONDS = 300.0

SessionFactory = Callable[[], AbstractContextManager[CommandSession]]


class InsightsUnavailable(AddonError):
    """Home Assistant's statistics cannot be read now."""


def last_night_state(
    prefix: str, label: str | None, entity_id: str, entry: Mapping[str, Any]
) -> EntityState:
    """The ``_last_night`` sensor of one chosen entity: its mean during last night's sleep."""
    sensor = last_night_entity_id(prefix, entity_id)
    name = f"{entry.get('name') or entity_id} last night"  # English, like the catalogue's names
    attributes: dict[str, Any] = {
        "friendly_name": f"Oura {label} {name}" if label else name,
        "icon": "mdi:bed-clock",
        "state_class": "measurement",
        "source": entity_id,
        "day": entry.get("day"),
        "attribution": catalogue.ATTRIBUTION,
    }
    if entry.get("unit"):
        attributes["unit_of_measurement"] = entry["unit"]
    value = entry.get("value")
    return EntityState(sensor, "unknown" if value is None else str(value), attributes)


def _nights_from(doc: Mapping[str, Any]) -> dict[date, tuple[core.Night, dict[str, float]]]:
    nights: dict[date, tuple[core.Night, dict[str, float]]] = {}
    raw = doc.get("nights")
    for day, entry in raw.items() if isinstance(raw, dict) else ():
        try:
            night = core.Night(
                date.fromisoformat(day),
                datetime.fromisoformat(entry["start"]),
                datetime.fromisoformat(entry["end"]),
            )
        except (TypeError, ValueError, KeyError):
            continue
        if night.start.tzinfo is None or night.end <= night.start:
            continue
        measures = entry.get("measures")
        nights[night.day] = (
            night,
            {
                k: float(v)
                for k, v in (measures.items() if isinstance(measures, dict) else ())
                if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            },
        )
    return nights


def _nights_to(nights: Mapping[date, tuple[core.Night, dict[str, float]]]) -> dict[str, Any]:
    return {
        day.isoformat(): {
            "start": night.start.isoformat(),
            "end": night.end.isoformat(),
            "measures": measures,
        }
        for day, (night, measures) in sorted(nights.items())
    }


def merge_nights(
    known: Mapping[date, tuple[core.Night, dict[str, float]]],
    records: Mapping[str, Any],
    today: date,
    tz: tzinfo,
) -> dict[date, tuple[core.Night, dict[str, float]]]:
    """``known`` with the fetched nights (newer values win), the last year only."""
    windows = core.night_windows(records.get("sleep", ()))
    values = catalogue.daily_values(records, today=today, tz=tz)
    merged = dict(known)
    for day, night in windows.items():
        iso = day.isoformat()
        measures = {
            m.key: values[m.key][iso] for m in core.MEASURES if iso in values.get(m.key, {})
        }
        merged[day] = (night, measures)
    oldest = today - timedelta(days=core.MAX_NIGHTS)
    return {d: entry for d, entry in merged.items() if oldest < d <= today}


def relation_to_json(relation: core.Relation, statistic: NumericStatistic) -> dict[str, Any]:
    return {
        "entity_id": relation.entity_id,
        "entity_name": statistic.label,
        "unit": statistic.unit,
        "measure": relation.measure,
        "nights": relation.nights,
        "correlation": None if relation.correlation is None else round(relation.correlation, 4),
        "interval": None
        if relation.interval is None
        else [round(relation.interval[0], 4), round(relation.interval[1], 4)],
        "clear": relation.clear,
        "bins": [
            {
                "from": round(b.low, 3),
                "to": round(b.high, 3),
                "nights": b.nights,
                "mean": round(b.mean, 3),
            }
            for b in relation.bins
        ],
        "sentence": text_to_json(core.sentence(relation, statistic.label, statistic.unit)),
    }


def compute(
    nights: Mapping[date, tuple[core.Night, dict[str, float]]],
    statistic: NumericStatistic,
    hours: list[tuple[datetime, float]],
) -> tuple[list[core.Relation], dict[date, float]]:
    """Every measure's relation with one entity, and the entity's mean per night."""
    means = core.night_means({day: night for day, (night, _) in nights.items()}, hours)
    relations = []
    for measure in core.MEASURES:
        by_day = {
            d.isoformat(): measures[measure.key]
            for d, (_, measures) in nights.items()
            if measure.key in measures
        }
        relations.append(
            core.relate(statistic.statistic_id, measure.key, core.pairs_for(means, by_day))
        )
    return relations, means


class Insights:
    def __init__(
        self,
        *,
        store: InsightStore,
        accounts: AccountStore,
        oura_client: Callable[[str], OuraClient],
        session: SessionFactory,
        timezone: Callable[[], tzinfo],
        night_ready: Callable[[str, date], bool] = lambda name, day: True,
        publisher: Publisher | None = None,
        clock: Callable[[], float] = time.time,
        tick_seconds: float = TICK_SECONDS,
    ) -> None:
        self._store = store
        self._accounts = accounts
        self._oura_client = oura_client
        self._session = session
        self._timezone = timezone
        self._night_ready = night_ready
        self._publisher = publisher
        self._clock = clock
        self._ticker = Ticker(
            "oura-insights",
            lambda: self.tick(),
            tick_seconds,
            "Insights: a cycle failed; trying again later",
        )
        self._busy = threading.Lock()  # one recompute at a time
        self._listing_lock = threading.Lock()
        # When Home Assistant was last asked for its statistics, and what it answered.
        self._listing: tuple[float, list[NumericStatistic] | InsightsUnavailable] | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        self._ticker.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._ticker.stop(timeout)

    def tick(self) -> None:
        accounts = self._accounts.list()
        for account in accounts:
            if self._ticker.stopping:
                return
            if self.due(account):
                self.refresh(account.name)
        names = {a.name for a in accounts}
        for name in self._store.accounts():
            if name not in names:  # the account was removed: so are its insights
                self.forget(name)

    def due(self, account: Account) -> bool:
        if account.connection != Connection.CONNECTED:
            return False
        doc = self._store.load(account.name)
        chosen = self._store.chosen()
        if doc.get("choice", []) != chosen:
            return True
        if not chosen:
            return False
        now = datetime.fromtimestamp(self._clock(), self._timezone())
        computed = doc.get("computed")
        if not isinstance(computed, str) or computed < now.date().isoformat():
            return now.hour >= GIVE_UP_HOUR or self._night_ready(account.name, now.date())
        return False

    # -- the choice (what the panel calls) ----------------------------------------------------

    def entities(self, *, fresh: bool = False) -> list[NumericStatistic]:
        """The numeric entities with statistics Home Assistant has, asked at most every
        ``LIST_SECONDS`` (each panel page shows the picker); ``fresh`` asks now."""
        with self._listing_lock:
            cached = self._listing
            if not fresh and cached and self._clock() - cached[0] < LIST_SECONDS:
                if isinstance(cached[1], InsightsUnavailable):
                    raise cached[1]
                return list(cached[1])
            try:
                with self._session() as session:
                    listed = numeric_statistics(session)
            except HomeAssistantError as err:
                problem = InsightsUnavailable(
                    _l(
                        "Home Assistant's statistics cannot be read now: %(reason)s",
                        reason=err.user_message,
                    )
                )
                self._listing = (self._clock(), problem)
                raise problem from None
            self._listing = (self._clock(), listed)
            return list(listed)

    def chosen(self) -> list[str]:
        return self._store.chosen()

    def choose(self, entity_ids: list[str]) -> list[str]:
        """Keep the choice; an entity without statistics is refused with a sentence."""
        offered = {s.statistic_id for s in self.entities(fresh=True)}
        for entity_id in entity_ids:
            if entity_id not in offered:
                raise InvalidInput(
                    _l(
                        "%(entity)s has no long-term statistics in Home Assistant, so it cannot "
                        "be related to your nights. Choose a numeric sensor with a state class.",
                        entity=entity_id,
                    )
                )
        unique = list(dict.fromkeys(entity_ids))
        self._store.choose(unique)
        self._ticker.wake()
        return unique

    # -- results ------------------------------------------------------------------------------

    def results(self, account: str) -> list[dict[str, Any]]:
        """The stored relations, strongest first, each sentence a ``Text``."""
        doc = self._store.load(account)
        stored = doc.get("results")
        return [
            {**r, "sentence": text_from_json(r.get("sentence"))}
            for r in (stored if isinstance(stored, list) else ())
            if isinstance(r, dict)
        ]

    def refresh(self, name: str) -> bool:
        """Recompute one account's insights now; False when it could not (logged)."""
        with self._busy:
            account = self._accounts.get(name)
            if account is None or account.connection != Connection.CONNECTED:
                return False
            try:
                return self._refresh(account)
            except (AddonError, OSError) as err:
                reason = err.user_message if isinstance(err, AddonError) else str(err)
                _LOGGER.warning("Insights of %s wait for the next try: %s", name, reason)
                return False

    def _refresh(self, account: Account) -> bool:
        tz = self._timezone()
        now = datetime.fromtimestamp(self._clock(), tz)
        today = now.date()
        doc = self._store.load(account.name)
        chosen = self._store.chosen()
        if not chosen:
            self._store.save(account.name, {**doc, "choice": [], "results": [], "last_night": {}})
            self._publish_last_night(account, doc.get("last_night"), {})
            return True
        with self._session() as session:  # Home Assistant first: when it is down, Oura is spared
            offered = {s.statistic_id: s for s in numeric_statistics(session)}
        # Oura may take a while (pages, retries): no websocket is held open meanwhile.
        nights = self._fetch_nights(account, doc, today, tz)
        doc = {**doc, "nights": _nights_to(nights), "fetched": today.isoformat()}
        results: list[tuple[core.Relation, NumericStatistic]] = []
        last_night: dict[str, Any] = {}
        latest = max(nights, default=None)
        span = core.hours_of(night for night, _ in nights.values())
        with self._session() as session:
            for entity_id in chosen:
                statistic = offered.get(entity_id, NumericStatistic(entity_id, None, None))
                hours = hourly_means(session, entity_id, *span) if span else []
                relations, means = compute(nights, statistic, hours)
                results += [(r, statistic) for r in relations]
                value = means.get(latest) if latest else None
                last_night[entity_id] = {
                    "day": latest.isoformat() if latest else None,
                    "value": None if value is None else round(value, 2),
                    "unit": statistic.unit,
                    "name": statistic.label,
                }
        results.sort(key=lambda pair: core.strength(pair[0]), reverse=True)
        previous = doc.get("last_night")
        doc = {
            **doc,
            "prefix": account.entity_prefix,
            "choice": chosen,
            "computed": today.isoformat(),
            "results": [relation_to_json(r, s) for r, s in results],
            "last_night": last_night,
        }
        self._store.save(account.name, doc)
        self._publish_last_night(account, previous, last_night)
        return True

    def _fetch_nights(
        self, account: Account, doc: Mapping[str, Any], today: date, tz: tzinfo
    ) -> dict[date, tuple[core.Night, dict[str, float]]]:
        known = _nights_from(doc)
        first = today - timedelta(days=core.MAX_NIGHTS)
        fetched = doc.get("fetched")
        if isinstance(fetched, str) and known:
            with suppress(ValueError):
                first = max(first, date.fromisoformat(fetched) - timedelta(days=REFETCH_DAYS))
        tokens = self._accounts.tokens(account.name)
        granted = tokens.grants if tokens is not None else None
        client = self._oura_client(account.name)
        result = client.sync(
            [ENDPOINTS_BY_NAME[e] for e in ENDPOINTS], first, today, granted=granted, tz=tz
        )
        for endpoint, error in result.errors.items():
            _LOGGER.info("Insights of %s: Oura %s: %s", account.name, endpoint, error)
        return merge_nights(known, result.records, today, tz)

    def _publish_last_night(
        self, account: Account, previous: Any, last_night: Mapping[str, Mapping[str, Any]]
    ) -> None:
        if self._publisher is None:
            return
        prefix = account.entity_prefix
        label = account_label(account.name, prefix)
        made = (last_night_state(prefix, label, e, entry) for e, entry in last_night.items())
        states = {state.entity_id: state for state in made}
        gone = [
            last_night_entity_id(prefix, e)
            for e in (previous if isinstance(previous, dict) else {})
            if e not in last_night
        ]
        try:
            if states:
                self._publisher.publish(states)
            if gone:
                self._publisher.remove(gone)
        except HomeAssistantError as err:
            _LOGGER.warning("Insights: last night's sensors wait: %s", err.user_message)

    def forget(self, account: str) -> None:
        """A removed account: its file and its sensors go."""
        doc = self._store.load(account)
        self._store.delete(account)
        prefix, previous = doc.get("prefix"), doc.get("last_night")
        if self._publisher is None or not isinstance(prefix, str):
            return
        if isinstance(previous, dict) and previous:
            try:
                self._publisher.remove([last_night_entity_id(prefix, e) for e in previous])
            except HomeAssistantError as err:
                _LOGGER.warning("Insights: %s", err.user_message)
