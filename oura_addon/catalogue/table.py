"""THE table of entities the add-on publishes: one ``SensorDescription`` per entity.

Adding a sensor is one entry in ``SENSORS``. Units and classes follow Home Assistant's
rules: durations carry ``device_class: duration`` (sleep lengths in hours, everything else in
minutes), daily running totals are ``total_increasing``, enums list their ``options`` and have
no state class, timestamps have no state class.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from oura_addon.catalogue import derive as d
from oura_addon.i18n import _l

MEASUREMENT = "measurement"
TOTAL_INCREASING = "total_increasing"
DURATION = "duration"
TIMESTAMP = "timestamp"
ENUM = "enum"
DIAGNOSTIC = "diagnostic"


@dataclass(frozen=True)  # nothing assigns to one; frozen only guards  # pragma: no mutate
class PanelPlace:
    """Where the panel shows a sensor besides its entity row: a label and a position."""

    label: str  # marked with _l: the panel shows it in the reader's language
    position: int


@dataclass(frozen=True)  # nothing assigns to one; frozen only guards  # pragma: no mutate
class SensorDescription:
    key: str  # entity id suffix: sensor.<prefix>_<key>; a public interface, never rename
    name: str
    endpoint: str  # ENDPOINTS name whose records feed it
    selector: d.Selector
    value: d.Value
    unit: str | None = None
    device_class: str | None = None
    state_class: str | None = None
    icon: str = "mdi:ring"  # every entry names its own icon  # pragma: no mutate
    domain: str = "sensor"
    options: tuple[str, ...] = ()
    entity_category: str | None = None
    attributes: d.Attributes | None = None
    # The flags that make a sensor's per-day value feed more than its state: the dashboard's
    # trend chart, a headline number on the panel, Home Assistant's long-term statistics.
    trend: PanelPlace | None = None
    headline: PanelPlace | None = None
    statistic: bool = False
    # False: MQTT discovery registers the entity disabled (rarely wanted, e.g. contributor
    # scores); the user enables it in Home Assistant. Core-API mode posts every state.
    enabled_by_default: bool = True

    def entity_id(self, prefix: str) -> str:
        return f"{self.domain}.{prefix}_{self.key}"


def _score(endpoint: str, key: str, name: str, icon: str, **flags: Any) -> SensorDescription:
    flags.setdefault("statistic", True)
    return SensorDescription(
        key,
        name,
        endpoint,
        d.latest_day,
        d.field("score"),
        state_class=MEASUREMENT,
        icon=icon,
        attributes=d.contributors,
        **flags,
    )


def _contributor(endpoint: str, area: str, contributor: str, name: str) -> SensorDescription:
    """A contributor score (1-100) of a daily document, keyed ``<area>_<contributor>_score``."""
    return SensorDescription(
        f"{area}_{contributor}_score",
        name,
        endpoint,
        d.latest_day,
        d.contributor(contributor),
        state_class=MEASUREMENT,
        icon="mdi:chart-donut",
        statistic=True,
        enabled_by_default=False,
    )


def _duration(
    endpoint: str,
    key: str,
    name: str,
    field: str,
    unit: str,
    *,
    selector: d.Selector = d.latest_day,
    state_class: str = MEASUREMENT,
    icon: str,
    **flags: Any,
) -> SensorDescription:
    flags.setdefault("statistic", True)  # every one is a day's (or night's) duration
    return SensorDescription(
        key,
        name,
        endpoint,
        selector,
        d.seconds_as(field, unit),
        unit=unit,
        device_class=DURATION,
        state_class=state_class,
        icon=icon,
        **flags,
    )


def _night(
    key: str, name: str, value: d.Value, unit: str | None, icon: str, **flags: Any
) -> SensorDescription:
    """A per-night value of the main (``long_sleep``) sleep period."""
    flags.setdefault("statistic", True)
    return SensorDescription(
        key,
        name,
        "sleep",
        d.main_sleep,
        value,
        unit=unit,
        state_class=MEASUREMENT,
        icon=icon,
        **flags,
    )


def _daily_total(
    key: str, name: str, unit: str | None, icon: str, **extra: Any
) -> SensorDescription:
    """A daily_activity running total that resets at local midnight."""
    extra.setdefault("statistic", True)
    return SensorDescription(
        key,
        name,
        "daily_activity",
        d.latest_day,
        d.field(key),
        unit=unit,
        state_class=TOTAL_INCREASING,
        icon=icon,
        **extra,
    )


STRESS_SUMMARIES = ("restored", "normal", "stressful")
RESILIENCE_LEVELS = ("limited", "adequate", "solid", "strong", "exceptional")
WORKOUT_INTENSITIES = ("easy", "moderate", "hard")

_sleep_contributors = (
    ("deep_sleep", "Sleep deep sleep score"),
    ("efficiency", "Sleep efficiency score"),
    ("latency", "Sleep latency score"),
    ("rem_sleep", "Sleep REM score"),
    ("restfulness", "Sleep restfulness score"),
    ("timing", "Sleep timing score"),
    ("total_sleep", "Sleep total sleep score"),
)
_readiness_contributors = (
    ("activity_balance", "Readiness activity balance score"),
    ("body_temperature", "Readiness body temperature score"),
    ("hrv_balance", "Readiness HRV balance score"),
    ("previous_day_activity", "Readiness previous day activity score"),
    ("previous_night", "Readiness previous night score"),
    ("recovery_index", "Readiness recovery index score"),
    ("resting_heart_rate", "Readiness resting heart rate score"),
    ("sleep_balance", "Readiness sleep balance score"),
    ("sleep_regularity", "Readiness sleep regularity score"),
)
_activity_contributors = (
    ("meet_daily_targets", "Activity meet daily targets score"),
    ("move_every_hour", "Activity move every hour score"),
    ("recovery_time", "Activity recovery time score"),
    ("stay_active", "Activity stay active score"),
    ("training_frequency", "Activity training frequency score"),
    ("training_volume", "Activity training volume score"),
)
_resilience_contributors = (
    ("sleep_recovery", "Resilience sleep recovery score"),
    ("daytime_recovery", "Resilience daytime recovery score"),
    ("stress", "Resilience stress score"),
)


def _enum(
    key: str,
    name: str,
    endpoint: str,
    selector: d.Selector,
    value: d.Value,
    options: tuple[str, ...],
    icon: str,
    attributes: d.Attributes | None = None,
) -> SensorDescription:
    return SensorDescription(
        key,
        name,
        endpoint,
        selector,
        value,
        device_class=ENUM,
        options=options,
        icon=icon,
        attributes=attributes,
    )


def _timestamp(
    key: str,
    name: str,
    endpoint: str,
    selector: d.Selector,
    value: d.Value,
    icon: str,
    attributes: d.Attributes | None = None,
) -> SensorDescription:
    return SensorDescription(
        key,
        name,
        endpoint,
        selector,
        value,
        device_class=TIMESTAMP,
        icon=icon,
        attributes=attributes,
    )


_bedtime_advice = d.fields("status", "recommendation")

SENSORS: tuple[SensorDescription, ...] = (
    # --- sleep (daily_sleep) ---
    _score("daily_sleep", "sleep_score", "Sleep score", "mdi:sleep",
           trend=PanelPlace(_l("Sleep score"), 1), headline=PanelPlace(_l("Sleep score"), 1)),
    *(_contributor("daily_sleep", "sleep", c, n) for c, n in _sleep_contributors),
    # --- sleep (the night's long_sleep period) ---
    _duration("sleep", "total_sleep_duration", "Total sleep", "total_sleep_duration", "h",
              selector=d.main_sleep, icon="mdi:sleep", headline=PanelPlace(_l("Total sleep"), 6)),
    _duration("sleep", "deep_sleep_duration", "Deep sleep", "deep_sleep_duration", "h",
              selector=d.main_sleep, icon="mdi:bed"),
    _duration("sleep", "rem_sleep_duration", "REM sleep", "rem_sleep_duration", "h",
              selector=d.main_sleep, icon="mdi:bed"),
    _duration("sleep", "light_sleep_duration", "Light sleep", "light_sleep_duration", "h",
              selector=d.main_sleep, icon="mdi:bed"),
    _duration("sleep", "time_in_bed", "Time in bed", "time_in_bed", "h",
              selector=d.main_sleep, icon="mdi:bed-clock"),
    _duration("sleep", "awake_time", "Awake time", "awake_time", "min",
              selector=d.main_sleep, icon="mdi:eye-outline"),
    _duration("sleep", "sleep_latency", "Sleep latency", "latency", "min",
              selector=d.main_sleep, icon="mdi:timer-sand"),
    _night("sleep_efficiency", "Sleep efficiency", d.field("efficiency"), "%",
           "mdi:percent-outline"),
    _night("lowest_heart_rate", "Lowest heart rate", d.heart_rate("lowest_heart_rate"), "bpm",
           "mdi:heart-minus", trend=PanelPlace(_l("Resting heart rate"), 5),
           headline=PanelPlace(_l("Resting heart rate"), 5), statistic=True),
    _night("average_heart_rate", "Average sleeping heart rate",
           d.rounded("average_heart_rate", 1), "bpm", "mdi:heart-pulse"),
    _night("average_hrv", "Average HRV", d.field("average_hrv"), "ms", "mdi:heart-flash",
           trend=PanelPlace(_l("HRV"), 4), headline=PanelPlace(_l("HRV"), 4), statistic=True),
    _night("average_breath", "Average breathing rate", d.rounded("average_breath", 1),
           "br/min", "mdi:lungs"),
    _night("deep_sleep_percentage", "Deep sleep share",
           d.share_of("deep_sleep_duration", "total_sleep_duration"), "%", "mdi:chart-pie"),
    _night("rem_sleep_percentage", "REM sleep share",
           d.share_of("rem_sleep_duration", "total_sleep_duration"), "%", "mdi:chart-pie"),
    _timestamp("bedtime_start", "Bedtime start", "sleep", d.main_sleep,
               d.field("bedtime_start"), "mdi:bed-clock"),
    _timestamp("bedtime_end", "Bedtime end", "sleep", d.main_sleep,
               d.field("bedtime_end"), "mdi:alarm"),
    # --- readiness ---
    _score("daily_readiness", "readiness_score", "Readiness score", "mdi:gauge",
           trend=PanelPlace(_l("Readiness score"), 2),
           headline=PanelPlace(_l("Readiness score"), 2)),
    *(_contributor("daily_readiness", "readiness", c, n) for c, n in _readiness_contributors),
    # A deviation is a difference of temperatures, not a temperature: no device class.
    SensorDescription("temperature_deviation", "Temperature deviation", "daily_readiness",
                      d.latest_day, d.field("temperature_deviation"), unit="°C",
                      state_class=MEASUREMENT, icon="mdi:thermometer-lines", statistic=True),
    SensorDescription("temperature_trend_deviation", "Temperature trend deviation",
                      "daily_readiness", d.latest_day, d.field("temperature_trend_deviation"),
                      unit="°C", state_class=MEASUREMENT, icon="mdi:thermometer-lines",
                      statistic=True),
    # --- activity ---
    _score("daily_activity", "activity_score", "Activity score", "mdi:run",
           trend=PanelPlace(_l("Activity score"), 3),
           headline=PanelPlace(_l("Activity score"), 3)),
    *(_contributor("daily_activity", "activity", c, n) for c, n in _activity_contributors),
    _daily_total("steps", "Steps", "steps", "mdi:walk", headline=PanelPlace(_l("Steps"), 7)),
    _daily_total("active_calories", "Active calories", "kcal", "mdi:fire"),
    _daily_total("total_calories", "Total calories", "kcal", "mdi:fire"),
    SensorDescription("target_calories", "Target calories", "daily_activity", d.latest_day,
                      d.field("target_calories"), unit="kcal", state_class=MEASUREMENT,
                      icon="mdi:target", statistic=True),
    _daily_total("equivalent_walking_distance", "Equivalent walking distance", "m",
                 "mdi:map-marker-distance", device_class="distance"),
    _duration("daily_activity", "high_activity_time", "High activity time",
              "high_activity_time", "min", state_class=TOTAL_INCREASING, icon="mdi:run-fast"),
    _duration("daily_activity", "medium_activity_time", "Medium activity time",
              "medium_activity_time", "min", state_class=TOTAL_INCREASING, icon="mdi:run"),
    _duration("daily_activity", "low_activity_time", "Low activity time",
              "low_activity_time", "min", state_class=TOTAL_INCREASING, icon="mdi:walk"),
    _duration("daily_activity", "sedentary_time", "Sedentary time", "sedentary_time", "min",
              state_class=TOTAL_INCREASING, icon="mdi:seat-recline-normal"),
    _duration("daily_activity", "resting_time", "Resting time", "resting_time", "min",
              state_class=TOTAL_INCREASING, icon="mdi:bed"),
    _duration("daily_activity", "non_wear_time", "Non-wear time", "non_wear_time", "min",
              state_class=TOTAL_INCREASING, icon="mdi:hand-back-left-off-outline"),
    # MET minutes are energy expenditure (MET x minutes), not a time: no duration class.
    _daily_total("high_activity_met_minutes", "High activity MET minutes", "MET min",
                 "mdi:lightning-bolt", enabled_by_default=False),
    _daily_total("medium_activity_met_minutes", "Medium activity MET minutes", "MET min",
                 "mdi:lightning-bolt", enabled_by_default=False),
    _daily_total("low_activity_met_minutes", "Low activity MET minutes", "MET min",
                 "mdi:lightning-bolt", enabled_by_default=False),
    _daily_total("inactivity_alerts", "Inactivity alerts", None, "mdi:bell-alert-outline"),
    # --- heart rate (time series) ---
    SensorDescription("heart_rate", "Heart rate", "heartrate", d.latest_row, d.field("bpm"),
                      unit="bpm", state_class=MEASUREMENT, icon="mdi:heart-pulse",
                      attributes=d.fields("timestamp", "source")),
    SensorDescription("min_heart_rate_today", "Minimum heart rate today", "heartrate",
                      d.todays_rows, d.bpm_statistic("min"), unit="bpm",
                      state_class=MEASUREMENT, icon="mdi:heart-minus"),
    SensorDescription("average_heart_rate_today", "Average heart rate today", "heartrate",
                      d.todays_rows, d.bpm_statistic("mean"), unit="bpm",
                      state_class=MEASUREMENT, icon="mdi:heart"),
    SensorDescription("max_heart_rate_today", "Maximum heart rate today", "heartrate",
                      d.todays_rows, d.bpm_statistic("max"), unit="bpm",
                      state_class=MEASUREMENT, icon="mdi:heart-plus"),
    # --- SpO2, stress, resilience, heart health ---
    SensorDescription("spo2_average", "SpO2 average", "daily_spo2", d.latest_day,
                      d.rounded("average", 1),
                      unit="%", state_class=MEASUREMENT, icon="mdi:water-percent",
                      statistic=True),
    SensorDescription("breathing_disturbance_index", "Breathing disturbance index",
                      "daily_spo2", d.latest_day, d.field("breathing_disturbance_index"),
                      state_class=MEASUREMENT, icon="mdi:lungs", statistic=True),
    _duration("daily_stress", "stress_high_time", "High stress time", "stress_high", "min",
              state_class=TOTAL_INCREASING, icon="mdi:head-alert-outline"),
    _duration("daily_stress", "recovery_high_time", "High recovery time", "recovery_high",
              "min", state_class=TOTAL_INCREASING, icon="mdi:head-heart-outline"),
    _enum("stress_day_summary", "Stress day summary", "daily_stress", d.latest_day,
          d.field("day_summary"), STRESS_SUMMARIES, "mdi:head-cog-outline"),
    _enum("resilience_level", "Resilience level", "daily_resilience", d.latest_day,
          d.field("level"), RESILIENCE_LEVELS, "mdi:shield-half-full",
          attributes=d.contributors),
    *(_contributor("daily_resilience", "resilience", c, n) for c, n in _resilience_contributors),
    SensorDescription("cardiovascular_age", "Cardiovascular age", "daily_cardiovascular_age",
                      d.latest_day, d.field("vascular_age"), unit="years",
                      state_class=MEASUREMENT, icon="mdi:heart-cog", statistic=True),
    SensorDescription("vo2_max", "VO2 max", "vO2_max", d.latest_day, d.field("vo2_max"),
                      unit="mL/kg/min", state_class=MEASUREMENT, icon="mdi:lungs",
                      statistic=True),
    # --- workouts, sessions, tags ---
    SensorDescription("workouts_today", "Workouts today", "workout", d.todays, d.count,
                      state_class=TOTAL_INCREASING, icon="mdi:dumbbell",
                      attributes=d.listed("activities", "activity")),
    SensorDescription("last_workout_activity", "Last workout activity", "workout",
                      d.latest_started, d.field("activity"), icon="mdi:dumbbell",
                      attributes=d.fields("start_datetime", "end_datetime", "source", "label")),
    SensorDescription("last_workout_calories", "Last workout calories", "workout",
                      d.latest_started, d.rounded("calories", 0), unit="kcal",
                      state_class=MEASUREMENT, icon="mdi:fire"),
    SensorDescription("last_workout_distance", "Last workout distance", "workout",
                      d.latest_started, d.rounded("distance", 0), unit="m",
                      device_class="distance", state_class=MEASUREMENT,
                      icon="mdi:map-marker-distance"),
    _enum("last_workout_intensity", "Last workout intensity", "workout", d.latest_started,
          d.field("intensity"), WORKOUT_INTENSITIES, "mdi:speedometer"),
    SensorDescription("last_workout_duration", "Last workout duration", "workout",
                      d.latest_started, d.minutes_between("start_datetime", "end_datetime"),
                      unit="min", device_class=DURATION, state_class=MEASUREMENT,
                      icon="mdi:timer-outline"),
    SensorDescription("sessions_today", "Sessions today", "session", d.todays, d.count,
                      state_class=TOTAL_INCREASING, icon="mdi:meditation",
                      attributes=d.listed("types", "type")),
    SensorDescription("meditation_minutes_today", "Meditation today", "session", d.todays,
                      d.minutes_of_type("meditation"), unit="min", device_class=DURATION,
                      state_class=TOTAL_INCREASING, icon="mdi:meditation"),
    SensorDescription("tags_today", "Tags today", "enhanced_tag", d.todays, d.count,
                      state_class=TOTAL_INCREASING, icon="mdi:tag-multiple",
                      attributes=d.listed("tags", d.tag_name)),
    # --- bedtime guidance, rest mode ---
    _timestamp("optimal_bedtime_start", "Optimal bedtime start", "sleep_time", d.latest_day,
               d.bedtime_edge("start_offset"), "mdi:bed-clock", _bedtime_advice),
    _timestamp("optimal_bedtime_end", "Optimal bedtime end", "sleep_time", d.latest_day,
               d.bedtime_edge("end_offset"), "mdi:bed-clock", _bedtime_advice),
    SensorDescription("rest_mode", "Rest mode", "rest_mode_period", d.covering_today,
                      d.any_selected, domain="binary_sensor", icon="mdi:sofa",
                      attributes=d.fields("start_day", "end_day")),
    # --- ring ---
    SensorDescription("ring_battery_level", "Ring battery level", "ring_battery_level",
                      d.latest_row, d.field("level"), unit="%", device_class="battery",
                      state_class=MEASUREMENT, icon="mdi:battery",
                      entity_category=DIAGNOSTIC, attributes=d.fields("timestamp")),
    SensorDescription("ring_charging", "Ring charging", "ring_battery_level", d.latest_row,
                      d.field("charging"), domain="binary_sensor",
                      device_class="battery_charging", icon="mdi:battery-charging",
                      entity_category=DIAGNOSTIC, attributes=d.fields("in_charger")),
    SensorDescription("ring_firmware", "Ring firmware", "ring_configuration", d.current_ring,
                      d.field("firmware_version"), icon="mdi:chip",
                      entity_category=DIAGNOSTIC,
                      attributes=d.fields("hardware_type", "design", "color", "size")),
)  # fmt: skip

# Published by ``connected_state``, not derived from records.
CONNECTED = SensorDescription(
    "connected",
    "Connected",
    "",
    lambda records, moment: None,
    lambda selection: None,
    device_class="connectivity",
    icon="mdi:cloud-check-outline",
    domain="binary_sensor",
    entity_category=DIAGNOSTIC,
)


def _in_panel_order(
    place: Callable[[SensorDescription], PanelPlace | None],
) -> tuple[tuple[SensorDescription, PanelPlace], ...]:
    placed = [(s, where) for s in SENSORS if (where := place(s)) is not None]
    return tuple(sorted(placed, key=lambda pair: pair[1].position))


# The sensors the dashboard charts, and its headline numbers, with their panel places.
TRENDS = _in_panel_order(lambda s: s.trend)
HEADLINES = _in_panel_order(lambda s: s.headline)
# The sensors whose past days go into Home Assistant's long-term statistics.
STATISTIC_SENSORS = tuple(s for s in SENSORS if s.statistic)
# Every sensor whose value is wanted for each past day, not only for the latest one.
DAILY_SENSORS = tuple(s for s in SENSORS if s.trend is not None or s.statistic)
