"""What Oura's answers say about this machine's clock.

The add-on judges "today", the night's day and token expiry by the local clock: a clock far
off makes it ask for days Oura has not reached (or long settled), and most sensors turn
``unknown``. Every answer's ``Date`` header is Oura's time; an offset beyond a few minutes
becomes a sentence in the panel and one warning in the log, and both go when it is fixed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from oura_addon.i18n import Moment, Text, _l

_LOGGER = logging.getLogger(__name__)

# Far beyond network delay and the header's one-second grain, well inside what moves a day
# or an hour-long token.
SKEW_LIMIT = timedelta(minutes=5)


def clock_offset(date_header: str | None, received_at: datetime) -> timedelta | None:
    """How far ``received_at`` (this machine's clock) is ahead of the answer's ``Date``;
    None when the header is missing, unreadable or has no time zone."""
    if not date_header:
        return None
    try:
        sent = parsedate_to_datetime(date_header)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if sent.tzinfo is None:  # "-0000": the sender does not know its zone
        return None
    return received_at - sent


class ClockWatch:
    """The newest offset between this machine and Oura, from each answer Oura sends."""

    def __init__(self, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._now = now
        self._lock = threading.Lock()
        self._offset: timedelta | None = None
        self._off = False

    def observe(self, date_header: str | None) -> None:
        offset = clock_offset(date_header, self._now())
        if offset is None:
            return
        off = abs(offset) > SKEW_LIMIT
        with self._lock:
            self._offset = offset
            changed, self._off = off != self._off, off
        if changed and off:
            _LOGGER.warning(
                "This machine's clock is %.0f minutes %s Oura's: sensors may turn unknown "
                "until the host's time is corrected",
                abs(offset.total_seconds()) / 60,
                "ahead of" if offset > timedelta(0) else "behind",
            )
        elif changed:
            _LOGGER.info("This machine's clock agrees with Oura's again")

    def problem(self) -> Text | None:
        """The panel's sentence while the clock is off, else None."""
        with self._lock:
            offset, off = self._offset, self._off
        if not off or offset is None:
            return None
        here = self._now().astimezone()
        return _l(
            "This machine's clock reads %(here)s while Oura's reads %(oura)s. The add-on "
            "judges days and token expiry by this clock, so sensors may turn unknown: correct "
            "the host's time (its time server).",
            here=Moment(here),
            oura=Moment(here - offset),
        )
