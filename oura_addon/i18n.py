"""The add-on's languages: message catalogues, deferred sentences and locale-aware formatting.

Sentences are written in English and marked for translation: ``_("...")`` in templates and
``_l("... %(name)s ...", name=value)`` in Python. ``_l`` returns a ``Text``, which *is* the
English sentence (for logs, comparisons and scripts) and remembers its message id and values,
so whoever shows it to a person translates it there with a ``Translator``.

Catalogues are gettext ``.po`` files under ``oura_addon/locales/<lang>/LC_MESSAGES``, read once
at start-up (no compile step: what is in the repository is what runs). Numbers, dates and
durations come from Babel's CLDR data.
"""

from __future__ import annotations

import datetime as dt
import gettext
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, format_skeleton, format_time
from babel.numbers import format_decimal
from babel.units import format_unit

_LOGGER = logging.getLogger(__name__)

DEFAULT_LANGUAGE = "en"
# The panel's languages; English is the source text, the others have catalogues.
LANGUAGES = ("en", "de", "fr", "es", "nl")
LOCALES_DIR = Path(__file__).resolve().parent / "locales"
DOMAIN = "messages"


class Text(str):
    """An English sentence that can still be shown in another language (see the module doc)."""

    msgid: str
    params: Mapping[str, object]

    def __new__(cls, msgid: str, params: Mapping[str, object] | None = None) -> Text:
        params = dict(params or {})
        english = msgid % params if params else msgid
        text = super().__new__(cls, english)
        text.msgid = msgid
        text.params = params
        return text

    def __reduce__(self) -> tuple[object, ...]:
        return (Text, (self.msgid, self.params))


def _l(msgid: str, **params: object) -> Text:
    """Mark a sentence for translation where it is shown; ``%(name)s`` takes ``params``."""
    return Text(msgid, params)


def stored_text(sentence: str) -> Text:
    """A sentence read back from a file: translatable again when it was a fixed one."""
    return sentence if isinstance(sentence, Text) else Text(sentence)


def _load_catalogue(path: Path) -> gettext.GNUTranslations:
    stat = path.stat()
    return _compiled_catalogue(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=32)  # every app (tests build many) shares one parse per file version
def _compiled_catalogue(path: Path, _mtime_ns: int, _size: int) -> gettext.GNUTranslations:
    # Babel's catalogue tools are only imported by a process that shows another language.
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with path.open("rb") as po:
        catalog = read_po(po, locale=path.parents[1].name)
    compiled = BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out, as gettext would
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


@dataclass(frozen=True)
class Number:
    """A count or quantity in a sentence, written as the reader's locale writes numbers."""

    value: int | float

    def __str__(self) -> str:
        return format_decimal(self.value, locale=DEFAULT_LANGUAGE, decimal_quantization=False)


@dataclass(frozen=True)
class Day:
    """A date in a sentence, written as the reader's locale writes dates."""

    value: dt.date

    def __str__(self) -> str:
        return format_date(self.value, "medium", locale=DEFAULT_LANGUAGE)


@dataclass(frozen=True)
class Time:
    """A time of day in a sentence ("next check at %(clock)s"), written as the reader's
    locale writes times ("7:49 AM" / "07:49"), in the moment's own time zone."""

    value: dt.datetime

    def __str__(self) -> str:
        return format_time(self.value, "short", tzinfo=self.value.tzinfo, locale=DEFAULT_LANGUAGE)


@dataclass(frozen=True)
class Moment:
    """A date and time in a sentence, short, as the reader's locale writes them, in the
    moment's own time zone."""

    value: dt.datetime

    def __str__(self) -> str:
        return format_datetime(
            self.value, "short", tzinfo=self.value.tzinfo, locale=DEFAULT_LANGUAGE
        )


def text_to_json(sentence: str) -> object:
    """A sentence as JSON that ``text_from_json`` turns back into the same ``Text``."""
    if not isinstance(sentence, Text):
        return str(sentence)
    return {
        "msgid": sentence.msgid,
        "params": {k: _param_to_json(v) for k, v in sentence.params.items()},
    }


def text_from_json(data: object) -> Text:
    """The stored sentence; a plain string is looked up as a message id where it is shown."""
    if isinstance(data, dict) and isinstance(data.get("msgid"), str):
        params = data.get("params")
        values = {
            str(k): _param_from_json(v)
            for k, v in (params.items() if isinstance(params, dict) else ())
        }
        try:
            return Text(data["msgid"], values)
        except (KeyError, ValueError, TypeError):  # a file that does not fit its sentence
            return Text(data["msgid"])
    return stored_text(data if isinstance(data, str) else "")


def _param_to_json(value: object) -> object:
    if isinstance(value, Text):
        return {"text": text_to_json(value)}
    if isinstance(value, Number):
        return {"number": value.value}
    if isinstance(value, Day):
        return {"day": value.value.isoformat()}
    if isinstance(value, Time):
        return {"time": value.value.isoformat()}
    if isinstance(value, Moment):
        return {"moment": value.value.isoformat()}
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return str(value)


# A stored sentence's dated values: key, param class, ISO reader.
_DATED_PARAMS: tuple[tuple[str, Callable[[Any], object], Callable[[str], Any]], ...] = (
    ("time", Time, dt.datetime.fromisoformat),
    ("moment", Moment, dt.datetime.fromisoformat),
    ("day", Day, dt.date.fromisoformat),
)


