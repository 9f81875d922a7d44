"""Oura's moments announced to Home Assistant: decided after each sync, delivered once.

``scheduling.moments`` decides which moments are new; this keeps its memory and the events
not yet delivered in /data (``store.moments``), and hands them to ``deliver`` (the MQTT event
entities or the core API's bus). The memory is saved before delivering, so a restart never
fires a moment again; an event Home Assistant did not take waits for the next tick, and one
older than ``STALE_SECONDS`` is dropped (a "night ready" in the evening helps nobody).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from oura_addon.catalogue.events import EVENTS_BY_KEY, EventDescription
from oura_addon.scheduling.moments import Memory, new_moments
from oura_addon.states import EntityState
from oura_addon.store.moments import AccountMoments, MomentStore, PendingEvent

_LOGGER = logging.getLogger(__name__)

STALE_SECONDS = 6 * 3600.0

# account, event, its data -> delivered
Deliver = Callable[[str, EventDescription, Mapping[str, Any]], bool]


class Announcements:
    def __init__(
        self,
        store: MomentStore,
        deliver: Deliver | None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._deliver = deliver
        self._clock = clock
        self._lock = threading.Lock()  # one account's memory read, changed and saved at a time
        self._waiting: set[str] | None = None  # accounts with pending events (None: not read)

    def after_sync(
        self,
        account: str,
        prefix: str,
        states: Mapping[str, EntityState],
        documents: Mapping[str, Sequence[Any]],
        today: date,
    ) -> int:
        """Decide this sync's moments, remember them, deliver; how many were new."""
        with self._lock:
            stored = self._store.load(account)
            found = new_moments(
                Memory(stored.announced, stored.baselined),
                prefix=prefix,
                states=states,
                documents=documents,
                today=today,
            )
            now = self._clock()
            pending = stored.pending + tuple(
                PendingEvent(m.event.key, m.payload(), now) for m in found.moments
            )
            updated = AccountMoments(found.memory.announced, found.memory.baselined, pending)
            if updated != stored:
                self._store.save(account, updated)
            if pending and self._waiting is not None:
                self._waiting.add(account)
        for moment in found.moments:
            _LOGGER.info("Account %s: %s %s", account, moment.event.bus_event, moment.id)
        self.deliver(account)
        return len(found.moments)

    def deliver_all(self, accounts: Sequence[str]) -> None:
        """Between syncs: whatever is still waiting (after a restart, Home Assistant back)."""
        with self._lock:
            if self._waiting is None:
                self._waiting = {a for a in accounts if self._store.load(a).pending}
            waiting = sorted(self._waiting & set(accounts))
        for account in waiting:
            self.deliver(account)

    def deliver(self, account: str) -> None:
        if self._deliver is None:
            return
        with self._lock:
            stored = self._store.load(account)
            if not stored.pending:
                if self._waiting is not None:
                    self._waiting.discard(account)
                return
            now = self._clock()
            remaining: list[PendingEvent] = []
            for index, event in enumerate(stored.pending):
                description = EVENTS_BY_KEY.get(event.key)
                if description is None or now - event.decided_at > STALE_SECONDS:
                    _LOGGER.info("Account %s: dropping a stale %s event", account, event.key)
                    continue
                if not self._deliver(account, description, event.data):
                    remaining = list(stored.pending[index:])  # the rest keep their order
                    break
            self._store.save(
                account, AccountMoments(stored.announced, stored.baselined, tuple(remaining))
            )
            if self._waiting is not None:
                if remaining:
                    self._waiting.add(account)
                else:
                    self._waiting.discard(account)

    def forget(self, account: str) -> None:
        with self._lock:
            self._store.delete(account)
            if self._waiting is not None:
                self._waiting.discard(account)
