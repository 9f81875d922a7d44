"""Cut Babel's CLDR data down to what the add-on formats with.

``python3 scripts/cldr_subset.py [BABEL_DIR]`` (default: the installed babel package). The
image runs it after installing its dependencies, and ``scripts/test`` and ``scripts/demo`` on
``.venv``, so every test runs on the data that ships.

Babel ships CLDR data for about 1000 locales, and each locale it loads brings every table of
its own and of ``root`` and ``global.dat`` into memory: about 5 MiB for English alone, most
of it names of territories, languages, currencies and time zones, 77 numbering systems and
the likely subtags of every language on earth. ``oura_addon.i18n`` formats decimal numbers,
dates, times, date-time skeletons and durations (hours and minutes) in five languages and
their regions, and nothing else; the rest goes. Keeping the five languages is measured in
disk (32 MB -> 2.5 MB), cutting their tables in memory (about 3 MiB less RSS, see README's
``benchmark memory``).

Idempotent: a second run finds nothing more to drop. It only removes data; to keep more
later, reinstall babel first (``scripts/test`` does).
"""

from __future__ import annotations

import os
import pickle
import sys
import tempfile
from pathlib import Path
from typing import Any

# oura_addon.i18n.LANGUAGES (a packaging test holds them together).
LANGUAGES = ("en", "de", "fr", "es", "nl")
# Tables no format the add-on uses reads: display names, time-zone names, currencies,
# relative-date phrases, intervals, lists and compact numbers.
DROPPED_TABLES = frozenset(
    {
        "territories",
        "languages",
        "scripts",
        "variants",
        "meta_zones",
        "time_zones",
        "zone_formats",
        "currency_names",
        "currency_names_plural",
        "currency_symbols",
        "currency_formats",
        "compact_currency_formats",
        "currency_unit_patterns",
        "compact_decimal_formats",
        "unit_display_names",
        "date_fields",
        "interval_formats",
        "list_patterns",
    }
)
# Per numbering system; the five languages write Latin digits.
NUMBERING_TABLES = ("number_symbols", "decimal_formats", "percent_formats", "scientific_formats")
NUMBERING_SYSTEM = "latn"
# i18n.Translator.duration_hours: "duration-hour" and "duration-minute".
UNIT_PREFIX = "duration-"
# What Locale.parse and localedata.load read from global.dat; the likely subtags only for
# the five languages (their regions resolve without them).
GLOBAL_TABLES = frozenset(
    {
        "cldr",
        "parent_exceptions",
        "language_aliases",
        "territory_aliases",
        "script_aliases",
        "variant_aliases",
        "likely_subtags",
    }
)


def _language(identifier: str) -> str:
    return identifier.split("_", 1)[0]


def subset_locale(data: dict[str, Any]) -> dict[str, Any]:
    """One locale's tables without what the add-on never formats."""
    kept = {key: value for key, value in data.items() if key not in DROPPED_TABLES}
    for key in NUMBERING_TABLES:
        table = kept.get(key)
        if isinstance(table, dict) and NUMBERING_SYSTEM in table:
            kept[key] = {NUMBERING_SYSTEM: table[NUMBERING_SYSTEM]}
    units = kept.get("unit_patterns")
    if isinstance(units, dict):
        kept["unit_patterns"] = {k: v for k, v in units.items() if k.startswith(UNIT_PREFIX)}
    return kept


def subset_global(data: dict[str, Any]) -> dict[str, Any]:
    kept = {key: value for key, value in data.items() if key in GLOBAL_TABLES}
    likely = kept.get("likely_subtags")
    if isinstance(likely, dict):
        kept["likely_subtags"] = {k: v for k, v in likely.items() if _language(k) in LANGUAGES}
    return kept


def _rewrite(path: Path, change: Any) -> None:
    data = pickle.loads(path.read_bytes())  # noqa: S301 - babel's own files, at build time
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "wb") as out:
        pickle.dump(change(data), out, protocol=pickle.HIGHEST_PROTOCOL)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)


def subset(babel_dir: Path) -> tuple[int, int, int]:
    """(locales kept, bytes before, bytes after) of ``babel_dir``'s data."""
    files = [babel_dir / "global.dat", *sorted((babel_dir / "locale-data").glob("*.dat"))]
    before = sum(f.stat().st_size for f in files)
    kept = 0
    for path in files[1:]:
        if path.stem != "root" and _language(path.stem) not in LANGUAGES:
            path.unlink()
            continue
        _rewrite(path, subset_locale)
        kept += 1
    _rewrite(files[0], subset_global)
    after = sum(f.stat().st_size for f in files if f.exists())
    return kept, before, after


def main(argv: list[str]) -> int:
    if len(argv) > 1:
        babel_dir = Path(argv[1])
    else:
        import babel

        babel_dir = Path(babel.__file__).parent
    if not (babel_dir / "global.dat").is_file():
        print(f"cldr_subset: no babel data in {babel_dir}", file=sys.stderr)
        return 2
    kept, before, after = subset(babel_dir)
    print(f"cldr_subset: {kept} locales kept, {before // 1024} KiB -> {after // 1024} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
