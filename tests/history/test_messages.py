"""Every sentence the history import shows in the panel, read back from /data as a new add-on
process would, in German: translated whole (the reasons inside too), its dates and numbers
written the German way."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from oura_addon.i18n import Catalogues, Text
from oura_addon.store.import_jobs import JobStore
from tests.history.rig import TODAY

GERMAN = Catalogues().translator("de")
YESTERDAY = TODAY - timedelta(days=1)


def _untranslated(sentence: object) -> list[str]:
    """The message ids in ``sentence`` (and the sentences inside it) German lacks."""
    if not isinstance(sentence, Text):
        return [] if not sentence else [str(sentence)]
    missing = (
        [] if GERMAN.translations.gettext(sentence.msgid) != sentence.msgid else [sentence.msgid]
    )
    for value in sentence.params.values():
        if isinstance(value, Text):
            missing += _untranslated(value)
    return missing


def _stored_message(rig) -> Text:
    """The job's sentence as a restarted add-on reads it from /data."""
    message = JobStore(rig.data_dir).load("alice").message
    assert isinstance(message, Text), f"{message!r} lost its message id in /data"
    return message


def _wait_for_message(history, words: str) -> None:
    deadline = time.monotonic() + 30
    while words not in history.status("alice")["message"]:
        assert time.monotonic() < deadline, history.status("alice")
        time.sleep(0.02)


def _german(message: Text) -> str:
    assert _untranslated(message) == [], message
    shown = GERMAN.text(message)
    assert shown != str(message)
    return shown


def test_a_complete_import_says_how_many_days_from_when_to_when_in_german(rig_factory):
    rig = rig_factory(days=60)
    history = rig.history()
    history.start("alice")
    history.join(60)
    assert history.status("alice")["state"] == "done"
    shown = _german(_stored_message(rig))
    first = YESTERDAY - timedelta(days=58)
    assert "59" in shown
    assert first.strftime("%d.%m.%Y") in shown and YESTERDAY.strftime("%d.%m.%Y") in shown
    assert "Abgeschlossen" in shown


def test_a_rate_limit_gives_its_seconds_in_german(rig_factory):
    rig = rig_factory(days=60)
    rig.simulator.faults.apply({"fault": "rate_limit", "count": None, "retry_after": 1800})
    history = rig.history()
    history.start("alice")
    try:
        _wait_for_message(history, "1,800 seconds")
        shown = _german(_stored_message(rig))
    finally:
        history.stop()
        history.join(10)
    assert "1.800 Sekunden" in shown  # German groups thousands with a dot


@pytest.mark.parametrize(
    "break_it, english",
    [
        (lambda rig: rig.simulator.faults.apply({"fault": "server_error", "count": None}), "again"),
        (lambda rig: setattr(rig.recorder, "fail_after", 0), "unreachable"),
        (lambda rig: rig.simulator.revoke_all(), "Reconnect"),
        (lambda rig: rig.accounts.delete("alice"), "Reconnect"),
    ],
    ids=["oura-down", "home-assistant-down", "authorization-revoked", "account-removed"],
)
def test_each_failure_reads_german_reason_and_all(rig_factory, break_it, english):
    rig = rig_factory(days=60)
    break_it(rig)
    history = rig.history()
    history.start("alice")
    try:
        _wait_for_message(history, english)
        message = _stored_message(rig)
    finally:
        history.stop()
        history.join(10)
    shown = _german(message)
    for inner in message.params.values():  # the reason, in German too
        assert str(inner) not in shown


def test_looking_importing_and_cancelled_read_german(rig_factory):
    rig = rig_factory(days=400)
    history = rig.history()
    history.start("alice")
    _german(_stored_message(rig))  # looking for the first day, or importing by now
    history.cancel("alice")
    history.join(30)
    assert _german(_stored_message(rig)) == "Abgebrochen."


def test_a_start_after_yesterday_names_yesterday_in_german(rig_factory):
    history = rig_factory(days=30).history()
    with pytest.raises(ValueError) as refused:
        history.start("alice", TODAY)
    (message,) = refused.value.args
    assert YESTERDAY.strftime("%d.%m.%Y") in _german(message)
