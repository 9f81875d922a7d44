"""A background loop: one daemon thread that runs a cycle every few seconds or when woken."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

_LOGGER = logging.getLogger(__name__)


class Ticker:
    """Calls ``cycle`` every ``seconds``, or at once after ``wake()``, until ``stop()``.

    One failing cycle is logged with ``failure`` and never ends the loop.
    """

    def __init__(self, name: str, cycle: Callable[[], None], seconds: float, failure: str) -> None:
        self._name = name
        self._cycle = cycle
        self._seconds = seconds
        self._failure = failure
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._cycle()
            except Exception:
                _LOGGER.exception(self._failure)
            self._wake.wait(self._seconds)
            self._wake.clear()
