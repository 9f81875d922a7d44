"""The freshness replay (``python -m oura_addon.benchmark freshness``) on a short span."""

from __future__ import annotations

import pytest

from oura_addon.benchmark import cli as benchmark
from oura_addon.benchmark import freshness


@pytest.fixture(scope="module")
def table():
    lines: list[str] = []
    figures = freshness.report(days=4, users=1, out=lines.append)
    return figures, lines


def test_the_schedule_brings_the_morning_scores_within_two_minutes_at_fewer_requests(table):
    figures, _ = table
    morning = figures["morning scores (sleep, readiness)"]
    ours, fixed10 = morning["per-endpoint schedule"], morning["fixed 10 min"]
    assert ours.median is not None and ours.median <= 2 < fixed10.median
    groups = freshness.ROWS[1:]  # night, daytime, slow: every endpoint once

    def total(poller: str) -> float:
        return sum(figures[label][poller].per_day for label, _ in groups)

    assert total("per-endpoint schedule") < total("fixed 10 min")


def test_daytime_data_is_never_later_than_the_poll_interval_allows(table):
    figures, _ = table
    daytime = figures["daytime (activity, heart rate...)"]["per-endpoint schedule"]
    assert daytime.p95 is not None and daytime.p95 <= 10.25  # poll interval plus one tick


def test_the_table_names_every_group_and_poller(table):
    _, lines = table
    text = "\n".join(lines)
    for label, _ in freshness.ROWS:
        assert label in text
    for poller in ("per-endpoint schedule", "fixed 10 min", "fixed 5 min"):
        assert poller in text
    assert lines[-1].startswith("all endpoints")


def test_the_benchmark_command_keeps_its_usage_and_gains_the_subcommand(capsys):
    with pytest.raises(SystemExit):
        benchmark.main(["freshness", "--help"])
    assert "--poll-interval" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        benchmark.main(["freshness", "--days", "40"])


def test_webhooks_bring_every_pushed_group_within_a_minute_at_a_third_of_the_requests(table):
    figures, lines = table
    pushed_rows = [label for label, _ in freshness.ROWS if not label.startswith("daytime (")]
    for label in (*pushed_rows, freshness.PUSHED_DAYTIME_ROW[0]):
        pushed = figures[label]["webhooks"]
        assert pushed.median is not None and pushed.median < 1, label
        assert pushed.p95 is not None and pushed.p95 < 2, label
    totals = [float(v) for v in lines[-1].split()[2:]]
    schedule_total, webhook_total = totals[0], totals[-1]
    assert webhook_total <= schedule_total / 3