def _param_from_json(value: object) -> object:
    if isinstance(value, dict):
        if "text" in value:
            return text_from_json(value["text"])
        number = value.get("number")
        if isinstance(number, int | float) and not isinstance(number, bool):
            return Number(number)
        for key, kind, parse in _DATED_PARAMS:
            text = value.get(key)
            if isinstance(text, str):
                try:
                    return kind(parse(text))
                except ValueError:
                    return text
    return value if isinstance(value, int | float | str) else str(value)


@dataclass(frozen=True)
class Translator:
    """One language's sentences and formats. Pure: build one per request or per message."""

    language: str = DEFAULT_LANGUAGE
    translations: gettext.NullTranslations = field(
        default_factory=gettext.NullTranslations, repr=False
    )

    @property
    def locale(self) -> Locale:
        # ``language`` may carry a region ("en-GB"): its formats, with the base's sentences.
        try:
            return Locale.parse(self.language.replace("-", "_"))
        except (ValueError, UnknownLocaleError):
            return Locale.parse(self.language.split("-")[0])

    def gettext(self, msgid: str, **params: object) -> str:
        translated = self.translations.gettext(msgid)
        return self._format(translated, msgid, params) if params else translated

    def ngettext(self, singular: str, plural: str, count: int, **params: object) -> str:
        translated = self.translations.ngettext(singular, plural, count)
        values = {"num": count, **params}
        return self._format(translated, singular if count == 1 else plural, values)

    def text(self, value: object) -> str:
        """``value`` in this language: a ``Text`` is translated (its values too), a plain
        sentence is looked up as a message id, anything else is shown as it is."""
        if isinstance(value, Text):
            params = {key: self._value(param) for key, param in value.params.items()}
            translated = self.translations.gettext(value.msgid)
            return self._format(translated, value.msgid, params) if params else translated
        if isinstance(value, str):
            return self.translations.gettext(value) if value else value
        return "" if value is None else str(value)

    def _value(self, param: object) -> object:
        """A sentence's value in this language: sentences translated, numbers and days in
        this locale's format."""
        if isinstance(param, Text):
            return self.text(param)
        if isinstance(param, Number):
            return self.number(param.value)
        if isinstance(param, Day):
            return self.date(param.value)
        if isinstance(param, Time):
            return self.time(param.value)
        if isinstance(param, Moment):
            return self.datetime(param.value)
        return param

    @staticmethod
    def _format(translated: str, msgid: str, params: Mapping[str, object]) -> str:
        try:
            return translated % params
        except (KeyError, ValueError, TypeError):  # a broken translation: show the English
            _LOGGER.warning("Translation of %r does not fit its values", msgid)
            return msgid % params

    # -- formats ---------------------------------------------------------------------------

    def number(self, value: object) -> str:
        """A number as this locale writes it ("7,523" / "7.523" / "7 523"); other values as is."""
        if isinstance(value, bool) or value is None:
            return "" if value is None else str(value)
        try:
            number = value if isinstance(value, int | float) else Decimal(str(value).strip())
        except InvalidOperation:
            return str(value)
        if isinstance(number, Decimal) and not number.is_finite():
            return str(value)
        return format_decimal(number, locale=self.locale, decimal_quantization=False)

    def datetime(self, moment: dt.datetime) -> str:
        """Date and time, short, in the moment's own time zone."""
        return format_datetime(moment, "short", tzinfo=moment.tzinfo, locale=self.locale)

    def date(self, day: dt.date) -> str:
        return format_date(day, "medium", locale=self.locale)

    def time(self, moment: dt.datetime) -> str:
        """A time of day, short, in the moment's own time zone ("7:49 AM" / "07:49")."""
        return format_time(moment, "short", tzinfo=moment.tzinfo, locale=self.locale)

    def short_day(self, day: dt.date) -> str:
        """Month and day only: "Jan 30" / "30. Jan." / "30 janv."."""
        return format_skeleton("MMMd", day, locale=self.locale)

    def duration_hours(self, hours: float) -> str:
        """A duration as people read it: 7.17 h -> "7 hr 10 min" / "7 Std. 10 Min."."""
        minutes = round(hours * 60)
        whole, rest = divmod(minutes, 60)
        parts = []
        if whole:
            parts.append(format_unit(whole, "duration-hour", length="short", locale=self.locale))
        if rest or not whole:
            parts.append(format_unit(rest, "duration-minute", length="short", locale=self.locale))
        return " ".join(parts)


class Catalogues:
    """Every language's translations, each read when it is first asked for (a process that
    only ever speaks English never parses a catalogue); ``translator(language)`` picks one."""

    def __init__(self, locales_dir: Path = LOCALES_DIR) -> None:
        self._locales_dir = locales_dir
        self._translators: dict[str, Translator] = {DEFAULT_LANGUAGE: Translator()}
        self._lock = threading.Lock()

    def _loaded(self, language: str) -> Translator:
        with self._lock:
            translator = self._translators.get(language)
            if translator is not None:
                return translator
            path = self._locales_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po"
            try:
                translations: gettext.NullTranslations = _load_catalogue(path)
            except Exception:  # a broken catalogue costs that language, never the panel
                _LOGGER.exception(
                    "Cannot read the %s translations at %s; using English", language, path
                )
                translations = gettext.NullTranslations()
            translator = self._translators[language] = Translator(language, translations)
            return translator

    def translator(self, language: str | None) -> Translator:
        """The language's translator (a region such as "de-AT" keeps its own formats);
        English for anything not shipped."""
        tag = (language or "").replace("_", "-").strip()
        base = tag.split("-")[0].lower()
        if base not in LANGUAGES:
            return self._translators[DEFAULT_LANGUAGE]
        translator = self._loaded(base)
        region = tag[len(base) + 1 :]
        if not region or not region.isalnum():
            return translator
        return replace(translator, language=f"{base}-{region.upper()}")
