"""What the scheduler remembers about each account between syncs, and the one removal rule.

``Runtimes`` is the registry, guarded by one lock. Removing an account marks its
``AccountRuntime`` removed; a sync that captured that runtime then finds every update refused,
so nothing a late sync brings back (states, errors, notifications) outlives the removal.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from oura_addon.states import EntityState


@dataclass
class AccountRuntime:
    next_due: float = 0.0
    running: bool = False
    rerun: bool = False  # "sync now" came while running: the next sync is due at once
    last_sync: datetime | None = None
    last_error: str | None = None
    endpoint_errors: dict[str, str] = field(default_factory=dict)
    states: dict[str, EntityState] = field(default_factory=dict)
    removed: bool = False
    # Endpoint -> the local day its last reconcile_days were last fetched.
    reconciled_on: dict[str, date] = field(default_factory=dict)


class Runtimes:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_name: dict[str, AccountRuntime] = {}

    def claim_due(self, name: str, now: float) -> AccountRuntime | None:
        """The account's runtime, marked running, when its sync is due and not running."""
        with self._lock:
            runtime = self._by_name.setdefault(name, AccountRuntime())
            if runtime.running or runtime.next_due > now:
                return None
            runtime.running = True
            return runtime

    def current(self, name: str) -> AccountRuntime:
        """The account's runtime, created on first use."""
        with self._lock:
            return self._by_name.setdefault(name, AccountRuntime())

    def update(self, runtime: AccountRuntime, change: Callable[[AccountRuntime], None]) -> bool:
        """Apply ``change`` under the lock unless the account was removed; True if applied."""
        with self._lock:
            if runtime.removed:
                return False
            change(runtime)
            return True

    def finish(self, runtime: AccountRuntime, next_due: float) -> None:
        """A sync ended: due again at ``next_due``, or at once if "sync now" came meanwhile."""
        with self._lock:
            runtime.running = False
            runtime.next_due = 0.0 if runtime.rerun else next_due
            runtime.rerun = False

    def due_now(self, name: str | None) -> None:
        """Make one account (or every account) due at once."""
        with self._lock:
            for known, runtime in self._by_name.items():
                if name is None or known == name:
                    runtime.next_due = 0.0
                    runtime.rerun = runtime.running
            if name is not None:
                self._by_name.setdefault(name, AccountRuntime()).next_due = 0.0

    def remove(self, name: str) -> AccountRuntime | None:
        """Forget the account: the one place that decides it is gone."""
        with self._lock:
            runtime = self._by_name.pop(name, None)
            if runtime is not None:
                runtime.removed = True
            return runtime

    def view(self, name: str) -> AccountRuntime:
        """A copy of the account's runtime to read without the lock (a blank one if unknown)."""
        with self._lock:
            runtime = self._by_name.get(name) or AccountRuntime()
            return AccountRuntime(
                next_due=runtime.next_due,
                running=runtime.running,
                last_sync=runtime.last_sync,
                last_error=runtime.last_error,
                endpoint_errors=dict(runtime.endpoint_errors),
                states=dict(runtime.states),
                reconciled_on=dict(runtime.reconciled_on),
            )

    def all_states(self) -> dict[str, EntityState]:
        with self._lock:
            return {e: s for rt in self._by_name.values() for e, s in rt.states.items()}
