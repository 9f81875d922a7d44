"""The repository's blueprints: well formed, and each linked from DOCS with Home Assistant's
blueprint-import redirect to its own address (the core test loads and runs them)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BLUEPRINTS = sorted((REPO / "blueprints" / "automation" / "oura").glob("*.yaml"))
REDIRECT = "https://my.home-assistant.io/redirect/blueprint_import/?blueprint_url="


class BlueprintLoader(yaml.SafeLoader):
    """Home Assistant's ``!input`` tag, kept as a marker."""


BlueprintLoader.add_constructor("!input", lambda loader, node: ("input", node.value))


def repository_url() -> str:
    config = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    return str(config["url"]).rstrip("/")


def test_there_are_the_three_promised_blueprints():
    names = {p.name for p in BLUEPRINTS}
    assert {"morning_summary.yaml", "light_by_readiness.yaml", "after_workout.yaml"} <= names


@pytest.mark.parametrize("path", BLUEPRINTS, ids=lambda p: p.name)
def test_each_blueprint_uses_only_its_declared_inputs_and_names_its_own_address(path):
    document = yaml.load(path.read_text(encoding="utf-8"), Loader=BlueprintLoader)  # noqa: S506
    blueprint = document["blueprint"]
    assert blueprint["domain"] == "automation"
    relative = path.relative_to(REPO).as_posix()
    assert blueprint["source_url"] == f"{repository_url()}/blob/main/{relative}"
    used: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, tuple) and value[:1] == ("input",):
            used.add(str(value[1]))
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk({k: v for k, v in document.items() if k != "blueprint"})
    assert used == set(blueprint["input"]), path.name
    assert document["triggers"] and document["actions"]


@pytest.mark.parametrize("path", BLUEPRINTS, ids=lambda p: p.name)
def test_docs_links_each_blueprint_with_the_import_redirect(path):
    relative = path.relative_to(REPO).as_posix()
    address = f"{repository_url()}/blob/main/{relative}"
    docs = (REPO / "DOCS.md").read_text(encoding="utf-8")
    assert REDIRECT + quote(address, safe="") in docs
