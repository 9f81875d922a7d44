"""Oura's webhook events, worked on after the answer: one queue, one worker thread.

An event names a user, a data type and a document. The worker finds the account of that
Oura user, fetches the document (the single-document route: it exists and is that user's),
then makes the endpoint due at once: the scheduler's next sync asks it and publishes the
changed states the way every sync does. Unknown users and data types are acknowledged by
the webhook port and dropped here.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Protocol

from oura_addon.errors import AddonError
from oura_addon.oura.client import OuraClient
from oura_addon.oura.errors import NotFound, OuraApiError
from oura_addon.oura.webhooks import ENDPOINT_OF
from oura_addon.store.accounts import AccountStore
from oura_addon.store.webhooks import WebhookStore
from oura_addon.web.webhook import WebhookEvent

_LOGGER = logging.getLogger(__name__)

QUEUE_SIZE = 500
# Oura user ids are asked again at most this often when an event names an unknown one.
RELEARN_USERS_SECONDS = 300.0
# The last event's moment reaches /data at most this often.
SAVE_LAST_EVENT_SECONDS = 60.0


class PushTarget(Protocol):
    def pushed_event(self, account: str, endpoint: str) -> None: ...


class PushEvents:
    def __init__(
        self,
        *,
        accounts: AccountStore,
        oura_client: Callable[[str], OuraClient],
        store: WebhookStore,
        target: PushTarget,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._accounts = accounts
        self._oura_client = oura_client
        self._store = store
        self._target = target
        self._clock = clock
        self._queue: queue.Queue[WebhookEvent | None] = queue.Queue(QUEUE_SIZE)
        self._thread: threading.Thread | None = None
        self._learned_at = float("-inf")
        self._saved_at = float("-inf")
        self.last_event: float | None = store.load().last_event
        self.handled = 0

    def offer(self, event: WebhookEvent) -> bool:
        """From the webhook port: never blocks; False when the queue is full."""
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            return False
        return True

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="oura-webhook-events", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)

    def _run(self) -> None:
        while True:
            event = self._queue.get()
            if event is None:
                return
            try:
                self.handle(event)
            except Exception:  # one bad event never ends the worker
                _LOGGER.exception("Webhook event for %s failed", event.data_type)

    def learn_users(self, force: bool = False) -> dict[str, str]:
        """Oura user id of every connected account (asked once per account, kept in /data)."""
        known = dict(self._store.load().users)
        now = self._clock()
        if not force and now - self._learned_at < RELEARN_USERS_SECONDS:
            return known
        self._learned_at = now
        changed = False
        for account in self._accounts.list():
            if not account.connected or account.name in known:
                continue
            try:
                user_id = self._oura_client(account.name).personal_info().id
            except OuraApiError as err:
                _LOGGER.info("Oura user id of %s unavailable: %s", account.name, err.user_message)
                continue
            if user_id:
                known[account.name] = user_id
                changed = True
        if changed:
            self._store.update(lambda r: replace(r, users=dict(known)))
        return known

    def _account_of(self, user_id: str) -> str | None:
        known = self._store.load().users
        for force in (False, True):
            found = next((a for a, u in known.items() if u == user_id), None)
            if found is not None and self._accounts.get(found) is not None:
                return found
            if force:
                break
            known = self.learn_users()
        return None

    def handle(self, event: WebhookEvent) -> None:
        endpoint = ENDPOINT_OF.get(event.data_type)
        if endpoint is None:
            _LOGGER.debug("Webhook event for data type %s ignored", event.data_type[:40])
            return
        account = self._account_of(event.user_id)
        if account is None:
            _LOGGER.info("Webhook event for an Oura user without an account here; ignored")
            return
        self._heard(event.received_at)
        try:
            self._oura_client(account).document(endpoint, event.object_id)
        except NotFound:
            _LOGGER.info("Webhook: %s document of %s is gone; ignored", endpoint, account)
            return
        except AddonError as err:  # the sync decides what the error means (e.g. reconnect)
            _LOGGER.info("Webhook: %s document of %s: %s", endpoint, account, err.user_message)
        self.handled += 1
        _LOGGER.debug("Webhook: %s of %s changed; syncing it", endpoint, account)
        self._target.pushed_event(account, endpoint)

    def _heard(self, moment: float) -> None:
        self.last_event = moment
        if moment - self._saved_at >= SAVE_LAST_EVENT_SECONDS:
            self._saved_at = moment
            self._store.update(lambda r: replace(r, last_event=moment))
