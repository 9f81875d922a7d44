"""The allocator knobs: trims after panel requests are spaced out, and nothing breaks without
glibc."""

from __future__ import annotations

from oura_addon.memory import QUIET_TRIM_SECONDS, Allocator


class _Libc:
    def __init__(self) -> None:
        self.trims = 0
        self.options: list[tuple[int, int]] = []

    def malloc_trim(self, _pad: int) -> int:
        self.trims += 1
        return 1

    def mallopt(self, option: int, value: int) -> int:
        self.options.append((option, value))
        return 1


def test_panel_requests_trim_at_most_every_few_seconds_and_every_sync_trims() -> None:
    now = [100.0]
    allocator = Allocator(clock=lambda: now[0])
    libc = allocator._libc = _Libc()  # type: ignore[assignment]
    for _ in range(5):
        allocator.release_now_and_then()
    assert libc.trims == 1
    now[0] += QUIET_TRIM_SECONDS
    allocator.release_now_and_then()
    allocator.release_free_pages()
    allocator.release_free_pages()
    assert libc.trims == 4


def test_without_glibc_every_call_does_nothing() -> None:
    allocator = Allocator()
    allocator._libc = None
    allocator.limit_arenas()
    allocator.release_free_pages()
    allocator.release_now_and_then()
