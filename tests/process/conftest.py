"""The 200-round kill layer runs in the full suite (no ``-m``) and with ``-m kill``.

A run that selects layers by marker (``-m "not ha and not browser"``, the quick run every
developer repeats) leaves it out unless the expression names it: it takes minutes.
"""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    expression = config.getoption("markexpr") or ""
    if not expression or "kill" in expression:
        return
    kept = [item for item in items if item.get_closest_marker("kill") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept
