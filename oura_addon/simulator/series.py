"""Time series rows (heart rate every 5 minutes, ring battery every 30) for a UTC window.

Pure functions: each local day's rows come from that day's plan and its own generator, so
a window gives the same rows however it is cut into requests.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from oura_addon.simulator.data import DataContext, utc_iso
from oura_addon.simulator.plans import HOUR, at_local, profile_for, rng_for

HEART_RATE_STEP = 300
BATTERY_STEP = 1800
_CHARGE_CYCLE = 5 * 24 * HOUR
_CHARGE_TIME = 90 * 60


def _row_times(start: float, end: float, step: int) -> range:
    first = math.ceil(start / step) * step
    return range(int(first), int(end) + 1, step)


def _data_window(ctx: DataContext, start: datetime, end: datetime) -> tuple[float, float]:
    """The part of [start, end] where Oura has data: from the first day to the last sync."""
    earliest = at_local(ctx.first_day, 0, ctx.tz).timestamp()
    return max(start.timestamp(), earliest), min(end.timestamp(), ctx.synced_until.timestamp())


def heart_rate_rows(ctx: DataContext, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Rows with ``start <= timestamp <= end``, oldest first."""
    low, high = _data_window(ctx, start, end)
    if low > high:
        return []
    rows: list[dict[str, Any]] = []
    first_day = datetime.fromtimestamp(low, ctx.tz).date()
    last_day = datetime.fromtimestamp(high, ctx.tz).date()
    day = first_day
    while day <= last_day:
        plan = ctx.plan(day)
        following = ctx.plan(day + timedelta(days=1))
        sleeps = [(s.start.timestamp(), s.end.timestamp()) for s in (*plan.sleeps, following.night)]
        workouts = [(w.start.timestamp(), w.end.timestamp(), w.met) for w in plan.workouts]
        sessions = [(s.start.timestamp(), s.end.timestamp()) for s in plan.sessions]
        rng = rng_for(ctx.seed, ctx.user, day.isoformat(), "heartrate")
        resting = plan.profile.resting_hr
        day_start = at_local(day, 0, ctx.tz).timestamp()
        day_end = at_local(day + timedelta(days=1), 0, ctx.tz).timestamp() - 1
        for moment in _row_times(day_start, day_end, HEART_RATE_STEP):
            noise = rng.uniform(-3, 3)
            resting_moment = rng.random() < 0.15
            if not low <= moment <= high:
                continue
            workout = next((met for a, b, met in workouts if a <= moment < b), None)
            if any(a <= moment < b for a, b in sleeps):
                source, bpm = "sleep", resting + 4 + noise
            elif workout is not None:
                source, bpm = "workout", 70 + workout * 9 + noise * 2
            elif any(a <= moment < b for a, b in sessions):
                source, bpm = "session", resting + 8 + noise
            elif resting_moment:
                source, bpm = "rest", resting + 12 + noise
            else:
                hour = datetime.fromtimestamp(moment, ctx.tz).hour
                source, bpm = "awake", resting + 18 + 8 * math.sin((hour - 9) / 24 * 6.283) + noise
            rows.append(
                {
                    "bpm": round(bpm),
                    "source": source,
                    "timestamp": utc_iso(datetime.fromtimestamp(moment, UTC)),
                    "timestamp_unix": moment * 1000,
                }
            )
        day += timedelta(days=1)
    return rows


def battery_rows(ctx: DataContext, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """A discharge/charge sawtooth: about five days from 100% to 15%, then 90 min charging."""
    low, high = _data_window(ctx, start, end)
    if low > high:
        return []
    phase_offset = profile_for(ctx.seed, ctx.user).battery_phase
    rows = []
    for moment in _row_times(low, high, BATTERY_STEP):
        phase = (moment + phase_offset) % _CHARGE_CYCLE
        charging = phase < _CHARGE_TIME
        if charging:
            level = 15 + 85 * phase / _CHARGE_TIME
        else:
            level = 100 - 85 * (phase - _CHARGE_TIME) / (_CHARGE_CYCLE - _CHARGE_TIME)
        level = max(0, min(100, round(level)))
        rows.append(
            {
                "timestamp": utc_iso(datetime.fromtimestamp(moment, UTC)),
                "timestamp_unix": moment * 1000,
                "level": level,
                "charging": charging and level < 100,
                "in_charger": charging,
            }
        )
    return rows
