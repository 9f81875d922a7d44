"""The community add-on linter's checks that its JSON Schemas cannot express.

Pure functions over the parsed ``config.yaml`` / ``build.yaml``, so tests can feed them broken
copies and prove each check fires. Every problem is one sentence starting with "error:" or
"warning:" that names the file, the key and the fix.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from jsonschema import Draft7Validator

# Defaults the linter knows even if a schema version leaves them out.
KNOWN_DEFAULTS: Mapping[str, object] = {"ingress_port": 8099, "panel_admin": True, "init": True}
OBSOLETE_CONFIG_KEYS = ("watchdog", "codenotary", "auto_uart")
OBSOLETE_BUILD_KEYS = ("squash", "codenotary")
DEPRECATED_ARCHS = ("armhf", "armv7", "i386")
# Our own rule: the slug becomes part of URLs, image names and the AppArmor profile name.
SLUG_PATTERN = re.compile(r"^[a-z0-9_]+$")


def _same_value(value: object, default: object) -> bool:
    # True == 1 in Python; a boolean default must only match a boolean.
    return type(value) is type(default) and value == default


def schema_defaults(schema: Mapping[str, Any]) -> dict[str, object]:
    """Top-level defaults declared by the schema, plus the ones the linter knows anyway."""
    declared = {
        key: spec["default"]
        for key, spec in schema.get("properties", {}).items()
        if isinstance(spec, Mapping) and "default" in spec
    }
    return {**KNOWN_DEFAULTS, **declared}


def schema_problems(
    document: Mapping[str, Any], schema: Mapping[str, Any], label: str
) -> list[str]:
    """Validation errors of ``document`` against a draft-07 schema, one sentence each."""
    validator = Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)
    problems = []
    for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(part) for part in error.absolute_path) or "(top level)"
        problems.append(f"error: {label} {where}: {error.message}")
    return problems


def _mapped_folders(config: Mapping[str, Any]) -> list[str]:
    folders = []
    for entry in config.get("map") or []:
        if isinstance(entry, str):
            folders.append(entry.split(":", 1)[0])
        elif isinstance(entry, Mapping) and isinstance(entry.get("type"), str):
            folders.append(entry["type"])
    return folders


def addon_lint_problems(
    config: Mapping[str, Any], build: Mapping[str, Any], schema: Mapping[str, Any]
) -> list[str]:
    """The linter's extra rules; ``schema`` is the config schema (it supplies the defaults)."""
    problems: list[str] = []

    defaults = schema_defaults(schema)
    for key, value in config.items():
        if key in defaults and _same_value(value, defaults[key]):
            problems.append(
                f"error: config.yaml sets {key} to its default value {value!r}; remove the key"
            )

    if "webui" in config and config.get("ingress"):
        problems.append("error: config.yaml has both webui and ingress; remove webui")

    problems += [
        f"error: config.yaml uses the obsolete key {key}; remove it"
        for key in OBSOLETE_CONFIG_KEYS
        if key in config
    ]
    problems += [
        f"error: build.yaml uses the obsolete key {key}; remove it"
        for key in OBSOLETE_BUILD_KEYS
        if key in build
    ]

    slug = config.get("slug")
    if isinstance(slug, str) and not SLUG_PATTERN.match(slug):
        problems.append(
            f"error: config.yaml slug {slug!r} must be lowercase letters, digits and underscores"
        )

    config_archs = [a for a in config.get("arch") or [] if isinstance(a, str)]
    build_from = build.get("build_from")
    if isinstance(build_from, Mapping) and set(build_from) != set(config_archs):
        problems.append(
            "error: build.yaml build_from architectures "
            f"{sorted(build_from)} differ from config.yaml arch {sorted(config_archs)}"
        )

    problems += [
        f"warning: config.yaml arch {arch} is deprecated; drop it"
        for arch in config_archs
        if arch in DEPRECATED_ARCHS
    ]
    if "config" in _mapped_folders(config):
        problems.append(
            "warning: config.yaml maps config, which is deprecated; map homeassistant_config"
        )
    return problems
