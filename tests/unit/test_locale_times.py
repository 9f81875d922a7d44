"""Times of day inside sentences are written as the reader's locale writes them, like every
other time on the panel, and survive being kept in a file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from oura_addon.i18n import Catalogues, Text, Time, text_from_json, text_to_json
from oura_addon.scheduling import schedule
from oura_addon.web.views import address_markup, entity_state_text

HELSINKI_SUMMER = timezone(timedelta(hours=3))
AT = datetime(2026, 7, 1, 14, 30, tzinfo=HELSINKI_SUMMER)
CATALOGUES = Catalogues()


def test_a_time_in_a_sentence_follows_the_locale_in_the_moment_s_own_zone() -> None:
    sentence = schedule.reason_text(
        "awake", AT, schedule.arrival_window((), AT.date()), schedule.Policy(poll_interval=600)
    )
    assert isinstance(sentence, Text)
    assert str(sentence).endswith("next check at 2:30\u202fPM")
    german = CATALOGUES.translator("de").text(sentence)
    assert "14:30" in german and "PM" not in german


def test_the_night_window_is_written_like_the_other_times() -> None:
    window = schedule.ArrivalWindow(6 * 60 + 40, 8 * 60 + 10, learned=True)
    assert str(window.label()) == "6:40\u202fAM-8:10\u202fAM"
    assert CATALOGUES.translator("de").text(window.label()) == "06:40\u201308:10"


def test_a_kept_sentence_keeps_its_time() -> None:
    kept = text_from_json(text_to_json(Text("next check at %(clock)s", {"clock": Time(AT)})))
    assert CATALOGUES.translator("fr").text(kept).endswith("14:30")
    assert str(kept) == "next check at 2:30\u202fPM"


def test_entity_states_are_written_one_way() -> None:
    german = CATALOGUES.translator("de")
    assert entity_state_text("2026-12-03T23:18:33+02:00", "", german) == "03.12.26, 23:18"
    assert entity_state_text("1.17", "h", german) == "1 Std. 10 Min."
    assert entity_state_text("10234", "steps", german) == "10.234 steps"
    assert entity_state_text("unknown", "", german) == "unknown"
    assert entity_state_text(datetime(2026, 1, 2, tzinfo=UTC).isoformat(), "", german) == (
        "02.01.26, 00:00"
    )


def test_addresses_break_only_after_slash_question_mark_and_ampersand() -> None:
    markup = str(address_markup("https://ha.local/api/x?code=a<b&state=c"))
    assert markup == (
        "https:/<wbr>/<wbr>ha.local/<wbr>api/<wbr>x?<wbr>code=a&lt;b&amp;<wbr>state=c"
    )
