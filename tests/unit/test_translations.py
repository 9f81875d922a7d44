"""Every sentence the panel can show exists in every shipped language, with the same values.

The sentences are extracted from the sources exactly as ``scripts/translations`` does (same
``babel.cfg``, same keywords), so a sentence added without translations fails here.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from oura_addon.i18n import LANGUAGES, LOCALES_DIR, Catalogues, Text, Translator, _l
from oura_addon.web.script_messages import SCRIPT_MESSAGES

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_l": None, "gettext": None, "ngettext": (1, 2), "_": None}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdr]")
TRANSLATED = LANGUAGES[1:]


def _source_messages() -> set[str]:
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        for msgid in message if isinstance(message, tuple) else (message,):
            if msgid:
                found.add(msgid)
    return found


@pytest.fixture(scope="module")
def source_messages() -> set[str]:
    messages = _source_messages()
    assert len(messages) > 100, "extraction found almost nothing: is babel.cfg still right?"
    return messages


def _catalogue(language: str):
    with (LOCALES_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=language)


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_sentence_is_translated(language: str, source_messages: set[str]) -> None:
    catalogue = _catalogue(language)
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0]): m
        for m in catalogue
        if m.id and m.string and all(m.string) and not m.fuzzy
    }
    untranslated = sorted(source_messages - translated.keys())
    assert not untranslated, (
        f"{len(untranslated)} sentences have no {language} translation; run "
        f"scripts/translations and translate them in {LOCALES_DIR / language}: {untranslated}"
    )


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_every_value(language: str) -> None:
    for message in _catalogue(language):
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            assert set(PLACEHOLDER.findall(string)) == wanted, (language, message.id, string)


def test_the_panel_script_names_exactly_the_table_keys() -> None:
    script = (ROOT / "oura_addon/web/static/panel.js").read_text(encoding="utf-8")
    used = set(re.findall(r"""\btext\(\s*["'](\w+)["']""", script))
    assert used == set(SCRIPT_MESSAGES), (
        f"panel.js uses {sorted(used - set(SCRIPT_MESSAGES))} without a table entry; "
        f"the table has {sorted(set(SCRIPT_MESSAGES) - used)} the script never shows"
    )


def test_the_shipped_catalogues_load_and_translate() -> None:
    catalogues = Catalogues()
    assert catalogues.translator("de").gettext("Sync now") == "Jetzt synchronisieren"
    assert catalogues.translator("fr-CA").gettext("Disconnect") == "Déconnecter"
    assert catalogues.translator("pt-BR").gettext("Sync now") == "Sync now"  # not shipped


def test_a_text_is_english_until_shown_and_translated_with_its_values() -> None:
    inner = _l("unknown")
    sentence = _l("Home Assistant: %(status)s.", status=inner)
    assert sentence == "Home Assistant: unknown."
    german = Catalogues().translator("de")
    assert german.text(sentence) == "Home Assistant: unbekannt."
    assert german.text("Sync now") == "Jetzt synchronisieren"  # a plain known sentence
    assert german.text("sensor.oura_steps") == "sensor.oura_steps"  # anything else as it is
    assert isinstance(sentence, Text) and isinstance(sentence, str)


def test_a_broken_catalogue_costs_only_its_language(tmp_path: Path) -> None:
    broken = tmp_path / "de" / "LC_MESSAGES"
    broken.mkdir(parents=True)
    (broken / "messages.po").write_bytes(b"\xff\xfe not a catalogue")
    catalogues = Catalogues(tmp_path)
    assert catalogues.translator("de").gettext("Sync now") == "Sync now"


def test_a_translation_that_lost_a_value_falls_back_to_english(tmp_path: Path) -> None:
    target = tmp_path / "de" / "LC_MESSAGES"
    target.mkdir(parents=True)
    (target / "messages.po").write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "Syncing %(name)s now."\nmsgstr "Synchronisiere %(nom)s."\n',
        encoding="utf-8",
    )
    german = Catalogues(tmp_path).translator("de")
    assert german.text(_l("Syncing %(name)s now.", name="oura")) == "Syncing oura now."


def test_numbers_dates_and_durations_follow_the_locale() -> None:
    en, de, fr = Translator("en"), Translator("de"), Translator("fr")
    assert (en.number("7523"), de.number("7523"), fr.number("7523")) == (
        "7,523",
        "7.523",
        "7\u202f523",
    )
    assert (en.number("-0.23"), de.number("-0.23")) == ("-0.23", "-0,23")
    assert en.number("unavailable") == "unavailable"
    assert de.duration_hours(7.17) == "7 Std. 10 Min."
    assert en.duration_hours(0.5) == "30 min"
    moment = datetime(2025, 1, 30, 6, 50, tzinfo=UTC)
    assert de.datetime(moment) == "30.01.25, 06:50"
    assert Translator("en-GB").datetime(moment).startswith("30/01/2025")
    assert fr.date(date(2025, 1, 30)) == "30 janv. 2025"


OPTION_LANGUAGES = ("en", "de", "fr", "es", "nl")


@pytest.mark.parametrize("language", OPTION_LANGUAGES)
def test_every_option_has_a_name_and_description_in_each_language(language: str) -> None:
    schema = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))["schema"]
    path = ROOT / "translations" / f"{language}.yaml"
    configuration = yaml.safe_load(path.read_text(encoding="utf-8"))["configuration"]
    assert set(configuration) == set(schema), path
    for key, entry in configuration.items():
        assert entry.get("name") and entry.get("description"), (path, key)
    if language != "en":
        english = yaml.safe_load((ROOT / "translations/en.yaml").read_text(encoding="utf-8"))
        for key, entry in configuration.items():
            assert entry["description"] != english["configuration"][key]["description"], (
                f"{path}: {key} is still English"
            )


def test_a_language_is_read_when_first_asked_for(tmp_path: Path) -> None:
    target = tmp_path / "de" / "LC_MESSAGES"
    target.mkdir(parents=True)
    catalogue = target / "messages.po"
    catalogue.write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "Sync now"\nmsgstr "Jetzt"\n',
        encoding="utf-8",
    )
    catalogues = Catalogues(tmp_path)
    assert catalogues.translator("en").gettext("Sync now") == "Sync now"
    # Nothing was read yet: a catalogue changed before the first German page is the one used.
    catalogue.write_text(catalogue.read_text().replace("Jetzt", "Jetzt synchronisieren"))
    assert catalogues.translator("de").gettext("Sync now") == "Jetzt synchronisieren"
