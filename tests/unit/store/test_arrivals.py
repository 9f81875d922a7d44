"""The arrival moments the schedule learns from survive restarts and bad files."""

from __future__ import annotations

from datetime import date

from oura_addon.store.arrivals import ArrivalStore


def test_arrivals_come_back_after_a_restart(tmp_path):
    ArrivalStore(tmp_path).save("oura", [(date(2026, 3, 1), 452), (date(2026, 3, 2), 431)])
    assert ArrivalStore(tmp_path).load("oura") == ((date(2026, 3, 1), 452), (date(2026, 3, 2), 431))
    assert (tmp_path / "schedule" / "oura.json").stat().st_mode & 0o777 == 0o600


def test_a_corrupt_or_odd_file_means_nothing_learned_yet(tmp_path):
    store = ArrivalStore(tmp_path)
    assert store.load("oura") == ()
    (tmp_path / "schedule").mkdir()
    (tmp_path / "schedule" / "oura.json").write_text("{not json")
    assert store.load("oura") == ()
    (tmp_path / "schedule" / "oura.json").write_text(
        '{"arrivals": [["2026-03-01", 452], ["yesterday", 1], ["2026-03-02", 9999], 7, '
        '["2026-03-03", true]]}'
    )
    assert store.load("oura") == ((date(2026, 3, 1), 452),)


def test_removing_an_account_forgets_its_mornings(tmp_path):
    store = ArrivalStore(tmp_path)
    store.save("bob", [(date(2026, 3, 1), 452)])
    store.delete("bob")
    assert store.load("bob") == ()
