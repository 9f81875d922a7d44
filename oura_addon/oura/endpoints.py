"""The table of Oura API v2 endpoints the add-on reads: path, window kind, scope, record."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from oura_addon.i18n import _l
from oura_addon.oura import models


class Window(Enum):
    DATE = "date"  # start_date / end_date (YYYY-MM-DD, local days)
    DATETIME = "datetime"  # start_datetime / end_datetime (ISO 8601)
    NONE = "none"  # no window (ring_configuration)
    SINGLE = "single"  # one document, not a list (personal_info)


@dataclass(frozen=True)
class Endpoint:
    name: str
    window: Window
    scope: str
    record: type

    @property
    def path(self) -> str:
        return f"/v2/usercollection/{self.name}"


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("daily_sleep", Window.DATE, "daily", models.DailySleep),
    Endpoint("daily_readiness", Window.DATE, "daily", models.DailyReadiness),
    Endpoint("daily_activity", Window.DATE, "daily", models.DailyActivity),
    Endpoint("sleep", Window.DATE, "daily", models.Sleep),
    Endpoint("daily_spo2", Window.DATE, "spo2", models.DailySpO2),
    Endpoint("daily_stress", Window.DATE, "stress", models.DailyStress),
    Endpoint("daily_resilience", Window.DATE, "stress", models.DailyResilience),
    Endpoint(
        "daily_cardiovascular_age", Window.DATE, "heart_health", models.DailyCardiovascularAge
    ),
    Endpoint("vO2_max", Window.DATE, "heart_health", models.VO2Max),
    Endpoint("workout", Window.DATE, "workout", models.Workout),
    Endpoint("session", Window.DATE, "session", models.Session),
    Endpoint("enhanced_tag", Window.DATE, "tag", models.EnhancedTag),
    Endpoint("sleep_time", Window.DATE, "daily", models.SleepTime),
    Endpoint("rest_mode_period", Window.DATE, "daily", models.RestModePeriod),
    Endpoint("ring_configuration", Window.NONE, "ring_configuration", models.RingConfiguration),
    Endpoint("ring_battery_level", Window.DATETIME, "ring_configuration", models.RingBatteryLevel),
    Endpoint("heartrate", Window.DATETIME, "heartrate", models.HeartRate),
    Endpoint("personal_info", Window.SINGLE, "personal", models.PersonalInfo),
)

ENDPOINTS_BY_NAME = {endpoint.name: endpoint for endpoint in ENDPOINTS}

# Asked for at authorization; Oura grants what the user ticks.
DEFAULT_SCOPES = (
    "email",
    "personal",
    "daily",
    "heartrate",
    "workout",
    "tag",
    "session",
    "spo2",
    "ring_configuration",
    "stress",
    "heart_health",
)

# What each scope shares, in the words of Oura's consent page (the panel names missing ones).
SCOPE_LABELS: dict[str, str] = {
    "email": _l("Email address"),
    "personal": _l("Personal information (age, height, weight, sex)"),
    "daily": _l("Daily summaries of sleep, activity and readiness"),
    "heartrate": _l("Heart rate time series"),
    "workout": _l("Workouts"),
    "tag": _l("Tags"),
    "session": _l("Guided and unguided sessions"),
    "spo2": _l("Blood oxygen (SpO2) during sleep"),
    "ring_configuration": _l("Ring configuration and battery"),
    "stress": _l("Stress and resilience"),
    "heart_health": _l("Heart health (cardiovascular age, VO2 max)"),
}

# Oura's new identity provider names every scope with this prefix (``extapi:daily``).
NEW_SCOPE_PREFIX = "extapi:"


def bare_scope(name: str) -> str:
    """``extapi:daily`` -> ``daily``; bare names stay as they are."""
    return name.removeprefix(NEW_SCOPE_PREFIX)
