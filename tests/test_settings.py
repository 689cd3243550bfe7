"""Project settings from motia.config.json and MOTIA_* variables, and .env parsing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from supervisor.settings import SettingsError, load_project_config


def test_defaults_are_the_embedded_sqlite_adapters(tmp_path: Path) -> None:
    config = load_project_config(tmp_path, environ={})
    assert (config.state.adapter, config.streams.adapter, config.events.adapter) == (
        "sqlite",
        "sqlite",
        "sqlite",
    )
    assert config.runners.node.pool_size == 1


def test_config_file_and_environment_combine_with_environment_winning(tmp_path: Path) -> None:
    (tmp_path / "motia.config.json").write_text(
        '{"state": {"adapter": "memory"}, "runners": {"node": {"poolSize": 2}}}'
    )
    config = load_project_config(
        tmp_path, environ={"MOTIA_NODE_POOL_SIZE": "4", "MOTIA_EVENTS_ADAPTER": "memory"}
    )
    assert config.state.adapter == "memory"
    assert config.events.adapter == "memory"
    assert config.runners.node.pool_size == 4


def test_bad_values_name_the_field(tmp_path: Path) -> None:
    (tmp_path / "motia.config.json").write_text('{"state": {"adapter": "postgres"}}')
    with pytest.raises(SettingsError, match=r"state\.adapter"):
        load_project_config(tmp_path, environ={})


def test_unknown_keys_are_rejected_so_typos_do_not_pass_silently(tmp_path: Path) -> None:
    (tmp_path / "motia.config.json").write_text('{"runners": {"nodes": {}}}')
    with pytest.raises(SettingsError, match="nodes"):
        load_project_config(tmp_path, environ={})


def test_event_input_validation_warns_by_default_and_can_be_strict(tmp_path: Path) -> None:
    assert load_project_config(tmp_path, environ={}).events.validate_input == "warn"
    (tmp_path / "motia.config.json").write_text('{"events": {"validateInput": "strict"}}')
    assert load_project_config(tmp_path, environ={}).events.validate_input == "strict"
    (tmp_path / "motia.config.json").write_text('{"events": {"validateInput": "loud"}}')
    with pytest.raises(SettingsError, match=r"events\.validateInput"):
        load_project_config(tmp_path, environ={})


@pytest.mark.parametrize(
    ("config", "environ", "expected"),
    [
        ({}, {}, "sqlite"),
        (
            {
                "state": {"adapter": "memory"},
                "streams": {"adapter": "memory"},
                "events": {"adapter": "memory"},
            },
            {},
            "memory",
        ),
        ({"state": {"adapter": "memory"}, "streams": {"adapter": "memory"}}, {}, "sqlite"),
        ({"state": {"adapter": "memory"}, "tracing": {"adapter": "sqlite"}}, {}, "sqlite"),
        ({}, {"MOTIA_TRACING_ADAPTER": "memory"}, "memory"),
        ({}, {"MOTIA_TRACING": "false"}, None),
        ({"redis": {"url": "redis://127.0.0.1:6379/0"}}, {}, "redis"),
        ({}, {"MOTIA_REDIS_URL": "redis://127.0.0.1:6379/0"}, "redis"),
        ({}, {"MOTIA_REDIS_URL": "redis://127.0.0.1:6379/0", "MOTIA_TRACING_ADAPTER": "sqlite"}, "sqlite"),
        (
            {"redis": {"url": "redis://127.0.0.1:6379/0"}, "state": {"adapter": "sqlite"}},
            {"MOTIA_TRACING_ADAPTER": "memory"},
            "memory",
        ),
    ],
)
def test_traces_are_kept_where_the_other_stores_are_unless_told(
    tmp_path: Path, config: dict[str, object], environ: dict[str, str], expected: str | None
) -> None:
    (tmp_path / "motia.config.json").write_text(json.dumps(config), encoding="utf-8")
    loaded = load_project_config(tmp_path, environ=environ)
    assert loaded.trace_adapter == expected
    stores = {loaded.state.adapter, loaded.streams.adapter, loaded.events.adapter}
    assert loaded.uses_redis == ("redis" in {expected, *stores})
    assert ("sqlite" in loaded.embedded_adapters()) == (
        "sqlite" in {expected, loaded.state.adapter, loaded.events.adapter, loaded.streams.adapter}
    )


def test_traces_on_redis_without_a_redis_url_is_an_error_naming_tracing(tmp_path: Path) -> None:
    (tmp_path / "motia.config.json").write_text(
        json.dumps({"tracing": {"adapter": "redis"}}), encoding="utf-8"
    )
    with pytest.raises(SettingsError, match="tracing: the redis adapter needs a Redis URL"):
        load_project_config(tmp_path, environ={})


def test_the_http_server_is_uvicorn_unless_the_config_or_the_environment_chooses_hypercorn(
    tmp_path: Path,
) -> None:
    assert load_project_config(tmp_path, environ={}).http.server == "uvicorn"
    environ = {"MOTIA_HTTP_SERVER": "hypercorn"}
    assert load_project_config(tmp_path, environ=environ).http.server == "hypercorn"
    (tmp_path / "motia.config.json").write_text('{"http": {"server": "hypercorn"}}')
    assert load_project_config(tmp_path, environ={}).http.server == "hypercorn"
    assert load_project_config(tmp_path, environ={"MOTIA_HTTP_SERVER": "uvicorn"}).http.server == "uvicorn"
    with pytest.raises(SettingsError, match=r"http\.server.*'uvicorn' or 'hypercorn'"):
        load_project_config(tmp_path, environ={"MOTIA_HTTP_SERVER": "granian"})


def test_a_bad_value_from_a_motia_variable_names_the_variable(tmp_path: Path) -> None:
    # the file may not mention the field at all: "http.server: Input should be ..." alone sent users there
    environ = {"MOTIA_HTTP_SERVER": "granian", "MOTIA_NODE_POOL_SIZE": "two"}
    with pytest.raises(SettingsError) as refused:
        load_project_config(tmp_path, environ=environ)
    assert "http.server (from MOTIA_HTTP_SERVER): Input should be 'uvicorn' or 'hypercorn'" in str(
        refused.value
    )
    assert "runners.node.poolSize (from MOTIA_NODE_POOL_SIZE): Input should be a valid integer" in str(
        refused.value
    )
    (tmp_path / "motia.config.json").write_text('{"http": {"server": "granian"}}')
    with pytest.raises(SettingsError, match=r"http\.server: Input should be"):  # the file's own value
        load_project_config(tmp_path, environ={})
