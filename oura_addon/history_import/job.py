"""One account's history import as a value: its state, range and per-group progress. Pure.

The import walks from the newest day back to the first, in chunks, one group (sleep,
activity, ...) at a time: the daily totals' sums are anchored on the newer days, so a newer
day is always imported before an older one. ``cursors`` holds, per group, the newest day not
imported yet; a group is complete once its cursor is before ``start``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from oura_addon.i18n import Day, Number, _l, text_from_json, text_to_json

FORMAT = 1
IDLE, RUNNING, DONE, FAILED, CANCELLED = "idle", "running", "done", "failed", "cancelled"
STATES = (IDLE, RUNNING, DONE, FAILED, CANCELLED)
FINISHED = (DONE, FAILED, CANCELLED)


class HistoryBusy(Exception):
    """An import is already running for that account."""


@dataclass(frozen=True)
class Chunk:
    group: str
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


@dataclass(frozen=True)
class HistoryJob:
    state: str = IDLE
    # None while the account's first day with data is being looked for.
    start: date | None = None
    end: date | None = None
    requested_start: date | None = None  # what the user asked for; None: the first day
    cursors: Mapping[str, date] = field(default_factory=dict)
    message: str = ""  # a Text: translated where it is shown, its values in the reader's format
    failures: int = 0  # consecutive failed attempts of the current chunk
    run_id: str = ""  # which run owns the job: a cancelled run's late results are dropped
    # Daily totals: sensor key -> the sum at the start of the oldest day imported so far,
    # where the next older chunk's sums end (see rows.py).
    anchors: Mapping[str, float] = field(default_factory=dict)

    @property
    def running(self) -> bool:
        return self.state == RUNNING

    def days_total(self) -> int:
        if self.start is None or self.end is None:
            return 0
        return max(0, (self.end - self.start).days + 1)

    def group_days_done(self, group: str) -> int:
        if self.start is None or self.end is None:
            return 0
        cursor = self.cursors.get(group, self.end)
        return min(self.days_total(), max(0, (self.end - cursor).days))

    def days_done(self) -> int:
        """Days complete in every group."""
        if not self.cursors:
            return self.days_total() if self.state == DONE else 0
        return min(self.group_days_done(g) for g in self.cursors)


def new_job(
    requested_start: date | None, end: date, groups: Iterable[str], run_id: str
) -> HistoryJob:
    """A running job over [requested_start or the first day with data, end]."""
    return HistoryJob(
        run_id=run_id,
        state=RUNNING,
        end=end,
        requested_start=requested_start,
        cursors={g: end for g in groups},
        message=_l("Looking for the first day with data."),
    )


def with_first_day(job: HistoryJob, first_day: date | None) -> HistoryJob:
    """The job once the account's first day with data is known (None: Oura has none).

    The range starts there, or at the requested start when that is later.
    """
    if first_day is None or job.end is None or first_day > job.end:
        return replace(job, state=DONE, start=job.end, cursors={}, message=_l("Oura has no data."))
    start = max(first_day, job.requested_start or first_day)
    return replace(job, start=min(start, job.end), message=_l("Importing."))


def next_chunk(job: HistoryJob, chunk_days: int) -> Chunk | None:
    """The next window to import: the group furthest behind (newest cursor), newest first."""
    if job.state != RUNNING or job.start is None:
        return None
    start = job.start
    open_groups = [(cursor, g) for g, cursor in job.cursors.items() if cursor >= start]
    if not open_groups:
        return None
    order = list(job.cursors)
    cursor, group = max(open_groups, key=lambda pair: (pair[0], -order.index(pair[1])))
    first = max(start, cursor - timedelta(days=chunk_days - 1))
    return Chunk(group, first, cursor)


def chunk_done(
    job: HistoryJob, chunk: Chunk, anchors: Mapping[str, float] | None = None
) -> HistoryJob:
    cursors = {**job.cursors, chunk.group: chunk.first - timedelta(days=1)}
    done = replace(
        job,
        cursors=cursors,
        anchors={**job.anchors, **(anchors or {})},
        failures=0,
        message=_l("Importing."),
    )
    return completed(done) if next_chunk(done, 1) is None else done


def completed(job: HistoryJob) -> HistoryJob:
    if job.start is None or job.end is None:
        return replace(job, state=DONE, message=_l("Complete."))
    message = _l(
        "Complete. Days imported: %(days)s, %(start)s to %(end)s.",
        days=Number(job.days_total()),
        start=Day(job.start),
        end=Day(job.end),
    )
    return replace(job, state=DONE, message=message)


def chunk_failed(job: HistoryJob, message: str, give_up_after: int) -> HistoryJob:
    """Count a failed attempt; after ``give_up_after`` in a row the job has failed."""
    failures = job.failures + 1
    if failures >= give_up_after:
        return replace(job, state=FAILED, failures=failures, message=message)
    return replace(job, failures=failures, message=message)


def failed(job: HistoryJob, message: str) -> HistoryJob:
    return replace(job, state=FAILED, message=message)


def cancelled(job: HistoryJob) -> HistoryJob:
    if job.state != RUNNING:
        return job
    return replace(job, state=CANCELLED, message=_l("Cancelled."))


def with_message(job: HistoryJob, message: str) -> HistoryJob:
    return replace(job, message=message)


# -- JSON (the progress file in /data and the status object) ----------------------------------


def status_json(job: HistoryJob) -> dict[str, Any]:
    """The ``history`` object of ``/api/status``."""
    return {
        "state": job.state,
        "start": job.start.isoformat() if job.start else None,
        "end": job.end.isoformat() if job.end else None,
        "days_done": job.days_done(),
        "days_total": job.days_total(),
        "message": job.message,
        "groups": {
            g: {"days_done": job.group_days_done(g), "days_total": job.days_total()}
            for g in job.cursors
        },
    }


def to_json(job: HistoryJob) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "state": job.state,
        "start": _iso(job.start),
        "end": _iso(job.end),
        "requested_start": _iso(job.requested_start),
        "cursors": {g: c.isoformat() for g, c in job.cursors.items()},
        "message": text_to_json(job.message),
        "failures": job.failures,
        "run_id": job.run_id,
        "anchors": dict(job.anchors),
    }


def from_json(data: Any) -> HistoryJob | None:
    """The stored job; None when the file holds something else (the job is then idle)."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None
    state = data.get("state")
    cursors = data.get("cursors")
    if state not in STATES or not isinstance(cursors, dict):
        return None
    parsed = {g: _day(c) for g, c in cursors.items() if isinstance(g, str)}
    failures = data.get("failures")
    message = data.get("message")
    run_id = data.get("run_id")
    anchors = data.get("anchors")
    if not isinstance(anchors, dict):
        anchors = {}
    return HistoryJob(
        state=state,
        start=_day(data.get("start")),
        end=_day(data.get("end")),
        requested_start=_day(data.get("requested_start")),
        cursors={g: c for g, c in parsed.items() if c is not None},
        message=text_from_json(message),
        failures=failures if isinstance(failures, int) and not isinstance(failures, bool) else 0,
        run_id=run_id if isinstance(run_id, str) else "",
        anchors={
            k: float(v)
            for k, v in anchors.items()
            if isinstance(v, int | float) and not isinstance(v, bool)
        },
    )


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _day(raw: Any) -> date | None:
    if not isinstance(raw, str):
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None
