"""Home Assistant's time zone: it decides which local day "today" is for every sensor."""

from __future__ import annotations

import logging
import os.path
import threading
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from oura_addon.homeassistant import HomeAssistantClient, HomeAssistantError

_LOGGER = logging.getLogger(__name__)

CACHE_SECONDS = 3600


class HomeTimezone:
    """Home Assistant's zone from its /config, asked at most once an hour; the system's
    zone until Home Assistant has answered once."""

    def __init__(
        self,
        ha: HomeAssistantClient | None,
        clock: Callable[[], float],
        system_timezone: str | None = None,
    ) -> None:
        self._ha = ha
        self._clock = clock
        self._system_timezone = system_timezone
        self._lock = threading.Lock()
        self._cached: tuple[float, tzinfo] | None = None

    def get(self) -> tzinfo:
        now = self._clock()
        with self._lock:
            if self._cached and now - self._cached[0] < CACHE_SECONDS:
                return self._cached[1]
        zone = self._ask()
        with self._lock:
            if zone is None:
                if self._cached:
                    return self._cached[1]
                zone = system_zone(self._system_timezone)
            self._cached = (now, zone)
            return zone

    def last_known(self) -> tzinfo:
        """The zone last used, without asking anyone (UTC before the first sync)."""
        with self._lock:
            return self._cached[1] if self._cached else UTC

    def _ask(self) -> tzinfo | None:
        if self._ha is None:
            return None
        try:
            name = self._ha.get_config().get("time_zone")
            return ZoneInfo(name) if isinstance(name, str) else None
        except (HomeAssistantError, ZoneInfoNotFoundError, ValueError) as err:
            _LOGGER.debug("Home Assistant time zone unavailable: %s", err)
            return None


def system_zone(name: str | None) -> tzinfo:
    """The system's zone with its daylight saving rules: ``name`` (``TZ``, which the
    Supervisor sets for add-ons), else what /etc/localtime links to. A fixed offset only when
    neither names one: it would file every summer day's statistics an hour off."""
    names = [name]
    target = os.path.realpath("/etc/localtime")
    if "/zoneinfo/" in target:
        names.append(target.split("/zoneinfo/", 1)[1])
    for candidate in filter(None, names):
        try:
            return ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return datetime.now(UTC).astimezone().tzinfo or UTC
