"""The insights' arithmetic against hand computations: ranks, Spearman, Fisher's interval,
night means weighted by minutes, bins, the "not yet" rules and the sentences' words."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from oura_addon.i18n import Translator
from oura_addon.insights import core

HELSINKI = ZoneInfo("Europe/Helsinki")


def test_tied_values_share_the_mean_of_their_ranks():
    assert core.ranks([10.0, 20.0, 20.0, 30.0]) == [1.0, 2.5, 2.5, 4.0]


def test_spearman_is_pearson_on_ranks_by_hand():
    # ranks of y: 1, 2, 3.5, 5, 3.5; sxy = 8, sxx = 10, syy = 9.5 -> 8 / sqrt(95)
    rho = core.spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])
    assert rho == pytest.approx(0.8207826816681233)
    assert core.spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert core.spearman([1, 2, 3], [4, 4, 4]) is None  # a measure that never changed


def test_fisher_interval_of_a_rank_correlation():
    # z = atanh(0.5) = 0.5493; half width 1.96 * sqrt(1.06 / 25) = 0.4036
    low, high = core.fisher_interval(0.5, 28)
    assert low == pytest.approx(0.14470202144464853)
    assert high == pytest.approx(0.7410874615592804)
    assert core.fisher_interval(0.5, 3) is None


def test_a_night_mean_weights_each_hour_by_its_minutes_inside_the_night():
    night = core.Night(
        date(2025, 3, 30),
        datetime(2025, 3, 29, 23, 30, tzinfo=HELSINKI),
        datetime(2025, 3, 30, 6, 15, tzinfo=HELSINKI),
    )
    # Summer time starts at 03:00 local that night: the night is 5 h 45 min of real time.
    start = datetime(2025, 3, 29, 21, 0, tzinfo=UTC)  # 23:00 local
    values = [20.0, 19.0, 18.0, 18.0, 17.0, 17.0, 16.0, 99.0]
    hours = [(start + timedelta(hours=i), v) for i, v in enumerate(values)]
    # 23:00 30 min, five whole hours, 06:00 (summer time) 15 min; 99 is after the night
    by_hand = (20 * 30 + (19 + 18 + 18 + 17 + 17) * 60 + 16 * 15) / (30 + 300 + 15)
    assert core.night_mean(night, hours) == pytest.approx(by_hand)
    assert core.night_mean(night, hours[:2]) is None  # under half the night covered


def test_the_main_sleep_is_the_longest_long_sleep_of_the_day():
    def sleep(kind, start_hour, hours, day=date(2025, 5, 2)):
        start = datetime(2025, 5, 1, start_hour, tzinfo=HELSINKI)
        end = start + timedelta(hours=hours)
        return SimpleNamespace(
            day=day, type=kind, bedtime_start=start, bedtime_end=end, time_in_bed=hours * 3600
        )

    nights = core.night_windows(
        [sleep("long_sleep", 22, 8), sleep("long_sleep", 14, 2), sleep("late_nap", 12, 9)]
    )
    assert list(nights) == [date(2025, 5, 2)]
    assert nights[date(2025, 5, 2)].start.hour == 22


def test_bins_split_the_nights_by_the_entitys_value():
    pairs = [(float(x), float(100 - x)) for x in range(1, 10)]
    made = core.bins(pairs, 3)
    assert [(b.low, b.high, b.nights, b.mean) for b in made] == [
        (1.0, 3.0, 3, 98.0),
        (4.0, 6.0, 3, 95.0),
        (7.0, 9.0, 3, 92.0),
    ]
    tied = core.bins([(1.0, 1.0), (2.0, 1.0), (2.0, 3.0), (5.0, 3.0)], 2)
    assert [b.nights for b in tied] == [3, 1]  # equal values never split across bins


def _relation(pairs):
    return core.relate("sensor.bedroom", "sleep_score", pairs)


def test_fewer_than_14_nights_say_not_yet_whatever_the_correlation():
    relation = _relation([(float(i), float(80 - i)) for i in range(13)])
    assert relation.correlation == pytest.approx(-1.0)
    assert not relation.clear
    text = Translator().text(core.sentence(relation, "Bedroom", "°C"))
    assert "no clear relation yet" in text and "13 nights" in text and "14" in text


def test_an_interval_that_includes_zero_is_no_clear_relation():
    wobble = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4]
    relation = _relation([(float(i), float(w)) for i, w in enumerate(wobble)])
    low, high = relation.interval
    assert low < 0 < high
    text = Translator().text(core.sentence(relation, "Bedroom", "°C"))
    assert "no clear relation yet" in text and "includes zero" in text


def test_a_clear_relation_goes_with_never_causes():
    pairs = [(18.0 + i / 10, 90.0 - i / 2) for i in range(40)]
    relation = _relation(pairs)
    assert relation.clear and relation.correlation == pytest.approx(-1.0)
    text = Translator().text(core.sentence(relation, "Bedroom temperature", "°C"))
    assert text.startswith("A lower Bedroom temperature goes with a higher sleep score")
    assert "cause" not in text
    assert "87 at 18 to 19.2 °C (13 nights)" in text  # the best bin: the coolest nights


def test_clear_relations_sort_before_unclear_ones():
    clear = _relation([(float(i), float(i)) for i in range(20)])
    weak = _relation([(float(i), float(i % 3)) for i in range(20)])
    assert core.strength(clear) > core.strength(weak)
