"""The accounts' runtimes: removal is decided in one place and a late sync cannot undo it."""

from __future__ import annotations

from oura_addon.scheduling.runtime import AccountRuntime, Runtimes
from oura_addon.states import EntityState


def _state(entity_id: str) -> EntityState:
    return EntityState(entity_id, "1", {})


def test_a_sync_that_ends_after_the_removal_changes_nothing() -> None:
    runtimes = Runtimes()
    runtime = runtimes.claim_due("me", now=0.0)
    assert runtime is not None

    runtimes.remove("me")

    def record(rt: AccountRuntime) -> None:
        rt.states = {"sensor.oura_sleep_score": _state("sensor.oura_sleep_score")}
        rt.last_error = "late"

    assert runtimes.update(runtime, record) is False
    assert runtimes.all_states() == {}
    assert runtimes.view("me").last_error is None


def test_sync_now_during_a_sync_makes_the_account_due_when_it_ends() -> None:
    runtimes = Runtimes()
    runtime = runtimes.claim_due("me", now=100.0)
    assert runtime is not None
    assert runtimes.claim_due("me", now=100.0) is None  # one sync at a time

    runtimes.due_now("me")
    runtimes.finish(runtime, next_due=700.0)

    assert runtimes.claim_due("me", now=101.0) is runtime


def test_an_account_is_due_again_only_after_its_interval() -> None:
    runtimes = Runtimes()
    runtime = runtimes.claim_due("me", now=100.0)
    assert runtime is not None
    runtimes.finish(runtime, next_due=700.0)

    assert runtimes.claim_due("me", now=699.0) is None
    assert runtimes.claim_due("me", now=700.0) is runtime
