"""Keep Oura's webhook subscriptions what the options and the accounts say, and report them.

One thread: at start, then whenever what is wanted changes (the option, the credentials,
the accounts; looked at every minute without calling Oura) and every hour, it reconciles:
Oura's list against the planner's wish (oura/webhooks.py), intents written to /data before
each call, so a kill -9 anywhere leaves nothing the next pass cannot find. "Test" asks Oura
to verify the callback again (an update of each subscription).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from oura_addon.i18n import _l
from oura_addon.oura.tokens import AppCredentials
from oura_addon.oura.webhooks import (
    DATA_TYPE_OF,
    ENDPOINT_OF,
    Create,
    Delete,
    Renew,
    SubscriptionGone,
    Update,
    WebhookApi,
    WebhookError,
    plan,
    wanted_pairs,
)
from oura_addon.scheduling.memory import scheduled_names
from oura_addon.store.accounts import AccountStore
from oura_addon.store.webhooks import Subscription, WebhookRecord, WebhookStore

_LOGGER = logging.getLogger(__name__)

CHECK_SECONDS = 10.0  # how often the wish is compared with what was last reconciled (no Oura call)
RECONCILE_SECONDS = 3600.0  # how often Oura's list is read anyway (renewals, lost ones)
RETRY_SECONDS = 120.0  # after a failed pass, doubling up to RECONCILE_SECONDS


class WebhookManager:
    def __init__(
        self,
        *,
        callback_url: str | None,
        accounts: AccountStore,
        credentials: Callable[[], AppCredentials | None],
        store: WebhookStore,
        api: WebhookApi,
        on_pushed: Callable[[frozenset[str]], None],
        lapsed: Callable[[], bool] = lambda: False,
        last_event: Callable[[], float | None] = lambda: None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._callback = callback_url
        self._accounts = accounts
        self._credentials = credentials
        self._store = store
        self._api = api
        self._on_pushed = on_pushed
        self._lapsed = lapsed
        self._last_event = last_event
        self._clock = clock
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._test_requested = False
        self._thread: threading.Thread | None = None
        self._reconciled_for: tuple[Any, ...] | None = None
        self._reconciled_at = float("-inf")
        self._failures = 0
        self._retry_at = float("-inf")
        self._error: str | None = None  # a sentence (Text) for the panel
        self._verified: bool | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="oura-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.step()
            except Exception:  # one bad pass never ends the thread
                _LOGGER.exception("Webhook subscriptions: the pass failed; trying again later")
            self._wake.wait(CHECK_SECONDS)
            self._wake.clear()

    def step(self) -> None:
        now = self._clock()
        if now < self._retry_at and not self._test_requested:
            return  # Oura refused or did not answer: wait before asking again
        wish = self._wish()
        due = now - self._reconciled_at >= RECONCILE_SECONDS
        if wish != self._reconciled_for or due or self._test_requested:
            self.reconcile()

    def test(self) -> None:
        """ "Test" in the panel: Oura verifies the callback again, soon, on this thread."""
        self._test_requested = True
        self._wake.set()

    # -- what is wanted -----------------------------------------------------------------------

    def _wanted_endpoints(self) -> frozenset[str]:
        names: set[str] = set()
        for account in self._accounts.list():
            if not account.connected:
                continue
            tokens = self._accounts.tokens(account.name)
            names |= set(scheduled_names(tokens.grants if tokens is not None else None))
        return frozenset(n for n in names if n in DATA_TYPE_OF)

    def _wish(self) -> tuple[Any, ...]:
        creds = self._credentials()
        endpoints = self._wanted_endpoints() if self._callback and creds else frozenset()
        return (self._callback, creds.client_id if creds else None, endpoints)

    # -- reconciling --------------------------------------------------------------------------

    def reconcile(self) -> None:
        wish = self._wish()
        callback, _, endpoints = wish
        creds = self._credentials()
        test, self._test_requested = self._test_requested, False
        record = self._store.load()
        try:
            if record.client is not None and (
                creds is None or record.client != (creds.client_id, creds.client_secret)
            ):
                # Made with other credentials: only those can delete them.
                old = AppCredentials(*record.client)
                try:
                    self._apply(old, record, frozenset(), None)
                except WebhookError as err:
                    if err.status != 401:
                        raise
                    # That app's secret no longer works: Oura lets its subscriptions expire.
                    _LOGGER.warning("Webhook subscriptions of the previous app: %s", err)
                record = self._store.update(
                    lambda r: replace(r, client=None, subscriptions=(), callbacks=())
                )
            wanted = wanted_pairs(endpoints)
            if creds is not None and (wanted or record.subscriptions or record.callbacks):
                self._apply(creds, record, wanted, callback)
                if test:
                    self._verify_again(creds, callback)
            self._error = None
        except WebhookError as err:
            self._error = err.user_message
            self._failures += 1
            wait = min(RECONCILE_SECONDS, RETRY_SECONDS * 2 ** (self._failures - 1))
            self._retry_at = self._clock() + wait
            _LOGGER.warning(
                "Webhook subscriptions: %s (trying again in %d min)", err.user_message, wait // 60
            )
            self._publish_pushed()
            return
        self._reconciled_for = wish
        self._reconciled_at = self._clock()
        self._failures = 0
        self._retry_at = float("-inf")
        self._publish_pushed()

    def _apply(
        self,
        creds: AppCredentials,
        record: WebhookRecord,
        wanted: frozenset[tuple[str, str]],
        callback: str | None,
    ) -> None:
        if wanted and callback is not None:
            # The intent first: after a crash mid-call this address is known to be ours.
            self._store.update(
                lambda r: replace(
                    r,
                    client=(creds.client_id, creds.client_secret),
                    callbacks=tuple(dict.fromkeys((*r.callbacks, callback))),
                )
            )
        existing = self._api.list(creds)
        ours = {*record.callbacks, *(s.callback_url for s in record.subscriptions)}
        ours |= {s.id for s in record.subscriptions}
        now = datetime.fromtimestamp(self._clock(), UTC)
        actions = plan(wanted, existing, callback, ours, now)
        kept = {s.id: s for s in existing if s.callback_url == callback or s.id in ours}
        token = self._store.verification_token() if wanted else ""
        for action in actions:
            match action:
                case Delete(sub_id):
                    with contextlib.suppress(SubscriptionGone):
                        self._api.delete(creds, sub_id)
                    kept.pop(sub_id, None)
                case Create(data_type, event_type):
                    assert callback is not None
                    made = self._api.create(creds, callback, token, (data_type, event_type))
                    kept[made.id] = made
                    self._verified = True
                case Update(sub_id, data_type, event_type):
                    assert callback is not None
                    made = self._api.update(creds, sub_id, callback, token, (data_type, event_type))
                    kept[made.id] = made
                case Renew(sub_id):
                    try:
                        kept[sub_id] = self._api.renew(creds, sub_id)
                    except SubscriptionGone:
                        kept.pop(sub_id, None)  # the next pass creates it again
            self._save(kept.values(), wanted, callback)
        self._save(kept.values(), wanted, callback)
        if actions:
            _LOGGER.info(
                "Webhook subscriptions: %d change(s); %d live",
                len(actions),
                len([s for s in kept.values() if s.pair in wanted]),
            )

    def _save(
        self,
        subscriptions: Iterable[Subscription],
        wanted: frozenset[tuple[str, str]],
        callback: str | None,
    ) -> None:
        mine = tuple(s for s in subscriptions if s.pair in wanted and s.callback_url == callback)
        others = tuple(s for s in subscriptions if s not in mine)

        def record(current: WebhookRecord) -> WebhookRecord:
            # Until every leftover is gone, their addresses stay "ours".
            leftovers = {s.callback_url for s in others}
            callbacks = tuple(c for c in current.callbacks if c == callback or c in leftovers)
            return replace(
                current,
                subscriptions=mine + others,
                callbacks=callbacks if (mine or others or wanted) else (),
                client=current.client if (mine or others or wanted) else None,
            )

        self._store.update(record)

    def _verify_again(self, creds: AppCredentials, callback: str | None) -> None:
        if callback is None:
            return
        token = self._store.verification_token()
        record = self._store.load()
        try:
            for sub in record.subscriptions:
                self._api.update(creds, sub.id, callback, token, sub.pair)
            self._verified = True
        except WebhookError:
            self._verified = False
            raise

    def _publish_pushed(self) -> None:
        record = self._store.load()
        live = {s.pair for s in record.subscriptions if s.callback_url == self._callback}
        endpoints = frozenset(
            ENDPOINT_OF[d] for d, _ in live if all((d, e) in live for e in ("create", "update"))
        )
        self._on_pushed(endpoints if self._callback else frozenset())

    # -- what the panel shows -----------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        record = self._store.load()
        subscriptions = [
            {
                "data_type": s.data_type,
                "event_type": s.event_type,
                "expiration": s.expiration_time,
            }
            for s in sorted(record.subscriptions, key=lambda s: s.pair)
            if s.callback_url == self._callback
        ]
        last = self._last_event()
        message: str
        if self._callback is None:
            state, message = (
                "off",
                _l(
                    "Webhooks are off: set the webhook_url option to a public address to have "
                    "Oura push new data."
                ),
            )
        elif self._error is not None:
            state, message = "error", self._error
        elif not subscriptions and not self._wish()[2]:
            state, message = "pending", _l("Webhooks start once an account is connected.")
        elif not subscriptions:
            state, message = "pending", _l("Subscribing to Oura's webhooks...")
        elif self._lapsed():
            state, message = (
                "lapsed",
                _l(
                    "No event from Oura for a day while polling finds new data: check the public "
                    "address. Polling has taken over."
                ),
            )
        else:
            state, message = (
                "active",
                _l("Oura pushes new data to this add-on; polling is only a safety net."),
            )
        return {
            "state": state,
            "url": self._callback,
            "subscriptions": subscriptions,
            "last_event": datetime.fromtimestamp(last, UTC).isoformat() if last else None,
            "verified": self._verified,
            "message": message,
        }
