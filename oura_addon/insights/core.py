"""The pure part of the insights: nights, night means, a rank correlation, bins, sentences.

The correlation is Spearman's rank correlation; its 95% interval comes from Fisher's z
transformation with the standard error sqrt(1.06 / (n - 3)) that Fieller, Hartley and
Pearson (1957) give for rank correlations. No numpy: the sums are small.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from oura_addon.i18n import Number, Text, _l

MIN_NIGHTS = 14
MAX_NIGHTS = 365
Z_95 = 1.959963984540054
# Less than this share of a night covered by hourly statistics: no mean for that night.
MIN_COVERAGE = 0.5
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Measure:
    key: str  # the sensor key (catalogue), e.g. sleep_score
    label: Text  # mid-sentence, lowercase where the language allows
    unit: str | None
    decimals: int


MEASURES: tuple[Measure, ...] = (
    Measure("sleep_score", _l("sleep score"), None, 0),
    Measure("deep_sleep_duration", _l("deep sleep"), "h", 2),
    Measure("average_hrv", _l("average HRV"), "ms", 0),
    Measure("lowest_heart_rate", _l("lowest heart rate"), "bpm", 0),
    Measure("readiness_score", _l("readiness score"), None, 0),
)
MEASURES_BY_KEY = {m.key: m for m in MEASURES}


@dataclass(frozen=True)
class Night:
    """A night's main sleep period: bedtime start to end (aware datetimes)."""

    day: date
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Bin:
    low: float  # the lowest entity value among its nights
    high: float
    nights: int
    mean: float  # the measure's mean over its nights


@dataclass(frozen=True)
class Relation:
    entity_id: str
    measure: str
    nights: int
    correlation: float | None
    interval: tuple[float, float] | None
    bins: tuple[Bin, ...]

    @property
    def clear(self) -> bool:
        """Enough nights, and an interval on one side of zero."""
        if self.nights < MIN_NIGHTS or self.interval is None:
            return False
        low, high = self.interval
        return low > 0 or high < 0


# -- nights ------------------------------------------------------------------------------------


