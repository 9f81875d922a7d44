"""The simulator's knobs: one frozen value shared by every part of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PORTALS = ("legacy", "new")


@dataclass(frozen=True)
class SimulatorConfig:
    """How the simulated Oura cloud behaves.

    ``today`` pins the simulated calendar day, starting at 12:00 local time when the
    simulator is created (None: the clock's real time in ``timezone``);
    ``portal`` says which token URL accepts this app: ``legacy`` only ``/oauth/token``,
    ``new`` only ``/oauth/v2/ext/oauth-token``. Auto-approve picks the user named by the
    ``user`` query parameter of the authorize request, else user 1.
    """

    client_id: str = "demo-client"
    client_secret: str = "demo-secret"
    days: int = 30
    users: int = 1
    auto_approve: bool = False
    access_token_ttl: int = 86400
    today: date | None = None
    timezone: str = "Europe/Helsinki"
    portal: str = "legacy"
    page_size: int = 50
    # Time series (heartrate, ring_battery_level) rows per page; rows are far smaller.
    series_page_size: int = 1000
    seed: int = 1

    def __post_init__(self) -> None:
        if self.portal not in PORTALS:
            raise ValueError(f"portal must be one of {PORTALS}, not {self.portal!r}")
        if self.users < 1 or self.days < 1:
            raise ValueError("users and days must be at least 1")
        if self.page_size < 1 or self.series_page_size < 1:
            raise ValueError("page sizes must be at least 1")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.timezone!r}") from None
