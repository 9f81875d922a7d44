"""The story of one simulated user's day: when they slept, trained, rested and tagged.

Pure functions of (seed, user, day, time zone): the same inputs always give the same plan,
and no plan depends on another day's, so any window can be generated independently.
Documents (data.py) and time series (series.py) are views of these plans.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

HOUR = 3600
MINUTE = 60


def rng_for(seed: int, user: int, *parts: object) -> random.Random:
    """A generator private to one (seed, user, topic...): string seeds hash stably."""
    return random.Random("/".join(str(p) for p in (seed, user, *parts)))


def document_id(seed: int, user: int, *parts: object) -> str:
    """A stable UUID4-shaped id, like Oura's."""
    digest = hashlib.sha256("/".join(str(p) for p in (seed, user, *parts)).encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def at_local(day: date, seconds_after_midnight: float, tz: tzinfo) -> datetime:
    """Local time that many real seconds after the day's midnight (DST-safe)."""
    midnight = datetime.combine(day, time(0), tzinfo=tz)
    return later(midnight, seconds_after_midnight)


def later(moment: datetime, seconds: float) -> datetime:
    """``moment`` plus elapsed seconds, keeping its time zone (arithmetic in UTC)."""
    return (moment.astimezone(UTC) + timedelta(seconds=seconds)).astimezone(moment.tzinfo)


def round_to(value: float, step: int) -> int:
    return int(round(value / step) * step)


def clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


@dataclass(frozen=True)
class Profile:
    """What stays the same about a user from day to day."""

    age: int
    weight: float
    height: float
    biological_sex: str
    resting_hr: int
    hrv: int
    vo2_max: int
    vascular_offset: int
    bedtime_offset: int  # seconds after 22:00 they usually go to bed
    sleep_need: int  # seconds
    usual_steps: int
    target_calories: int
    battery_phase: int  # seconds into the charge cycle at the epoch


def profile_for(seed: int, user: int) -> Profile:
    rng = rng_for(seed, user, "profile")
    sex = rng.choice(("female", "male"))
    height = round(rng.uniform(1.58, 1.75) if sex == "female" else rng.uniform(1.70, 1.92), 2)
    return Profile(
        age=rng.randint(24, 62),
        weight=round(22.5 * height * height + rng.uniform(-8, 14), 1),
        height=height,
        biological_sex=sex,
        resting_hr=rng.randint(46, 64),
        hrv=rng.randint(28, 75),
        vo2_max=rng.randint(34, 52),
        vascular_offset=rng.randint(-6, 4),
        bedtime_offset=rng.randint(0, 150) * MINUTE,
        sleep_need=rng.randint(7 * 60, 8 * 60 + 30) * MINUTE,
        usual_steps=rng.randint(6000, 11000),
        target_calories=rng.choice((350, 400, 450, 500, 550)),
        battery_phase=rng.randint(0, 5 * 24 * HOUR),
    )


@dataclass(frozen=True)
class SleepPlan:
    """One sleep period. Durations are seconds, multiples of 30 as Oura reports them."""

    type: str  # long_sleep, late_nap, rest
    start: datetime
    end: datetime
    latency: int
    awake: int
    deep: int
    rem: int
    light: int
    average_hr: float
    lowest_hr: int
    average_hrv: int
    average_breath: float
    restless_periods: int

    @property
    def time_in_bed(self) -> int:
        return int((self.end - self.start).total_seconds())

    @property
    def total_sleep(self) -> int:
        return self.deep + self.rem + self.light


@dataclass(frozen=True)
class WorkoutPlan:
    activity: str
    intensity: str
    source: str
    start: datetime
    end: datetime
    met: float
    distance_per_minute: float | None  # meters; None for activities without distance


@dataclass(frozen=True)
class SessionPlan:
    type: str
    start: datetime
    end: datetime
    mood: str | None


@dataclass(frozen=True)
class TagPlan:
    code: str
    custom_name: str | None
    start: datetime
    end: datetime | None
    comment: str | None


@dataclass(frozen=True)
class RestModePlan:
    start: datetime
    end: datetime
    tags: tuple[str, ...]


@dataclass(frozen=True)
class DayPlan:
    """Everything that happens on one local calendar day ``day``.

    ``sleeps`` holds the night that ends on this day (type long_sleep, usually starting
    the evening before) and any naps of this day, in time order. ``phone_syncs`` are the
    moments the phone app hands the ring's data to Oura, from the morning after the night
    until the next night begins: Oura has a moment's data only after the next of them.
    """

    day: date
    tz: tzinfo
    profile: Profile
    sleeps: tuple[SleepPlan, ...]
    workouts: tuple[WorkoutPlan, ...]
    sessions: tuple[SessionPlan, ...]
    tags: tuple[TagPlan, ...]
    rest_mode: RestModePlan | None
    usual_steps: int
    phone_syncs: tuple[datetime, ...] = ()

    @property
    def night(self) -> SleepPlan:
        return next(s for s in self.sleeps if s.type == "long_sleep")

    @property
    def morning_sync(self) -> datetime:
        """When last night's documents appear at Oura."""
        return self.phone_syncs[0]


_WORKOUTS = (
    # activity, intensity weights (easy, moderate, hard), meters per minute or None
    ("walking", (0.7, 0.3, 0.0), 85.0),
    ("running", (0.2, 0.5, 0.3), 180.0),
    ("cycling", (0.3, 0.5, 0.2), 350.0),
    ("strength_training", (0.3, 0.5, 0.2), None),
    ("yoga", (0.8, 0.2, 0.0), None),
    ("swimming", (0.3, 0.5, 0.2), 40.0),
)
_INTENSITY_MET = {"easy": 3.8, "moderate": 6.0, "hard": 9.0}
_WORKOUT_SOURCES = ("autodetected", "confirmed", "manual", "workout_heart_rate")
_SESSION_TYPES = ("breathing", "meditation", "relaxation", "rest", "body_status")
_MOODS = ("bad", "worse", "same", "good", "great", None)
_TAG_CODES = (
    "tag_generic_caffeine",
    "tag_generic_alcohol",
    "tag_generic_late_meal",
    "tag_generic_sauna",
    "tag_generic_stress",
    "tag_generic_nocaffeine",
)
_REST_MODE_TAGS = (
    "tag_generic_flu",
    "tag_generic_sickness",
    "tag_generic_fatigue",
    "tag_generic_cold",
    "tag_sleep_alcohol",
)


def _sleep(
    rng: random.Random, kind: str, start: datetime, time_in_bed: int, profile: Profile
) -> SleepPlan:
    time_in_bed = round_to(time_in_bed, 30)
    nap = kind != "long_sleep"
    latency = round_to(rng.uniform(2, 12) * MINUTE if nap else rng.uniform(4, 28) * MINUTE, 30)
    awake = latency + round_to(rng.uniform(1, 8 if nap else 55) * MINUTE, 30)
    total = time_in_bed - awake
    deep = round_to(total * rng.uniform(0.02, 0.1) if nap else total * rng.uniform(0.12, 0.22), 30)
    rem = round_to(total * rng.uniform(0.0, 0.1) if nap else total * rng.uniform(0.17, 0.26), 30)
    lowest = profile.resting_hr + rng.randint(-3, 2)
    return SleepPlan(
        type=kind,
        start=start,
        end=later(start, time_in_bed),
        latency=latency,
        awake=awake,
        deep=deep,
        rem=rem,
        light=total - deep - rem,
        average_hr=round(lowest + rng.uniform(3, 9), 3),
        lowest_hr=lowest,
        average_hrv=max(8, profile.hrv + rng.randint(-12, 12)),
        average_breath=round(rng.uniform(12.5, 16.5) * 8) / 8,
        restless_periods=rng.randint(5, 40) if nap else rng.randint(90, 380),
    )


def _night(
    seed: int, user: int, day: date, tz: tzinfo, profile: Profile, wake: int | None = None
) -> SleepPlan:
    """The night ending on ``day``; with ``wake`` (seconds after midnight) it ends around
    that time instead of following the usual bedtime."""
    rng = rng_for(seed, user, day.isoformat(), "night")
    offset = clamp(profile.bedtime_offset + rng.gauss(0, 35 * MINUTE), -60 * MINUTE, 270 * MINUTE)
    start = at_local(day - timedelta(days=1), 22 * HOUR + offset, tz)
    start = start.replace(second=rng.randint(0, 59))
    time_in_bed = clamp(
        rng.gauss(profile.sleep_need + 35 * MINUTE, 50 * MINUTE), 270 * MINUTE, 630 * MINUTE
    )
    if wake is not None:
        waking = rng_for(seed, user, day.isoformat(), "wake").gauss(0, 25 * MINUTE)
        end = at_local(day, clamp(wake + waking, 3 * HOUR, 13 * HOUR), tz)
        start = later(end, -round_to(time_in_bed, 30))
    return _sleep(rng, "long_sleep", start, int(time_in_bed), profile)


def _phone_syncs(
    seed: int, user: int, day: date, night: SleepPlan, next_night: SleepPlan
) -> tuple[datetime, ...]:
    """The morning sync (most people open the app within minutes of waking, some only hours
    later), then background syncs every 15-60 minutes until the next night."""
    rng = rng_for(seed, user, day.isoformat(), "phone_syncs")
    if rng.random() < 0.88:
        delay = clamp(rng.expovariate(1 / (10 * MINUTE)), MINUTE, 50 * MINUTE)
    else:
        delay = rng.uniform(50, 150) * MINUTE
    moment = later(night.end, delay).replace(microsecond=0)
    syncs = [moment]
    while True:
        moment = later(moment, rng.randint(15 * 60, 60 * 60))
        if moment >= next_night.start:
            return tuple(syncs)
        syncs.append(moment)


def _naps(seed: int, user: int, day: date, tz: tzinfo, profile: Profile) -> list[SleepPlan]:
    rng = rng_for(seed, user, day.isoformat(), "naps")
    if rng.random() >= 0.22:
        return []
    kind = rng.choice(("late_nap", "late_nap", "rest"))
    start = at_local(day, 13 * HOUR + rng.randint(0, 150) * MINUTE + rng.randint(0, 59), tz)
    return [_sleep(rng, kind, start, rng.randint(20, 75) * MINUTE, profile)]


def _workouts(seed: int, user: int, day: date, tz: tzinfo) -> list[WorkoutPlan]:
    rng = rng_for(seed, user, day.isoformat(), "workouts")
    if rng.random() >= 0.45:
        return []
    plans = []
    earliest = 7 * HOUR
    for _ in range(2 if rng.random() < 0.15 else 1):
        activity, weights, speed = rng.choice(_WORKOUTS)
        intensity = rng.choices(("easy", "moderate", "hard"), weights)[0]
        start_offset = rng.randint(earliest // MINUTE, 19 * 60) * MINUTE
        duration = rng.randint(20, 90) * MINUTE
        start = at_local(day, start_offset, tz)
        plans.append(
            WorkoutPlan(
                activity=activity,
                intensity=intensity,
                source=rng.choice(_WORKOUT_SOURCES),
                start=start,
                end=later(start, duration),
                met=_INTENSITY_MET[intensity],
                distance_per_minute=speed,
            )
        )
        earliest = start_offset + duration + HOUR
        if earliest > 19 * HOUR:
            break
    return plans


def _sessions(seed: int, user: int, day: date, tz: tzinfo) -> list[SessionPlan]:
    rng = rng_for(seed, user, day.isoformat(), "sessions")
    if rng.random() >= 0.25:
        return []
    start = at_local(day, rng.randint(8 * 60, 21 * 60) * MINUTE + rng.randint(0, 59), tz)
    duration = rng.randint(60, 240) * 5
    return [
        SessionPlan(rng.choice(_SESSION_TYPES), start, later(start, duration), rng.choice(_MOODS))
    ]


def _tags(seed: int, user: int, day: date, tz: tzinfo) -> list[TagPlan]:
    rng = rng_for(seed, user, day.isoformat(), "tags")
    if rng.random() >= 0.3:
        return []
    tags = []
    for _ in range(rng.randint(1, 2)):
        start = at_local(day, rng.randint(8 * 60, 22 * 60) * MINUTE + rng.randint(0, 59), tz)
        lasting = rng.random() < 0.3
        if rng.random() < 0.1:
            code, custom = "custom", rng.choice(("Evening walk", "Cold shower", "Travel"))
        else:
            code, custom = rng.choice(_TAG_CODES), None
        tags.append(
            TagPlan(
                code=code,
                custom_name=custom,
                start=start,
                end=later(start, rng.randint(30, 180) * MINUTE) if lasting else None,
                comment=rng.choice(("", None, "felt it later")),
            )
        )
    return sorted(tags, key=lambda t: t.start)


def _rest_mode(seed: int, user: int, day: date, tz: tzinfo) -> RestModePlan | None:
    rng = rng_for(seed, user, day.isoformat(), "rest_mode")
    if rng.random() >= 0.05:
        return None
    start = at_local(day, rng.randint(9 * 60, 20 * 60) * MINUTE, tz)
    end = later(start, rng.randint(1, 3) * 24 * HOUR - rng.randint(1, 8) * HOUR)
    tags = tuple(sorted(rng.sample(_REST_MODE_TAGS, rng.randint(1, 2))))
    return RestModePlan(start, end, tags)


def day_plan(seed: int, user: int, day: date, tz: tzinfo, wake: int | None = None) -> DayPlan:
    """``wake``: the user's usual wake-up, seconds after midnight (None: from their bedtime)."""
    profile = profile_for(seed, user)
    night = _night(seed, user, day, tz, profile, wake)
    next_night = _night(seed, user, day + timedelta(days=1), tz, profile, wake)
    sleeps = [night, *_naps(seed, user, day, tz, profile)]
    rng = rng_for(seed, user, day.isoformat(), "steps")
    return DayPlan(
        day=day,
        tz=tz,
        profile=profile,
        sleeps=tuple(sorted(sleeps, key=lambda s: s.start)),
        workouts=tuple(_workouts(seed, user, day, tz)),
        sessions=tuple(_sessions(seed, user, day, tz)),
        tags=tuple(_tags(seed, user, day, tz)),
        rest_mode=_rest_mode(seed, user, day, tz),
        usual_steps=int(clamp(rng.gauss(profile.usual_steps, 2500), 1500, 25000)),
        phone_syncs=_phone_syncs(seed, user, day, night, next_night),
    )


def horizon(plans: tuple[DayPlan, ...], now: datetime) -> datetime | None:
    """The last phone sync at or before ``now`` among ``plans`` (None: none yet)."""
    synced = [s for plan in plans for s in plan.phone_syncs if s <= now]
    return max(synced) if synced else None
