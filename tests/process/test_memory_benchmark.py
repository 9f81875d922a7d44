"""``python -m oura_addon.benchmark memory`` runs the add-on as the image starts it and prints
every figure README quotes (figures only: nothing about their size is asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIGURE = re.compile(r"^  add-on (.+?)\s+(\d+\.\d) MiB\s+(\d\.\d\d)x\s+(\d\.\d\d)x$", re.M)


def test_the_memory_benchmark_prints_both_floors_and_each_step():
    done = subprocess.run(
        [sys.executable, "-m", "oura_addon.benchmark", "memory", "--syncs", "2"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(
        r"^  floor \(python \+ flask, requests, waitress\)\s+\d+\.\d MiB$", done.stdout, re.M
    )
    assert re.search(r"^  the same floor with -OO\s+\d+\.\d MiB$", done.stdout, re.M)
    assert "add-on (python -OO -m oura_addon)" in done.stdout
    steps = [match.group(1) for match in FIGURE.finditer(done.stdout)]
    assert steps == [
        "at start (first sync done)",
        "after the panel's page",
        "after 2 syncs",
    ], done.stdout
