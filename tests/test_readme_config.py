"""The README's Configuration section names fields, defaults and variables the code has.

Read from the pydantic models themselves (``ProjectConfig``, ``Infrastructure``) and from the table of
environment overrides the settings loader reads, never from a copy kept here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from supervisor import settings
from supervisor.config._infrastructure import Infrastructure
from supervisor.settings import ProjectConfig, RedisSettings

ROOT = Path(__file__).resolve().parents[1]
# values the example sets that are not the default, on purpose: where the README says what the default is
EXAMPLE_NOT_DEFAULT = {("runners", "python", "interpreter")}  # default: looked for in order (the prose)


def section(title: str) -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def example_config() -> dict[str, Any]:
    block = re.search(r"```json\n(.*?)```", section("Configuration"), re.S)
    assert block, "the Configuration section has no motia.config.json example"
    loaded: dict[str, Any] = json.loads(block.group(1))
    return loaded


def leaves(value: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    if isinstance(value, dict) and value:
        return [leaf for key, child in value.items() for leaf in leaves(child, (*path, key))]
    return [(path, value)]


def test_the_configuration_example_is_a_valid_config_of_defaults() -> None:
    example = example_config()
    ProjectConfig.model_validate(example)  # every model forbids unknown keys: a misspelt field fails here
    defaults = ProjectConfig().model_dump(by_alias=True, mode="json")
    differ = []
    for path, value in leaves(example):
        default: Any = defaults
        for key in path:
            default = default[key]
        if value != default and path not in EXAMPLE_NOT_DEFAULT:
            differ.append(f"{'.'.join(path)}: README {value!r}, default {default!r}")
    assert not differ, "the README's example is not the defaults:\n" + "\n".join(differ)


def test_a_misspelt_field_in_the_example_would_be_refused() -> None:
    example = example_config()
    example["events"]["retryBackofMs"] = example["events"].pop("retryBackoffMs")
    with pytest.raises(ValueError, match="retryBackofMs"):
        ProjectConfig.model_validate(example)


def test_every_environment_variable_named_is_read_and_every_override_is_named() -> None:
    text = section("Configuration")
    listed = text.split("Environment variables:", 1)[1].split("`runners.python.interpreter`", 1)[0]
    named = set(re.findall(r"`(MOTIA_[A-Z_]+)`", listed))
    overrides = set(settings._ENV_OVERRIDES)
    # read outside the config loader: the supervisor's event loop, chosen before anything is loaded
    elsewhere = {"MOTIA_EVENT_LOOP"}
    assert named - overrides <= elsewhere, f"named, read nowhere: {sorted(named - overrides - elsewhere)}"
    for variable in elsewhere & named:
        assert any(variable in path.read_text() for path in (ROOT / "supervisor").rglob("*.py")), variable
    assert not overrides - named, f"read, not named in the README: {sorted(overrides - named)}"


def infrastructure_rows() -> list[tuple[str, str]]:
    text = section("Configuration")
    return re.findall(r"^\| `((?:queue|handler)\.\w+)[^`]*` ?([^|]*)\|", text, re.M)


def field_of(model: type[BaseModel], dotted: str) -> tuple[Any, dict[str, Any]]:
    """The default and the bounds (``ge``, ``le``) of a camelCase dotted field of ``model``."""
    *parents, name = dotted.split(".")
    for parent in parents:
        model = next(f.annotation for f in model.model_fields.values() if f.alias == parent)  # type: ignore[assignment]
    field = next((f for f in model.model_fields.values() if f.alias == name), None)
    assert field is not None, f"infrastructure has no field {dotted}"
    bounds = {
        key: getattr(item, key) for item in field.metadata for key in ("ge", "le") if hasattr(item, key)
    }
    return field.default, bounds


def number(text: str) -> float:
    return float(text.replace(",", ""))


def test_the_infrastructure_table_names_fields_defaults_and_limits_the_models_have() -> None:
    rows = infrastructure_rows()
    assert len(rows) >= 6, rows
    for dotted, note in rows:
        default, bounds = field_of(Infrastructure, dotted)
        stated = re.match(r"\((\d[\d,.]*)(?: s)?[,)]", note.strip())
        if stated:
            assert number(stated.group(1)) == default, (
                f"{dotted}: README says {stated.group(1)}, default {default}"
            )
        if most := re.search(r"max ([\d,]+)", note):
            assert number(most.group(1)) == bounds.get("le"), (
                f"{dotted}: README max {most.group(1)}, {bounds}"
            )
        if span := re.match(r"\((\d[\d,]*)-(\d[\d,]*) MB\)", note.strip()):
            low, high = number(span.group(1)), number(span.group(2))
            assert (low, high) == (bounds.get("ge"), bounds.get("le")), (
                f"{dotted}: {span.group(0)} vs {bounds}"
            )


def test_the_redis_table_names_the_fields_and_defaults_of_the_redis_settings() -> None:
    text = section("Several supervisors on Redis")
    rows = re.findall(r"^\| `(\w+)` \| ([^|]+) \|", text, re.M)
    assert len(rows) >= 3, rows
    fields = {field.alias or name: field.default for name, field in RedisSettings.model_fields.items()}
    for key, stated in rows:
        assert key in fields, f"the redis section has no field {key!r} (fields: {sorted(fields)})"
        written = stated.split(" (", 1)[0].strip().strip("`")
        expected = (
            "none"
            if fields[key] is None
            else f"{fields[key]:g}"
            if isinstance(fields[key], float)
            else fields[key]
        )
        assert written == str(expected), f"redis.{key}: README says {written!r}, default {fields[key]!r}"


def test_every_motia_variable_the_readme_names_is_read_by_the_code() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"\b(MOTIA_[A-Z]+(?:_[A-Z]+)*)\b", readme))
    assert len(named) >= 15, named
    code = "\n".join(
        path.read_text(encoding="utf-8")
        for folder in ("supervisor", "runners/python/motia_runner", "runners/node/src")
        for path in (ROOT / folder).rglob("*")
        if path.suffix in (".py", ".ts") and "node_modules" not in path.parts
    )
    unread = sorted(name for name in named if not re.search(rf"\b{name}\b", code))
    assert not unread, f"the README names variables no code reads: {unread}"
