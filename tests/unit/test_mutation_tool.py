"""The mutation command's own rules: what it mutates and what a pragma keeps out."""

from __future__ import annotations

from pathlib import Path

from tests.mutation import mutants, mutated_source

SOURCE = '''\
CHUNK = 65536  # any size reads the same bytes  # pragma: no mutate


def bounded(size):
    """A docstring is no behaviour."""
    return size < CHUNK
'''


def test_a_pragma_line_gives_no_mutant_and_the_others_keep_their_numbers(tmp_path: Path):
    (tmp_path / "module.py").write_text(SOURCE, encoding="utf-8")
    found = mutants("module.py", tmp_path)
    assert {m.line for m in found} == {6}
    assert [m.change for m in found] == ["Lt -> GtE", "returns None"]
    flipped = mutated_source(found[0], tmp_path)
    assert "return size >= CHUNK" in flipped
    assert "CHUNK = 65536" in flipped
