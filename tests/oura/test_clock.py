"""The host's clock against Oura's: a clock far off is said in the panel and once in the log."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from oura_addon.i18n import Catalogues, text_from_json, text_to_json
from oura_addon.oura.clock import SKEW_LIMIT, ClockWatch, clock_offset

HERE = datetime(2026, 12, 3, 20, 0, tzinfo=UTC)


def _header(moment: datetime) -> str:
    return moment.strftime("%a, %d %b %Y %H:%M:%S GMT")


@pytest.mark.parametrize(
    ("oura", "offset"),
    [
        (HERE, timedelta(0)),
        (HERE - timedelta(days=3), timedelta(days=3)),  # this machine is ahead
        (HERE + timedelta(hours=2), -timedelta(hours=2)),  # behind
    ],
)
def test_the_offset_is_how_far_this_machine_is_ahead(oura, offset):
    assert clock_offset(_header(oura), HERE) == offset


@pytest.mark.parametrize("header", [None, "", "yesterday", "Wed, 99 Foo 2026 25:61:00 GMT"])
def test_a_missing_or_unreadable_date_tells_nothing(header):
    assert clock_offset(header, HERE) is None


def test_a_date_without_a_zone_tells_nothing():
    assert clock_offset("Thu, 03 Dec 2026 20:00:00 -0000", HERE) is None


def test_a_few_minutes_apart_is_network_delay_not_a_wrong_clock():
    watch = ClockWatch(now=lambda: HERE)
    watch.observe(_header(HERE - SKEW_LIMIT))
    assert watch.problem() is None


def test_a_clock_days_off_is_one_sentence_with_both_times_until_it_agrees(caplog):
    now = HERE
    watch = ClockWatch(now=lambda: now)
    caplog.set_level(logging.INFO, logger="oura_addon.oura.clock")
    for _ in range(3):  # every answer says so; the log says it once
        watch.observe(_header(HERE + timedelta(days=2)))
    problem = watch.problem()
    assert problem is not None
    english = Catalogues().translator("en").text(problem)
    here, oura = (p.value for p in (problem.params["here"], problem.params["oura"]))
    assert oura - here == timedelta(days=2)
    assert "sensors may turn unknown" in english
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warnings] == [
        "This machine's clock is 2880 minutes behind Oura's: sensors may turn unknown "
        "until the host's time is corrected"
    ]
    # German readers get German dates, and the sentence survives a trip through JSON.
    german = Catalogues().translator("de").text(text_from_json(text_to_json(problem)))
    assert "Uhr dieses Rechners" in german
    assert f"{(here + timedelta(days=2)).astimezone():%d.%m.%y}" in german

    watch.observe(_header(HERE + timedelta(seconds=3)))
    assert watch.problem() is None
    assert caplog.records[-1].getMessage() == "This machine's clock agrees with Oura's again"


def test_an_unreadable_date_keeps_what_was_known():
    watch = ClockWatch(now=lambda: HERE)
    watch.observe(_header(HERE - timedelta(hours=6)))
    watch.observe("not a date")
    assert watch.problem() is not None
