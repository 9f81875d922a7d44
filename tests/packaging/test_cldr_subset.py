"""Babel's CLDR data as the image ships it (scripts/cldr_subset.py): every format the panel
uses still works in every language and region, and the tests run on that same data."""

from __future__ import annotations

import importlib.util
import pickle
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from types import ModuleType

import babel
import pytest
from babel import localedata

from oura_addon.i18n import LANGUAGES, Translator

REPO = Path(__file__).resolve().parents[2]
BABEL_DIR = Path(babel.__file__).parent


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cldr_subset", REPO / "scripts/cldr_subset.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


cldr_subset = _script()


def _read(path: Path) -> dict:
    return pickle.loads(path.read_bytes())  # noqa: S301 - Babel's own data, copied here


def test_the_script_keeps_the_panel_s_languages():
    assert cldr_subset.LANGUAGES == LANGUAGES


def test_the_image_cuts_the_data_right_after_installing_babel():
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    install = dockerfile.index("pip install --no-cache-dir -r requirements.txt")
    assert "COPY requirements.txt scripts/cldr_subset.py ./" in dockerfile
    assert dockerfile.index("python3 cldr_subset.py", install) > install
    assert "!scripts/cldr_subset.py" in (REPO / ".dockerignore").read_text(encoding="utf-8")


def test_the_tests_run_on_the_data_the_image_ships():
    # scripts/test cut .venv's Babel as the Dockerfile cuts the image's.
    languages = {i.split("_", 1)[0] for i in localedata.locale_identifiers()}
    assert languages == set(LANGUAGES)  # and root, which Babel does not list
    assert "territories" not in localedata.load("en")


# What a person reads, per language and with a region, as the full CLDR data writes it
# (checked against an uncut Babel 2.18.0): the subset must keep each of them.
EXPECTED = {
    "en": (
        "7,523.5",
        "Dec 3, 2026",
        "7:49\u202fPM",
        "7 hr 10 min",
        "12/3/26, 7:49\u202fPM",
        "Dec 3",
    ),
    "en-GB": ("7,523.5", "3 Dec 2026", "19:49", "7 hrs 10 mins", "03/12/2026, 19:49", "3 Dec"),
    "de": ("7.523,5", "03.12.2026", "19:49", "7 Std. 10 Min.", "03.12.26, 19:49", "3. Dez."),
    "de-AT": ("7.523,5", "03.12.2026", "19:49", "7 Std. 10 Min.", "03.12.26, 19:49", "3. Dez."),
    "fr": (
        "7\u202f523,5",
        "3 déc. 2026",
        "19:49",
        "7\u202fh 10\xa0min",
        "03/12/2026 19:49",
        "3 déc.",
    ),
    "es": ("7.523,5", "3 dic 2026", "19:49", "7 h 10 min", "3/12/26, 19:49", "3 dic"),
    "nl": ("7.523,5", "3 dec 2026", "19:49", "7 uur 10 min", "03-12-2026, 19:49", "3 dec"),
}


@pytest.mark.parametrize("language", sorted(EXPECTED))
def test_every_format_the_panel_uses_works_on_the_subset(language):
    translator = Translator(language)
    moment = datetime(2026, 12, 3, 19, 49, tzinfo=UTC)
    day = date(2026, 12, 3)
    assert (
        translator.number(7523.5),
        translator.date(day),
        translator.time(moment),
        translator.duration_hours(7 + 10 / 60),
        translator.datetime(moment),
        translator.short_day(day),
    ) == EXPECTED[language]


def test_the_cut_drops_other_languages_and_unread_tables_and_a_second_run_changes_nothing(
    tmp_path: Path,
):
    copy = tmp_path / "babel"
    (copy / "locale-data").mkdir(parents=True)
    shutil.copy(BABEL_DIR / "global.dat", copy / "global.dat")
    for name in ("root", "en", "de_AT"):
        shutil.copy(BABEL_DIR / "locale-data" / f"{name}.dat", copy / "locale-data")
    # A language the panel does not speak, with tables the add-on never reads.
    planted = {"territories": {"JP": "Japan"}, "number_symbols": {"latn": {}, "jpan": {}}}
    (copy / "locale-data" / "ja.dat").write_bytes(pickle.dumps(planted))
    (copy / "locale-data" / "en.dat").write_bytes(
        pickle.dumps({**_read(copy / "locale-data" / "en.dat"), **planted})
    )

    kept, _, after = cldr_subset.subset(copy)

    assert kept == 3
    assert not (copy / "locale-data" / "ja.dat").exists()
    english = _read(copy / "locale-data" / "en.dat")
    assert "territories" not in english
    assert set(english["number_symbols"]) == {"latn"}
    assert cldr_subset.subset(copy)[1:] == (after, after)
