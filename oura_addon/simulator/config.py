"""The simulator's knobs: one frozen value shared by every part of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PORTALS = ("classic", "new")
# The name older versions of the simulator (and its command line) used for "classic".
_PORTAL_ALIASES = {"legacy": "classic"}
# Oura's limit for an app it has not approved.
UNAPPROVED_APP_USER_LIMIT = 10


@dataclass(frozen=True)
class SimulatorConfig:
    """How the simulated Oura cloud behaves.

    ``today`` pins the simulated calendar day, starting at 12:00 local time when the
    simulator is created (None: the clock's real time in ``timezone``);
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

    def __post_init__(self) -> None:
        if self.portal in _PORTAL_ALIASES:
            object.__setattr__(self, "portal", _PORTAL_ALIASES[self.portal])
        if self.portal not in PORTALS:
            raise ValueError(f"portal must be one of {PORTALS}, not {self.portal!r}")
        if self.users < 1 or self.days < 1 or self.user_limit < 1:
            raise ValueError("users, days and user_limit must be at least 1")
        if self.page_size < 1 or self.series_page_size < 1:
            raise ValueError("page sizes must be at least 1")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.timezone!r}") from None
