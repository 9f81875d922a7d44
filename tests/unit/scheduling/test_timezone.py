"""The zone the add-on's days are in while Home Assistant has not told it its own."""

from __future__ import annotations

from datetime import datetime

from oura_addon.scheduling.timezone import HomeTimezone
from oura_addon.settings import load_settings

JANUARY, JULY = datetime(2026, 1, 15, 12), datetime(2026, 7, 15, 12)


def _home_timezone(tz_variable: str, data_dir) -> HomeTimezone:
    settings = load_settings({"TZ": tz_variable, "OURA_ADDON_DATA": str(data_dir)})
    return HomeTimezone(None, clock=lambda: 0.0, system_timezone=settings.system_timezone)


def test_without_home_assistant_the_system_zone_keeps_its_summer_time(tmp_path):
    zone = _home_timezone("Europe/Helsinki", tmp_path).get()
    assert zone.utcoffset(JANUARY.replace(tzinfo=zone)).total_seconds() == 2 * 3600
    assert zone.utcoffset(JULY.replace(tzinfo=zone)).total_seconds() == 3 * 3600


def test_a_tz_that_names_no_zone_falls_back_without_failing(tmp_path, monkeypatch):
    # The system's own zone (what /etc/localtime links to) with its rules, not any offset.
    monkeypatch.setattr(
        "oura_addon.scheduling.timezone.os.path.realpath",
        lambda _path: "/usr/share/zoneinfo/America/New_York",
    )
    zone = _home_timezone("Not/AZone", tmp_path).get()
    assert zone.utcoffset(JANUARY.replace(tzinfo=zone)).total_seconds() == -5 * 3600
    assert zone.utcoffset(JULY.replace(tzinfo=zone)).total_seconds() == -4 * 3600