def night_windows(sleep_records: Iterable[Any]) -> dict[date, Night]:
    """Each day's main sleep period: its longest ``long_sleep`` (naps and rests never)."""
    best: dict[date, tuple[float, Night]] = {}
    for record in sleep_records:
        day = getattr(record, "day", None)
        start = getattr(record, "bedtime_start", None)
        end = getattr(record, "bedtime_end", None)
        if getattr(record, "type", None) != "long_sleep" or not isinstance(day, date):
            continue
        if not isinstance(start, datetime) or not isinstance(end, datetime):
            continue
        if start.tzinfo is None or end.tzinfo is None or end.astimezone(UTC) <= start:
            continue
        length = float(
            getattr(record, "time_in_bed", None)
            or (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds()
        )
        if day not in best or length > best[day][0]:
            best[day] = (length, Night(day, start, end))
    return {day: night for day, (_, night) in best.items()}


def night_mean(night: Night, hours: Sequence[tuple[datetime, float]]) -> float | None:
    """The mean of hourly means over the night, each hour weighted by its minutes inside it.

    ``hours`` are (hour start, mean) pairs. None when less than half the night is covered.
    """
    # In UTC: arithmetic between datetimes of one zone is wall-clock time, wrong at DST.
    begin, finish = night.start.astimezone(UTC), night.end.astimezone(UTC)
    weighted = 0.0
    covered = 0.0
    for start, mean in hours:
        if not math.isfinite(mean):
            continue
        hour = start.astimezone(UTC)
        overlap = (min(hour + HOUR, finish) - max(hour, begin)).total_seconds()
        if overlap > 0:
            weighted += mean * overlap
            covered += overlap
    length = (finish - begin).total_seconds()
    if covered <= 0 or covered < MIN_COVERAGE * length:
        return None
    return weighted / covered


def night_means(
    nights: Mapping[date, Night], hours: Sequence[tuple[datetime, float]]
) -> dict[date, float]:
    """``night_mean`` of every night, each looking only at its own hours (a year of nights
    against a year of hours stays a few thousand steps)."""
    by_hour = {int(start.timestamp()) // 3600: (start, mean) for start, mean in hours}
    means: dict[date, float] = {}
    for day, night in nights.items():
        first = int(night.start.timestamp()) // 3600
        last = int(night.end.timestamp()) // 3600
        own = [by_hour[k] for k in range(first, last + 1) if k in by_hour]
        mean = night_mean(night, own)
        if mean is not None:
            means[day] = mean
    return means


def hours_of(nights: Iterable[Night]) -> tuple[datetime, datetime] | None:
    """The whole hours from the first night's start to the last night's end."""
    listed = list(nights)
    if not listed:
        return None
    first = min(n.start.astimezone(UTC) for n in listed)
    last = max(n.end.astimezone(UTC) for n in listed)
    return first.replace(minute=0, second=0, microsecond=0), last + HOUR


# -- statistics --------------------------------------------------------------------------------


def ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks; tied values share the mean of their ranks."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    result = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        shared = (i + j) / 2 + 1
        for k in range(i, j + 1):
            result[order[k]] = shared
        i = j + 1
    return result


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    n = len(xs)
    if n < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx <= 0 or syy <= 0:
        return None  # one of them never changed: no correlation to speak of
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    return pearson(ranks(xs), ranks(ys))


def fisher_interval(rho: float, n: int) -> tuple[float, float] | None:
    """The 95% interval of a rank correlation by Fisher's z (None below 4 pairs)."""
    if n < 4:
        return None
    clipped = max(-0.999999, min(0.999999, rho))
    z = math.atanh(clipped)
    half = Z_95 * math.sqrt(1.06 / (n - 3))
    return math.tanh(z - half), math.tanh(z + half)


def bin_count(nights: int) -> int:
    return 3 if nights < 60 else 4


def bins(pairs: Sequence[tuple[float, float]], count: int) -> tuple[Bin, ...]:
    """The nights split by the entity's value into ``count`` groups of (nearly) equal size;
    equal values stay together."""
    ordered = sorted(pairs)
    if not ordered:
        return ()
    count = max(1, min(count, len(ordered)))
    groups: list[list[tuple[float, float]]] = []
    size = len(ordered) / count
    start = 0
    for index in range(1, count + 1):
        stop = len(ordered) if index == count else round(index * size)
        while 0 < stop < len(ordered) and ordered[stop][0] == ordered[stop - 1][0]:
            stop += 1
        if stop > start:
            groups.append(ordered[start:stop])
            start = stop
    return tuple(Bin(g[0][0], g[-1][0], len(g), sum(y for _, y in g) / len(g)) for g in groups)


def relate(entity_id: str, measure: str, pairs: Sequence[tuple[float, float]]) -> Relation:
    """How the entity's night means (x) and the measure (y) go together."""
    n = len(pairs)
    rho = spearman([x for x, _ in pairs], [y for _, y in pairs]) if n >= 2 else None
    interval = fisher_interval(rho, n) if rho is not None else None
    return Relation(entity_id, measure, n, rho, interval, bins(pairs, bin_count(n)))


def pairs_for(
    entity_means: Mapping[date, float], measures: Mapping[str, float]
) -> list[tuple[float, float]]:
    """(entity's night mean, measure) for every night that has both; ``measures`` by ISO day."""
    return [
        (mean, measures[day.isoformat()])
        for day, mean in sorted(entity_means.items())
        if day.isoformat() in measures
    ]


def strength(relation: Relation) -> float:
    """Sort key: clear relations first, the strongest first."""
    rho = abs(relation.correlation or 0.0)
    return (1.0 if relation.clear else 0.0) + rho


# -- sentences ---------------------------------------------------------------------------------


def quantity(value: float, unit: str | None, decimals: int) -> object:
    number = Number(round(value, decimals) if decimals else round(value))
    if not unit:
        return number
    return _l("%(value)s %(unit)s", value=number, unit=unit)


def value_range(low: float, high: float, unit: str | None) -> Text:
    decimals = 1
    if unit:
        return _l(
            "%(low)s to %(high)s %(unit)s",
            low=Number(round(low, decimals)),
            high=Number(round(high, decimals)),
            unit=unit,
        )
    return _l(
        "%(low)s to %(high)s", low=Number(round(low, decimals)), high=Number(round(high, decimals))
    )


def sentence(relation: Relation, entity_name: str, entity_unit: str | None) -> Text:
    """What the relation says, honestly: "goes with", never "causes"."""
    measure = MEASURES_BY_KEY[relation.measure]
    if relation.nights < MIN_NIGHTS:
        return _l(
            "%(entity)s and %(measure)s: no clear relation yet. Only %(nights)s nights have "
            "both; at least %(needed)s are needed.",
            entity=entity_name,
            measure=measure.label,
            nights=Number(relation.nights),
            needed=Number(MIN_NIGHTS),
        )
    if not relation.clear or relation.interval is None or relation.correlation is None:
        if relation.interval is None:
            return _l(
                "%(entity)s and %(measure)s: no clear relation yet. One of them did not "
                "change over %(nights)s nights.",
                entity=entity_name,
                measure=measure.label,
                nights=Number(relation.nights),
            )
        return _l(
            "%(entity)s and %(measure)s: no clear relation yet. Over %(nights)s nights the "
            "95%% interval of the rank correlation (%(low)s to %(high)s) includes zero.",
            entity=entity_name,
            measure=measure.label,
            nights=Number(relation.nights),
            low=Number(round(relation.interval[0], 2)),
            high=Number(round(relation.interval[1], 2)),
        )
    best = max(relation.bins, key=lambda b: b.mean)
    worst = min(relation.bins, key=lambda b: b.mean)
    values = {
        "entity": entity_name,
        "measure": measure.label,
        "nights": Number(relation.nights),
        "rho": Number(round(relation.correlation, 2)),
        "low": Number(round(relation.interval[0], 2)),
        "high": Number(round(relation.interval[1], 2)),
        "best": quantity(best.mean, measure.unit, measure.decimals),
        "best_range": value_range(best.low, best.high, entity_unit),
        "best_nights": Number(best.nights),
        "worst": quantity(worst.mean, measure.unit, measure.decimals),
        "worst_range": value_range(worst.low, worst.high, entity_unit),
        "worst_nights": Number(worst.nights),
    }
    if relation.correlation < 0:
        return _l(
            "A lower %(entity)s goes with a higher %(measure)s: %(best)s at %(best_range)s "
            "(%(best_nights)s nights) against %(worst)s at %(worst_range)s (%(worst_nights)s "
            "nights). Rank correlation %(rho)s over %(nights)s nights, 95%% interval %(low)s "
            "to %(high)s.",
            **values,
        )
    return _l(
        "A higher %(entity)s goes with a higher %(measure)s: %(best)s at %(best_range)s "
        "(%(best_nights)s nights) against %(worst)s at %(worst_range)s (%(worst_nights)s "
        "nights). Rank correlation %(rho)s over %(nights)s nights, 95%% interval %(low)s "
        "to %(high)s.",
        **values,
    )
