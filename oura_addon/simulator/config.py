"""The simulator's knobs: one frozen value shared by every part of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PORTALS = ("classic", "new")
# The name older versions of the simulator (and its command line) used for "classic".
_PORTAL_ALIASES = {"legacy": "classic"}
# Oura's limit for an app it has not approved.
UNAPPROVED_APP_USER_LIMIT = 10


@dataclass(frozen=True)
class SimulatorConfig:
    """How the simulated Oura cloud behaves.

    ``today`` pins the simulated calendar day, starting at ``start_time`` (12:00) local time
    when the simulator is created (None: the clock's real time in ``timezone``);
    ``clock_speed`` runs simulated time that many times faster than the clock from then on
    (60: a simulated hour per real minute); ``wake_times`` are the users' usual wake-up
    times ("07:00", one per user, repeated when fewer): their nights end around then and
    the phone syncs a little later (empty: from each user's own bedtime and sleep need);
    ``portal`` says where the simulated app was created: ``classic`` (the older developer
    portal: only ``/oauth/token`` accepts it) or ``new`` (developer.ouraring.com: only the
    new identity provider's token URL accepts it, the classic authorize URL drops its
    scopes, a missing scope answers 401). ``user_limit`` is how many Oura users the app may
    serve. Auto-approve picks the user named by the ``user`` query parameter of the
    authorize request, else user 1.
    """

    client_id: str = "demo-client"
    client_secret: str = "demo-secret"
    days: int = 30
    users: int = 1
    auto_approve: bool = False
    access_token_ttl: int = 86400
    today: date | None = None
    timezone: str = "Europe/Helsinki"
    portal: str = "classic"
    user_limit: int = UNAPPROVED_APP_USER_LIMIT
    page_size: int = 50
    # Time series (heartrate, ring_battery_level) rows per page; rows are far smaller.
    series_page_size: int = 1000
    seed: int = 1
    clock_speed: float = 1.0
    start_time: time = time(12, 0)
    wake_times: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.portal in _PORTAL_ALIASES:
            object.__setattr__(self, "portal", _PORTAL_ALIASES[self.portal])
        if self.portal not in PORTALS:
            raise ValueError(f"portal must be one of {PORTALS}, not {self.portal!r}")
        if self.users < 1 or self.days < 1 or self.user_limit < 1:
            raise ValueError("users, days and user_limit must be at least 1")
        if self.page_size < 1 or self.series_page_size < 1:
            raise ValueError("page sizes must be at least 1")
        if not 0 < self.clock_speed <= 100_000:
            raise ValueError("clock_speed must be above 0 and at most 100000")
        for text in self.wake_times:
            wake_seconds(text)
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.timezone!r}") from None


def wake_seconds(text: str) -> int:
    """Seconds after midnight of an "HH:MM" wake-up time between 03:00 and 13:00."""
    try:
        hours, minutes = (int(part) for part in text.split(":"))
    except ValueError:
        raise ValueError(f"wake-up times are HH:MM, not {text!r}") from None
    if not (3 <= hours <= 12 and 0 <= minutes < 60) and (hours, minutes) != (13, 0):
        raise ValueError(f"wake-up times are between 03:00 and 13:00, not {text!r}")
    return hours * 3600 + minutes * 60
