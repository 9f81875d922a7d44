"""Oura API v2 documents for one simulated user, built from day plans. Pure functions.

A document exists only once it would exist at Oura at ``now``: Oura has what the ring
recorded up to the phone's last sync (``DataContext.synced_until``), so last night's sleep
appears at the morning sync, today's activity grows sync by sync, workouts once finished
and synced. Field names, types and enums follow
``openapi-1.37.json``; value formats follow the recorded responses (local times with the
user's UTC offset, samples stamped with milliseconds).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import cached_property
from types import MappingProxyType
from typing import Any

from oura_addon.simulator.plans import (
    HOUR,
    MINUTE,
    DayPlan,
    SleepPlan,
    at_local,
    clamp,
    day_plan,
    document_id,
    horizon,
    later,
    profile_for,
    rng_for,
)

Document = dict[str, Any]


@dataclass(frozen=True)
class DataContext:
    """Whose data, in which time zone, from which first day, as seen at ``now`` (aware).

    ``planner`` may supply day plans from a cache; it must return what ``day_plan`` would
    (with ``wake``, the user's usual wake-up in seconds after midnight, or None).
    """

    seed: int
    user: int
    tz: tzinfo
    first_day: date
    now: datetime
    planner: Callable[[int, date], DayPlan] | None = field(default=None, compare=False)
    wake: int | None = None
    # Days whose night the test or demo published at once (``Simulator.publish_night``).
    published_nights: frozenset[date] = frozenset()

    @property
    def today(self) -> date:
        return self.now.astimezone(self.tz).date()

    def plan(self, day: date) -> DayPlan:
        if self.planner is not None:
            return self.planner(self.user, day)
        return day_plan(self.seed, self.user, day, self.tz, self.wake)

    @cached_property
    def synced_until(self) -> datetime:
        """What Oura has: the ring's data up to the phone's last sync before ``now``."""
        today = self.today
        plans = (self.plan(today - timedelta(days=1)), self.plan(today))
        last = horizon(plans, self.now)
        return last if last is not None else self.plan(today - timedelta(days=2)).phone_syncs[-1]

    def has_happened(self, moment: datetime) -> bool:
        """Whether Oura has the data of ``moment`` (recorded and synced)."""
        return moment <= self.synced_until

    def covers(self, day: date) -> bool:
        return self.first_day <= day <= self.today


def local_iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def sample_iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def utc_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _score(value: float) -> int:
    return int(clamp(round(value), 40, 100))


def _contributor(value: float) -> int:
    return int(clamp(round(value), 1, 100))


def _midnight(day: date, tz: tzinfo) -> datetime:
    return at_local(day, 0, tz)


# --- sleep -------------------------------------------------------------------------------


def _sleep_contributors(sleep: SleepPlan) -> dict[str, int]:
    midpoint = sleep.start + (sleep.end - sleep.start) / 2
    midpoint_hours = (midpoint.hour + midpoint.minute / 60 + 12) % 24 - 12  # around midnight
    return {
        "deep_sleep": _contributor(100 * sleep.deep / (1.4 * HOUR)),
        "efficiency": _contributor(100 * (sleep.total_sleep / sleep.time_in_bed - 0.6) / 0.3),
        "latency": _contributor(100 - abs(sleep.latency / MINUTE - 15) * 3),
        "rem_sleep": _contributor(100 * sleep.rem / (1.7 * HOUR)),
        "restfulness": _contributor(100 - sleep.restless_periods / 5),
        "timing": _contributor(100 - abs(midpoint_hours - 3.5) * 20),
        "total_sleep": _contributor(40 + 60 * (sleep.total_sleep - 4 * HOUR) / (3.5 * HOUR)),
    }


_SLEEP_WEIGHTS = {
    "deep_sleep": 0.1,
    "efficiency": 0.1,
    "latency": 0.1,
    "rem_sleep": 0.1,
    "restfulness": 0.15,
    "timing": 0.1,
    "total_sleep": 0.35,
}


def sleep_score(sleep: SleepPlan) -> int:
    contributors = _sleep_contributors(sleep)
    return _score(sum(contributors[k] * w for k, w in _SLEEP_WEIGHTS.items()))


def _readiness(seed: int, user: int, day: date, night: SleepPlan) -> dict[str, Any]:
    rng = rng_for(seed, user, day.isoformat(), "readiness")
    contributors = {
        "activity_balance": _contributor(rng.gauss(82, 10)),
        "body_temperature": _contributor(rng.gauss(92, 8)),
        "hrv_balance": _contributor(rng.gauss(78, 14)),
        "previous_day_activity": _contributor(rng.gauss(80, 14)),
        "previous_night": sleep_score(night),
        "recovery_index": _contributor(rng.gauss(75, 18)),
        "resting_heart_rate": _contributor(rng.gauss(85, 12)),
        "sleep_balance": _contributor(rng.gauss(80, 12)),
        "sleep_regularity": _contributor(rng.gauss(78, 14)),
    }
    return {
        "contributors": contributors,
        "score": _score(sum(contributors.values()) / len(contributors) + rng.gauss(2, 4)),
        "temperature_deviation": round(rng.gauss(0, 0.25), 2),
        "temperature_trend_deviation": round(rng.gauss(0, 0.15), 2),
    }


def _u_shape(position: float) -> float:
    """1 at the start and end of a night, 0 in the small hours."""
    return abs(position - 0.6) / 0.6


def _sleep_samples(rng: random.Random, sleep: SleepPlan) -> tuple[list, list, str, str]:
    slots = max(1, sleep.time_in_bed // 300)
    heart, hrv, phases = [], [], []
    for i in range(slots):
        position = i / slots
        missing = rng.random() < 0.03
        bpm = sleep.lowest_hr + (sleep.average_hr - sleep.lowest_hr) * 2 * _u_shape(position)
        heart.append(None if missing else float(round(bpm + rng.uniform(-1.5, 1.5))))
        variability = sleep.average_hrv * (0.6 + 0.8 * position) + rng.uniform(-8, 8)
        hrv.append(None if missing else float(round(max(5.0, variability))))
        seconds = i * 300
        if seconds < sleep.latency:
            phases.append("4")
            continue
        cycle = ((seconds - sleep.latency) % (90 * MINUTE)) / (90 * MINUTE)
        early = position < 0.5
        if rng.random() < 0.04:
            phases.append("4")
        elif cycle < 0.12:
            phases.append("2")
        elif cycle < 0.4:
            phases.append("1" if early else "2")
        elif cycle < 0.75:
            phases.append("2")
        else:
            phases.append("3")
    movement = rng.choices("1234", (0.72, 0.2, 0.06, 0.02), k=sleep.time_in_bed // 30)
    return heart, hrv, "".join(phases), "".join(movement)


def _sleep_document(ctx: DataContext, plan: DayPlan, sleep: SleepPlan, period: int) -> Document:
    rng = rng_for(ctx.seed, ctx.user, plan.day.isoformat(), "sleep", period)
    heart, hrv, phases, movement = _sleep_samples(rng, sleep)
    long_sleep = sleep.type == "long_sleep"
    return {
        "id": document_id(ctx.seed, ctx.user, "sleep", plan.day, period),
        "average_breath": sleep.average_breath,
        "average_heart_rate": sleep.average_hr,
        "average_hrv": sleep.average_hrv,
        "awake_time": sleep.awake,
        "bedtime_end": local_iso(sleep.end),
        "bedtime_start": local_iso(sleep.start),
        "day": plan.day.isoformat(),
        "deep_sleep_duration": sleep.deep,
        "efficiency": round(100 * sleep.total_sleep / sleep.time_in_bed),
        "heart_rate": {"interval": 300.0, "items": heart, "timestamp": sample_iso(sleep.start)},
        "hrv": {"interval": 300.0, "items": hrv, "timestamp": sample_iso(sleep.start)},
        "latency": sleep.latency,
        "light_sleep_duration": sleep.light,
        "low_battery_alert": False,
        "lowest_heart_rate": sleep.lowest_hr,
        "movement_30_sec": movement,
        "period": period,
        "readiness": _readiness(ctx.seed, ctx.user, plan.day, sleep) if long_sleep else None,
        "readiness_score_delta": 0 if long_sleep else None,
        "rem_sleep_duration": sleep.rem,
        "restless_periods": sleep.restless_periods,
        "sleep_algorithm_version": "v2",
        "sleep_analysis_reason": "foreground_sleep_analysis",
        "sleep_phase_5_min": phases,
        "sleep_score_delta": 0 if long_sleep else None,
        "time_in_bed": sleep.time_in_bed,
        "total_sleep_duration": sleep.total_sleep,
        "type": sleep.type,
        "ring_id": ring_ids(ctx.seed, ctx.user)[-1],
        "app_sleep_phase_5_min": None,
    }


def _night_is_over(ctx: DataContext, plan: DayPlan) -> bool:
    return plan.day in ctx.published_nights or ctx.has_happened(plan.night.end)


def sleep_documents(ctx: DataContext, plan: DayPlan) -> list[Document]:
    return [
        _sleep_document(ctx, plan, sleep, period)
        for period, sleep in enumerate(plan.sleeps)
        if ctx.has_happened(sleep.end) or (sleep is plan.night and _night_is_over(ctx, plan))
    ]


def daily_sleep(ctx: DataContext, plan: DayPlan) -> list[Document]:
    if not _night_is_over(ctx, plan):
        return []
    night = plan.night
    return [
        {
            "id": document_id(ctx.seed, ctx.user, "daily_sleep", plan.day),
            "contributors": _sleep_contributors(night),
            "day": plan.day.isoformat(),
            "score": sleep_score(night),
            "timestamp": local_iso(_midnight(plan.day, plan.tz)),
        }
    ]


def daily_readiness(ctx: DataContext, plan: DayPlan) -> list[Document]:
    if not _night_is_over(ctx, plan):
        return []
    return [
        {
            "id": document_id(ctx.seed, ctx.user, "daily_readiness", plan.day),
            **_readiness(ctx.seed, ctx.user, plan.day, plan.night),
            "day": plan.day.isoformat(),
            "timestamp": local_iso(_midnight(plan.day, plan.tz)),
        }
    ]


def daily_spo2(ctx: DataContext, plan: DayPlan) -> list[Document]:
    if not _night_is_over(ctx, plan):
        return []
    rng = rng_for(ctx.seed, ctx.user, plan.day.isoformat(), "spo2")
    return [
        {
            "id": document_id(ctx.seed, ctx.user, "daily_spo2", plan.day),
            "breathing_disturbance_index": rng.randint(0, 18),
            "day": plan.day.isoformat(),
            "spo2_percentage": {"average": round(rng.uniform(94.5, 98.9), 3)},
        }
    ]


def sleep_time(ctx: DataContext, plan: DayPlan) -> list[Document]:
    rng = rng_for(ctx.seed, ctx.user, plan.day.isoformat(), "sleep_time")
    midnight = _midnight(plan.day, plan.tz)
    offset = midnight.utcoffset()
    if rng.random() < 0.8:
        bedtime = 22 * HOUR + plan.profile.bedtime_offset - 24 * HOUR
        start = (bedtime // (15 * MINUTE)) * 15 * MINUTE - 15 * MINUTE
        window: dict[str, int] | None = {
            "day_tz": int(offset.total_seconds()) if offset else 0,
            "end_offset": start + 60 * MINUTE,
            "start_offset": start,
        }
        recommendation, status = "follow_optimal_bedtime", "optimal_found"
    else:
        window = None
        recommendation = rng.choice(("earlier_bedtime", "later_bedtime", "improve_efficiency"))
        status = "only_recommended_found"
    return [
        {
            "id": document_id(ctx.seed, ctx.user, "sleep_time", plan.day),
            "day": plan.day.isoformat(),
            "optimal_bedtime": window,
            "recommendation": recommendation,
            "status": status,
        }
    ]


# --- activity ------------------------------------------------------------------------------


def _activity_start(plan: DayPlan) -> datetime:
    """Oura's activity day runs from 04:00 local to 04:00 the next day."""
    return at_local(plan.day, 4 * HOUR, plan.tz)


def _minute_span(start: datetime, first: datetime, last: datetime) -> range:
    """Minutes of the activity day (counted from ``start``) inside [first, last)."""
    low = max(0, math.ceil((first - start).total_seconds() / MINUTE))
    high = min(1440, math.ceil((last - start).total_seconds() / MINUTE))
    return range(low, max(low, high))


def _minute_mets(ctx: DataContext, plan: DayPlan) -> list[float]:
    """MET per minute over the whole activity day (the caller cuts off the future)."""
    start = _activity_start(plan)
    asleep = [*plan.sleeps, ctx.plan(plan.day + timedelta(days=1)).night]
    sleeping = {m for s in asleep for m in _minute_span(start, s.start, s.end)}
    training = {m: w.met for w in plan.workouts for m in _minute_span(start, w.start, w.end)}
    rng = rng_for(ctx.seed, ctx.user, plan.day.isoformat(), "met")
    activeness = plan.usual_steps / 8000
    mets: list[float] = []
    low, high = _MET_RANGES["sedentary"]
    for minute in range(1440):
        if minute % 5 == 0:
            level = rng.choices(
                ("sedentary", "low", "medium", "high"),
                (0.74, 0.22 * activeness, 0.03 * activeness, 0.004),
            )[0]
            low, high = _MET_RANGES[level]
        if minute in sleeping:
            mets.append(0.9)
        elif minute in training:
            mets.append(round(training[minute] + rng.uniform(-0.8, 0.8), 1))
        else:
            mets.append(round(rng.uniform(low, high), 1))
    return mets


_MET_RANGES = {
    "sedentary": (0.9, 1.4),
    "low": (1.5, 2.9),
    "medium": (3.0, 5.9),
    "high": (6.0, 8.5),
}


def _class_of(mets: list[float]) -> str:
    average = sum(mets) / len(mets)
    if average < 1.0:
        return "1"
    if average < 1.5:
        return "2"
    if average < 3.0:
        return "3"
    if average < 6.0:
        return "4"
    return "5"


def daily_activity(ctx: DataContext, plan: DayPlan) -> list[Document]:
    start = _activity_start(plan)
    if not ctx.has_happened(start):
        return []
    synced = min(ctx.synced_until, later(start, 24 * HOUR))
    elapsed = int((synced - start).total_seconds() // MINUTE)
    mets = _minute_mets(ctx, plan)[: max(1, elapsed)]
    weight = plan.profile.weight
    per_minute = 3.5 * weight / 200  # kcal at 1 MET

    def minutes(low: float, high: float) -> list[float]:
        return [m for m in mets if low <= m < high]

    sedentary, low, medium, high = (
        minutes(1.0, 1.5),
        minutes(1.5, 3.0),
        minutes(3.0, 6.0),
        minutes(6.0, 99),
    )
    resting = minutes(0, 1.0)
    active_calories = round(sum((m - 1) * per_minute for m in mets if m >= 1.5))
    walking_metres = round(active_calories * 15.5)
    target_metres = plan.profile.target_calories * 20
    steps = round(len(low) * 24 + len(medium) * 85 + len(high) * 130)
    rng = rng_for(ctx.seed, ctx.user, plan.day.isoformat(), "activity")
    contributors = {
        "meet_daily_targets": _contributor(rng.gauss(80, 15)),
        "move_every_hour": _contributor(rng.gauss(88, 12)),
        "recovery_time": _contributor(rng.gauss(90, 10)),
        "stay_active": _contributor(rng.gauss(75, 15)),
        "training_frequency": _contributor(rng.gauss(80, 18)),
        "training_volume": _contributor(rng.gauss(80, 18)),
    }
    return [
        {
            "id": document_id(ctx.seed, ctx.user, "daily_activity", plan.day),
            "class_5_min": "".join(_class_of(mets[i : i + 5]) for i in range(0, len(mets), 5)),
            "score": _score(sum(contributors.values()) / len(contributors)),
            "active_calories": active_calories,
            "average_met_minutes": round(sum(mets) / len(mets), 3),
            "contributors": contributors,
            "day": plan.day.isoformat(),
            "equivalent_walking_distance": walking_metres,
            "high_activity_met_minutes": round(sum(high)),
            "high_activity_time": len(high) * MINUTE,
            "inactivity_alerts": rng.randint(0, 3),
            "low_activity_met_minutes": round(sum(low)),
            "low_activity_time": len(low) * MINUTE,
            "medium_activity_met_minutes": round(sum(medium)),
            "medium_activity_time": len(medium) * MINUTE,
            "met": {"interval": 60.0, "items": mets, "timestamp": sample_iso(start)},
            "meters_to_target": max(0, target_metres - walking_metres),
            "non_wear_time": 0,
            "resting_time": len(resting) * MINUTE,
            "sedentary_met_minutes": round(sum(sedentary)),
            "sedentary_time": len(sedentary) * MINUTE,
            "steps": steps,
            "target_calories": plan.profile.target_calories,
            "target_meters": target_metres,
            "timestamp": local_iso(start),
            "total_calories": active_calories + round(per_minute * len(mets)),
        }
    ]


def workouts(ctx: DataContext, plan: DayPlan) -> list[Document]:
    documents = []
    for index, workout in enumerate(plan.workouts):
        if not ctx.has_happened(workout.end):
            continue
        minutes = (workout.end - workout.start).total_seconds() / MINUTE
        calories = (workout.met - 1) * 3.5 * plan.profile.weight / 200 * minutes
        distance = workout.distance_per_minute
        documents.append(
            {
                "id": document_id(ctx.seed, ctx.user, "workout", plan.day, index),
                "activity": workout.activity,
                "calories": round(calories, 3),
                "day": plan.day.isoformat(),
                "distance": None if distance is None else round(distance * minutes, 1),
                "end_datetime": local_iso(workout.end),
                "intensity": workout.intensity,
                "label": None,
                "source": workout.source,
                "start_datetime": local_iso(workout.start),
            }
        )
    return documents


def _sample(
    rng: random.Random, start: datetime, count: int, centre: float, spread: float
) -> dict[str, Any]:
    items = [round(centre + rng.uniform(-spread, spread), 1) for _ in range(count)]
    return {"interval": 5.0, "items": items, "timestamp": sample_iso(start)}


def sessions(ctx: DataContext, plan: DayPlan) -> list[Document]:
    documents = []
    for index, session in enumerate(plan.sessions):
        if not ctx.has_happened(session.end):
            continue
        rng = rng_for(ctx.seed, ctx.user, plan.day.isoformat(), "session", index)
        count = int((session.end - session.start).total_seconds() // 5)
        resting = plan.profile.resting_hr
        documents.append(
            {
                "id": document_id(ctx.seed, ctx.user, "session", plan.day, index),
                "day": plan.day.isoformat(),
                "start_datetime": local_iso(session.start),
                "end_datetime": local_iso(session.end),
                "type": session.type,
                "heart_rate": _sample(rng, session.start, count, resting + 8, 3),
                "heart_rate_variability": _sample(rng, session.start, count, plan.profile.hrv, 6),
                "mood": session.mood,
                "motion_count": {
                    "interval": 5.0,
                    "items": [float(rng.choice((0, 0, 0, 0, 1, 3, 8))) for _ in range(count)],
                    "timestamp": sample_iso(session.start),
                },
            }
        )
    return documents


def enhanced_tags(ctx: DataContext, plan: DayPlan) -> list[Document]:
    return [
        {
            "id": document_id(ctx.seed, ctx.user, "enhanced_tag", plan.day, index),
            "tag_type_code": tag.code,
            "start_time": local_iso(tag.start),
            "end_time": local_iso(tag.end) if tag.end else None,
            "start_day": plan.day.isoformat(),
            "end_day": tag.end.date().isoformat() if tag.end else None,
            "comment": tag.comment,
            "custom_name": tag.custom_name,
        }
        for index, tag in enumerate(plan.tags)
        if ctx.has_happened(tag.start) and (tag.end is None or ctx.has_happened(tag.end))
    ]


def tags(ctx: DataContext, plan: DayPlan) -> list[Document]:
    """The deprecated ``tag`` route: the day's tags as notes (the spec's ``TagModel``)."""
    return [
        {
            "id": document_id(ctx.seed, ctx.user, "tag", plan.day, index),
            "day": plan.day.isoformat(),
            "text": tag.comment,
            "timestamp": local_iso(tag.start),
            "tags": [tag.custom_name or tag.code],
        }
        for index, tag in enumerate(plan.tags)
        if ctx.has_happened(tag.start)
    ]


def rest_mode_periods(ctx: DataContext, plan: DayPlan) -> list[Document]:
    period = plan.rest_mode
    if period is None or not ctx.has_happened(period.start):
        return []
    ended = ctx.has_happened(period.end)
    episodes = []
    moment = period.start
    while moment <= period.end and ctx.has_happened(moment):
        episodes.append({"tags": list(period.tags), "timestamp": sample_iso(moment)})
        moment = later(moment, 24 * HOUR)
    return [
        {
            "id": document_id(ctx.seed, ctx.user, "rest_mode_period", plan.day),
            "end_day": period.end.date().isoformat() if ended else None,
            "end_time": local_iso(period.end) if ended else None,
            "episodes": episodes,
            "start_day": plan.day.isoformat(),
            "start_time": local_iso(period.start),
        }
    ]


# --- stress and heart health ---------------------------------------------------------------


def _day_fraction(ctx: DataContext, plan: DayPlan) -> float:
    """How much of the day has passed (1 for past days)."""
    start = _midnight(plan.day, plan.tz)
    return clamp((ctx.synced_until - start).total_seconds() / (24 * HOUR), 0.0, 1.0)


def daily_stress(ctx: DataContext, plan: DayPlan) -> list[Document]:
    if not _night_is_over(ctx, plan):
        return []
    rng = rng_for(ctx.seed, ctx.user, plan.day.isoformat(), "stress")
    fraction = _day_fraction(ctx, plan)
    stress_high = round(900 * rng.randint(0, 16) * fraction / 300) * 300
    recovery_high = round(900 * rng.randint(0, 28) * fraction / 300) * 300
    if fraction < 1:
        summary = None  # Oura sums the day up when it is over
    elif recovery_high > 1.5 * stress_high:
        summary = "restored"
    elif stress_high > 1.5 * recovery_high and stress_high >= 3600:
        summary = "stressful"
    else:
        summary = "normal"
    return [
        {
            "id": document_id(ctx.seed, ctx.user, "daily_stress", plan.day),
            "day": plan.day.isoformat(),
            "day_summary": summary,
            "recovery_high": recovery_high,
            "stress_high": stress_high,
        }
    ]


_RESILIENCE_LEVELS = ((35, "limited"), (50, "adequate"), (65, "solid"), (80, "strong"))


def daily_resilience(ctx: DataContext, plan: DayPlan) -> list[Document]:
    if not _night_is_over(ctx, plan):
        return []
    rng = rng_for(ctx.seed, ctx.user, plan.day.isoformat(), "resilience")
    contributors = {
        "sleep_recovery": round(rng.uniform(25, 90), 1),
        "daytime_recovery": round(rng.uniform(20, 85), 1),
        "stress": round(rng.uniform(30, 90), 1),
    }
    average = sum(contributors.values()) / 3
    level = next((name for limit, name in _RESILIENCE_LEVELS if average < limit), "exceptional")
    return [
        {
            "id": document_id(ctx.seed, ctx.user, "daily_resilience", plan.day),
            "day": plan.day.isoformat(),
            "contributors": contributors,
            "level": level,
        }
    ]


def daily_cardiovascular_age(ctx: DataContext, plan: DayPlan) -> list[Document]:
    if not _night_is_over(ctx, plan):
        return []
    rng = rng_for(ctx.seed, ctx.user, plan.day.isoformat(), "cardiovascular_age")
    return [
        {
            "id": document_id(ctx.seed, ctx.user, "daily_cardiovascular_age", plan.day),
            "day": plan.day.isoformat(),
            "pulse_wave_velocity": round(rng.uniform(5.6, 8.2), 1),
            "vascular_age": plan.profile.age + plan.profile.vascular_offset + rng.randint(-1, 1),
        }
    ]


def vo2_max(ctx: DataContext, plan: DayPlan) -> list[Document]:
    rng = rng_for(ctx.seed, ctx.user, plan.day.isoformat(), "vo2_max")
    if rng.random() >= 0.3:
        return []
    moment = at_local(plan.day, rng.randint(9 * 60, 18 * 60) * MINUTE + rng.randint(0, 59), plan.tz)
    if not ctx.has_happened(moment):
        return []
    return [
        {
            "id": document_id(ctx.seed, ctx.user, "vO2_max", plan.day),
            "day": plan.day.isoformat(),
            "timestamp": local_iso(moment),
            "vo2_max": plan.profile.vo2_max + rng.randint(-1, 1),
        }
    ]


# Every windowed document endpoint: name -> documents of one day (by ``day`` / ``start_day``).
DAY_DOCUMENTS: Mapping[str, Callable[[DataContext, DayPlan], list[Document]]] = MappingProxyType(
    {
        "daily_sleep": daily_sleep,
        "daily_readiness": daily_readiness,
        "daily_activity": daily_activity,
        "sleep": sleep_documents,
        "daily_spo2": daily_spo2,
        "daily_stress": daily_stress,
        "daily_resilience": daily_resilience,
        "daily_cardiovascular_age": daily_cardiovascular_age,
        "vO2_max": vo2_max,
        "workout": workouts,
        "session": sessions,
        "enhanced_tag": enhanced_tags,
        "tag": tags,
        "sleep_time": sleep_time,
        "rest_mode_period": rest_mode_periods,
    }
)


def documents_on(name: str, ctx: DataContext, day: date) -> list[Document]:
    """The ``name`` documents of one day, or nothing outside the data the user has."""
    if not ctx.covers(day):
        return []
    return DAY_DOCUMENTS[name](ctx, ctx.plan(day))


# --- user-level documents ------------------------------------------------------------------


def ring_ids(seed: int, user: int) -> list[str]:
    return [document_id(seed, user, "ring", index) for index in range(2)]


def ring_configurations(ctx: DataContext) -> list[Document]:
    """The user's previous ring and the one they wear now."""
    rng = rng_for(ctx.seed, ctx.user, "rings")
    size = rng.randint(6, 13)
    old_setup = datetime(2021, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randint(0, 700 * 86400))
    new_setup = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randint(0, 500 * 86400))
    old_id, new_id = ring_ids(ctx.seed, ctx.user)
    return [
        {
            "id": old_id,
            "color": rng.choice(("stealth_black", "silver", "glossy_black", "matt_gold")),
            "design": "heritage",
            "firmware_version": f"2.{rng.randint(8, 9)}.{rng.randint(10, 40)}",
            "hardware_type": "gen3",
            "set_up_at": utc_iso(old_setup),
            "size": size,
        },
        {
            "id": new_id,
            "color": rng.choice(("brushed_silver", "titanium", "midnight", "tide", "deep_rose")),
            "design": rng.choice(("horizon", "ceramic")),
            "firmware_version": f"1.{rng.randint(1, 4)}.{rng.randint(0, 30)}",
            "hardware_type": "gen4",
            "set_up_at": utc_iso(new_setup),
            "size": size,
        },
    ]


def personal_info(seed: int, user: int) -> Document:
    profile = profile_for(seed, user)
    return {
        "id": document_id(seed, user, "personal_info"),
        "age": profile.age,
        "weight": profile.weight,
        "height": profile.height,
        "biological_sex": profile.biological_sex,
        "email": f"sleeper{user}@example.com",
    }
