"""DOCS.md's entity reference is the catalogue table, written by its own command."""

from __future__ import annotations

from oura_addon import catalogue
from oura_addon.catalogue.reference import DOCS, END, START, main, reference, with_reference


def test_docs_holds_the_reference_the_table_writes():
    text = DOCS.read_text(encoding="utf-8")
    assert with_reference(text) == text, "run: python -m oura_addon.catalogue.reference"


def test_every_entity_has_one_row_with_its_scope_and_whether_it_is_enabled():
    rows = [line for line in reference().splitlines() if line.startswith("| `")]
    ids = [row.split("`")[1] for row in rows]
    expected = [
        *catalogue.entity_ids("oura"),
        "event.oura_night",
        "event.oura_workout",
        "event.oura_session",
        "event.oura_tag",
        "button.oura_sync_now",
    ]
    assert ids == expected
    by_id = dict(zip(ids, rows, strict=True))
    assert by_id["sensor.oura_sleep_score"].endswith("| `daily` | yes |")
    assert by_id["sensor.oura_readiness_hrv_balance_score"].endswith("| `daily` | no |")
    assert "| `workout` |" in by_id["event.oura_workout"]
    assert "`oura_night_ready`" in by_id["event.oura_night"]


def test_the_command_rewrites_a_stale_block_and_check_says_so(tmp_path, capsys):
    docs = tmp_path / "DOCS.md"
    docs.write_text(f"# Title\n\n{START}\nold\n{END}\n\nafter\n", encoding="utf-8")
    assert main(["--docs", str(docs), "--check"]) == 1
    assert main(["--docs", str(docs)]) == 0
    text = docs.read_text(encoding="utf-8")
    assert "old" not in text and text.endswith("\n\nafter\n")
    assert main(["--docs", str(docs), "--check"]) == 0
