"""Query-string rules of Oura's list endpoints: windows, defaults, validation errors, paging.

Pure functions. Validation failures carry Oura's real 422 body (FastAPI/pydantic shape:
``{"detail": [{"type", "loc", "msg", "input"}]}``).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

T = TypeVar("T")

_TRUE = frozenset({"true", "1", "yes", "on", "t", "y"})
_FALSE = frozenset({"false", "0", "no", "off", "f", "n"})


class QueryError(Exception):
    """A request the API refuses; ``body`` is the JSON Oura answers with."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(json.dumps(body))
        self.status = status
        self.body = body


def validation_error(loc: Sequence[str], msg: str, value: Any, kind: str) -> QueryError:
    return QueryError(
        422, {"detail": [{"type": kind, "loc": list(loc), "msg": msg, "input": value}]}
    )


def _unix_seconds(raw: str) -> float:
    number = int(raw)
    # pydantic reads large numbers as milliseconds.
    return number / 1000 if abs(number) > 20_000_000_000 else float(number)


def parse_date(name: str, raw: str) -> date:
    """Like pydantic: an ISO date, or digits read as a unix time (so ``1`` is 1970-01-01)."""
    if raw.isdigit():
        return datetime.fromtimestamp(_unix_seconds(raw), UTC).date()
    try:
        if len(raw) != 10:
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise validation_error(
            ("query", name),
            "Input should be a valid date or datetime, invalid date format",
            raw,
            "date_from_datetime_parsing",
        ) from None


def parse_datetime(name: str, raw: str) -> datetime:
    """An aware UTC datetime from ISO 8601 (naive means UTC; a bare date is its midnight)."""
    try:
        if raw.isdigit():
            return datetime.fromtimestamp(_unix_seconds(raw), UTC)
        value = datetime.fromisoformat(raw.replace(" ", "+") if "T" in raw else raw)
    except (ValueError, OverflowError):
        raise validation_error(
            ("query", name),
            "Input should be a valid datetime, invalid datetime format",
            raw,
            "datetime_parsing",
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_bool(name: str, raw: str | None) -> bool:
    if raw is None or raw == "":
        return False
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise validation_error(
        ("query", name),
        "Input should be a valid boolean, unable to interpret input",
        raw,
        "bool_parsing",
    )


def _present(args: Mapping[str, str], name: str) -> str | None:
    value = args.get(name)
    return value if value else None


def date_window(args: Mapping[str, str], today: date) -> tuple[date, date]:
    """(start, end) as Oura reads them: end defaults to today, start to the day before end."""
    raw_end = _present(args, "end_date")
    raw_start = _present(args, "start_date")
    end = parse_date("end_date", raw_end) if raw_end else today
    start = parse_date("start_date", raw_start) if raw_start else end - timedelta(days=1)
    if start > end:
        raise validation_error(
            ("query", "start_date"),
            "Start date must be before end date",
            raw_start,
            "value_error",
        )
    return start, end


def datetime_window(args: Mapping[str, str], now: datetime) -> tuple[datetime, datetime]:
    """(start, end) in UTC: end defaults to now, start to a day before end."""
    raw_end = _present(args, "end_datetime")
    raw_start = _present(args, "start_datetime")
    end = parse_datetime("end_datetime", raw_end) if raw_end else now.astimezone(UTC)
    start = parse_datetime("start_datetime", raw_start) if raw_start else end - timedelta(days=1)
    if start > end:
        raise validation_error(
            ("query", "start_datetime"),
            "Start datetime must be before end datetime",
            raw_start,
            "value_error",
        )
    return start, end


@dataclass(frozen=True)
class Cursor:
    """Where a paged listing continues: the window it was asked for and the offset."""

    window: tuple[str, str]
    offset: int
    latest: bool = False


def encode_cursor(cursor: Cursor) -> str:
    raw = json.dumps(
        {"w": list(cursor.window), "o": cursor.offset, "l": cursor.latest},
        separators=(",", ":"),
    )
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token: str) -> Cursor:
    try:
        padded = token + "=" * (-len(token) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
        window = value["w"]
        cursor = Cursor(
            (str(window[0]), str(window[1])), int(value["o"]), bool(value.get("l", False))
        )
    except (ValueError, KeyError, IndexError, TypeError, binascii.Error):
        raise QueryError(400, {"detail": "Invalid next_token"}) from None
    if cursor.offset < 0:
        raise QueryError(400, {"detail": "Invalid next_token"})
    return cursor


def page(items: Sequence[T], cursor: Cursor, size: int) -> tuple[list[T], str | None]:
    """One page of ``items`` and the next_token for the rest (None when nothing is left)."""
    chunk = list(items[cursor.offset : cursor.offset + size])
    following = cursor.offset + size
    if following >= len(items):
        return chunk, None
    return chunk, encode_cursor(Cursor(cursor.window, following, cursor.latest))
