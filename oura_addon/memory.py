"""Keeping the process small on small machines: glibc's allocator, tuned at start and trimmed
after work. A no-op where the C library is not glibc (the add-on image's Alpine uses musl,
whose allocator already gives freed pages back)."""

from __future__ import annotations

import ctypes
import gc
import logging
import threading
import time
from collections.abc import Callable

_LOGGER = logging.getLogger(__name__)

# mallopt's parameter number for the arena cap (glibc's malloc.h).
_M_ARENA_MAX = -8
# One arena for the main thread and one shared by every worker: each sync runs on a thread of
# its own, and glibc would otherwise give new threads arenas of their own (up to 8 a core)
# that keep their freed pages.
ARENAS = 2


def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(None)  # the C library the interpreter already runs on
    except OSError:
        return None
    # Only glibc has gnu_get_libc_version (and these two knobs).
    wanted = ("gnu_get_libc_version", "malloc_trim", "mallopt")
    return libc if all(hasattr(libc, name) for name in wanted) else None


# A trim walks the heap (a few milliseconds): after the panel's requests at most this often.
QUIET_TRIM_SECONDS = 10.0


class Allocator:
    """The C allocator's two knobs the add-on uses; every call is harmless without glibc."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._libc = _glibc()
        self._clock = clock
        self._lock = threading.Lock()
        self._last_request_trim = float("-inf")

    def limit_arenas(self) -> None:
        if self._libc is not None and not self._libc.mallopt(_M_ARENA_MAX, ARENAS):
            _LOGGER.debug("mallopt(M_ARENA_MAX) was refused")

    def release_free_pages(self) -> None:
        """Give the pages freed by a finished sync back to the system."""
        if self._libc is not None:
            gc.collect()  # a sync's and a page's reference cycles first, so their pages free
            self._libc.malloc_trim(0)

    def release_now_and_then(self) -> None:
        """A trim unless one ran in the last few seconds (after each panel request)."""
        with self._lock:
            if self._clock() - self._last_request_trim < QUIET_TRIM_SECONDS:
                return
            self._last_request_trim = self._clock()
        self.release_free_pages()
