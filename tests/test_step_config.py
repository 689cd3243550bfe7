"""Step and stream config validation: every form users write is accepted, every mistake is named."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from supervisor.config import (
    ApiStepConfig,
    ConfigError,
    CronStepConfig,
    Emit,
    EventStepConfig,
    NoopStepConfig,
    StepConfig,
    StreamConfig,
    check_unique_names,
    parse_step_config,
    parse_stream_config,
)
from supervisor.core import LoadProblem, Registry

TS = "steps/create-pet.step.ts"
PY = "steps/create_pet_step.py"


def api(**overrides: Any) -> dict[str, Any]:
    return {
        "type": "api",
        "name": "CreatePet",
        "path": "/pets",
        "method": "POST",
        "emits": [],
        "hasHandler": True,
        **overrides,
    }


def event(**overrides: Any) -> dict[str, Any]:
    return {
        "type": "event",
        "name": "ProcessPet",
        "subscribes": ["pet.created"],
        "emits": [],
        "hasHandler": True,
        **overrides,
    }


def cron(**overrides: Any) -> dict[str, Any]:
    return {
        "type": "cron",
        "name": "Audit",
        "cron": "0 2 * * *",
        "emits": [],
        "hasHandler": True,
        **overrides,
    }


def error_of(raw: object, file: str = TS) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse_step_config(file, raw)
    return caught.value


def fields_of(error: ConfigError) -> list[str]:
    return [issue.field for issue in error.issues]


# --- accepted forms ---


def test_full_api_config() -> None:
    step = parse_step_config(
        TS,
        api(
            description="Creates a pet",
            flows=["pets"],
            method="post",
            bodySchema={"type": "object", "properties": {}},
            responseSchema={"201": {"type": "object"}},
            middleware=["authMiddleware"],
            queryParams=[{"name": "q", "description": "search"}],
            virtualEmits=["audit"],
            virtualSubscribes=["x"],
            includeFiles=["data/*.json"],
            emits=["pet.created", {"topic": "pet.flagged", "label": "Flagged", "conditional": True}],
        ),
    )
    assert isinstance(step, ApiStepConfig)
    assert step.method == "POST"
    assert step.response_schema == {201: {"type": "object"}}
    assert step.middleware == ("authMiddleware",)
    assert step.query_params[0].name == "q"
    assert step.emits[1] == Emit(topic="pet.flagged", label="Flagged", conditional=True)
    assert step.emit_topics == frozenset({"pet.created", "pet.flagged"})
    assert step.virtual_emits == (Emit(topic="audit"),)
    assert step.infrastructure is None


@pytest.mark.parametrize("method", ["GET", "post", "Put", "delete", "PATCH", "options", "head"])
def test_every_method_in_any_case(method: str) -> None:
    step = parse_step_config(TS, api(method=method))
    assert isinstance(step, ApiStepConfig) and step.method == method.upper()


@pytest.mark.parametrize("factory", [api, event, cron])
def test_missing_emits_means_none(factory: Any) -> None:
    raw = factory()
    del raw["emits"]
    step = parse_step_config(TS, raw)
    assert step.emit_topics == frozenset()


def test_unknown_fields_are_ignored() -> None:
    step = parse_step_config(TS, api(owner="team-pets", tags=["x"]))
    assert not hasattr(step, "owner")


def test_event_defaults_infrastructure_from_the_docs() -> None:
    step = parse_step_config(PY, event(input=None))
    assert isinstance(step, EventStepConfig)
    assert step.infrastructure.handler.timeout == 30
    assert step.infrastructure.queue.type == "standard"
    assert step.infrastructure.queue.max_retries == 3
    assert step.infrastructure.queue.visibility_timeout == 900
    assert step.infrastructure.queue.delay_seconds == 0


#: what an event step without ``infrastructure`` gets: the documented defaults
INFRASTRUCTURE_DEFAULTS: dict[str, Any] = {
    "timeout": 30,
    "ram": None,
    "cpu": None,
    "type": "standard",
    "max_retries": 3,
    "visibility_timeout": 900,
    "delay_seconds": 0,
    "message_group_id": None,
}


@pytest.mark.parametrize(
    ("infrastructure", "written"),
    [
        ({}, {}),
        ({"handler": {"timeout": 10}}, {"timeout": 10}),
        ({"queue": {"maxRetries": 5, "visibilityTimeout": 60}}, {"max_retries": 5, "visibility_timeout": 60}),
        ({"queue": {"type": "fifo"}}, {"type": "fifo"}),
        (
            {
                "handler": {"ram": 2048, "cpu": 1, "timeout": 30},
                "queue": {
                    "type": "fifo",
                    "messageGroupId": "traceId",
                    "visibilityTimeout": 31,
                    "delaySeconds": 900,
                },
            },
            {
                "ram": 2048,
                "cpu": 1,
                "type": "fifo",
                "message_group_id": "traceId",
                "visibility_timeout": 31,
                "delay_seconds": 900,
            },
        ),
    ],
)
def test_partial_infrastructure(infrastructure: dict[str, Any], written: dict[str, Any]) -> None:
    """What is written is kept; every field left out gets its documented default."""
    step = parse_step_config(PY, event(infrastructure=infrastructure))
    assert isinstance(step, EventStepConfig)
    handler, queue = step.infrastructure.handler, step.infrastructure.queue
    read = {
        "timeout": handler.timeout,
        "ram": handler.ram,
        "cpu": handler.cpu,
        "type": queue.type,
        "max_retries": queue.max_retries,
        "visibility_timeout": queue.visibility_timeout,
        "delay_seconds": queue.delay_seconds,
        "message_group_id": queue.message_group_id,
    }
    assert read == INFRASTRUCTURE_DEFAULTS | written


def test_event_subscribes_to_several_topics() -> None:
    step = parse_step_config(PY, event(subscribes=["a", "b"], input={"type": "object"}))
    assert isinstance(step, EventStepConfig) and step.subscribes == ("a", "b")


def test_cron_with_seconds() -> None:
    step = parse_step_config(TS, cron(cron="*/10 * * * * *"))
    assert isinstance(step, CronStepConfig)
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    assert step.schedule.next_after(start) == start + datetime.timedelta(seconds=10)


def test_noop_needs_no_handler_and_no_lists() -> None:
    step = parse_step_config(TS, {"type": "noop", "name": "Approval", "hasHandler": False})
    assert isinstance(step, NoopStepConfig)
    assert step.virtual_emits == () and step.emit_topics == frozenset()
    step = parse_step_config(
        TS,
        {"type": "noop", "name": "Stripe", "virtualEmits": ["/api/stripe/webhook"], "virtualSubscribes": []},
    )
    assert step.virtual_emits == (Emit(topic="/api/stripe/webhook"),)


def test_has_handler_defaults_to_true() -> None:
    raw = api()
    del raw["hasHandler"]
    assert parse_step_config(TS, raw).has_handler


# --- rejected forms ---


def test_error_text_names_file_step_and_field() -> None:
    error = error_of(api(method="FETCH"))
    assert str(error) == (
        "steps/create-pet.step.ts: step \"CreatePet\": field 'method': "
        "must be one of GET, POST, PUT, DELETE, PATCH, OPTIONS, HEAD (got 'FETCH')"
    )
    assert error.file == TS and error.name == "CreatePet" and error.kind == "step"


def test_the_logged_load_problem_names_the_file_once() -> None:
    error = error_of(api(method="FETCH"))
    assert str(LoadProblem(error.file, str(error))) == str(error)
    assert str(LoadProblem(TS, "boom at load", line=3, column=7)) == f"{TS}:3:7: boom at load"


def test_what_an_unsubscribed_emit_says_names_the_files_that_failed_to_load_by_their_errors_first_line() -> (
    None
):
    registry = Registry()
    assert registry.failed_to_load() is None  # every file loaded: an emit says nothing more
    registry.problems.append(LoadProblem(TS, "SyntaxError: boom\n    at line 3", line=3))
    assert registry.failed_to_load() == f"a file failed to load: {TS}:3: SyntaxError: boom"
    registry.problems.extend(LoadProblem(f"steps/{n}.step.ts", f"error {n}") for n in range(4))
    assert registry.failed_to_load() == (
        f"5 files failed to load: {TS}:3: SyntaxError: boom; steps/0.step.ts: error 0; "
        "steps/1.step.ts: error 1; and 2 more"
    )


def test_every_issue_is_reported_one_per_line() -> None:
    error = error_of(api(path="pets", method="FETCH", emits=[5], flows="pets", hasHandler=False))
    assert fields_of(error) == ["flows", "emits[0]", "path", "method", ""]
    assert len(str(error).splitlines()) == 5
    assert "write '/pets'" in str(error)
    assert "exports no handler" in str(error)


@pytest.mark.parametrize(
    ("raw", "field", "text"),
    [
        (api(path="pets"), "path", "must start with '/'"),
        (api(path="/files/*"), "path", "wildcards ('*') are not supported"),
        (api(responseSchema={"abc": {}}), "responseSchema.abc", "key must be a valid integer"),
        (api(responseSchema={"42": {}}), "responseSchema.42", "greater than or equal to 100"),
        (api(emits=[{"label": "no topic"}]), "emits[0].topic", "is required"),
        (api(emits=[""]), "emits[0].topic", "must not be empty"),
        (api(queryParams=[{"description": "x"}]), "queryParams[0].name", "is required"),
        (event(subscribes="pet.created"), "subscribes", "must be a list"),
        (
            event(infrastructure={"queue": {"type": "lifo"}}),
            "infrastructure.queue.type",
            "'standard' or 'fifo'",
        ),
        (
            event(infrastructure={"queue": {"maxRetries": -1}}),
            "infrastructure.queue.maxRetries",
            "greater than or equal to 0",
        ),
        (event(infrastructure={"queue": {"delaySeconds": 901}}), "infrastructure.queue.delaySeconds", "900"),
        (
            event(infrastructure={"handler": {"timeout": 0}}),
            "infrastructure.handler.timeout",
            "greater than or equal to 1",
        ),
        (
            event(infrastructure={"handler": {"timeout": 60}, "queue": {"visibilityTimeout": 60}}),
            "infrastructure.queue.visibilityTimeout",
            "must be greater than handler.timeout",
        ),
        (
            event(infrastructure={"queue": {"visibilityTimeout": 0}}),
            "infrastructure.queue.visibilityTimeout",
            "greater than 0",
        ),
        (
            event(infrastructure={"queue": {"visibilityTimeout": "soon"}}),
            "infrastructure.queue.visibilityTimeout",
            "must be a valid number",
        ),
        (
            event(infrastructure={"queue": {"visibilityTimeout": 86400}}),
            "infrastructure.queue.visibilityTimeout",
            "less than or equal to 43200",
        ),
        (
            event(infrastructure={"handler": {"ram": 64}}),
            "infrastructure.handler.ram",
            "greater than or equal to 128",
        ),
        (
            event(infrastructure={"handler": {"ram": 20480}}),
            "infrastructure.handler.ram",
            "less than or equal to 10240",
        ),
        (
            event(infrastructure={"handler": {"ram": "1GB"}}),
            "infrastructure.handler.ram",
            "must be a valid integer",
        ),
        (cron(cron="61 * * * *"), "cron", "field 1 (minute) '61' is invalid"),
        (cron(cron="* * * *"), "cron", "has 4 field(s)"),
        (cron(cron=None), "cron", "must be a valid string"),
        ({"type": "api", "path": "/x", "method": "GET"}, "name", "is required"),
        ({"type": "http", "name": "X"}, "type", "must be one of api, event, cron, noop (got 'http')"),
        ({"name": "X"}, "type", "(got nothing)"),
    ],
)
def test_rejections_name_the_field(raw: dict[str, Any], field: str, text: str) -> None:
    error = error_of(raw)
    assert field in fields_of(error)
    message = next(i.message for i in error.issues if i.field == field)
    assert text in message


def test_no_step_name_when_unknown() -> None:
    error = error_of({"type": "api", "path": "/x", "method": "GET"})
    assert error.name is None
    assert str(error).startswith("steps/create-pet.step.ts: field 'name'")


@pytest.mark.parametrize("factory", [api, event, cron])
@pytest.mark.parametrize(("file", "hint"), [(TS, "export const handler"), (PY, "async def handler")])
def test_runnable_steps_need_a_handler(factory: Any, file: str, hint: str) -> None:
    error = error_of(factory(hasHandler=False), file)
    assert "exports no handler" in str(error) and hint in str(error)


@pytest.mark.parametrize(("raw", "text"), [(None, "exports no config"), ([1], "config must be an object")])
def test_not_a_config(raw: object, text: str) -> None:
    assert text in str(error_of(raw))


# --- streams ---


def test_stream_config() -> None:
    stream = parse_stream_config(
        "steps/todo.stream.ts",
        {"name": "todo", "schema": {"type": "object"}, "baseConfig": {"storageType": "default"}},
    )
    assert isinstance(stream, StreamConfig)
    assert stream.json_schema == {"type": "object"} and stream.base_config.storage_type == "default"
    assert parse_stream_config("src/pet_creation.stream.py", {"name": "petCreation"}).json_schema is None


def test_stream_errors_say_stream() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_stream_config("steps/todo.stream.ts", {"name": "todo", "schema": "nope"})
    assert str(caught.value).startswith("steps/todo.stream.ts: stream \"todo\": field 'schema'")


# --- project-wide checks ---


def _step(raw: dict[str, Any]) -> StepConfig:
    return parse_step_config("any", raw)


def test_unique_project_has_no_errors() -> None:
    steps = [
        ("steps/a.step.ts", _step(api())),
        ("steps/b.step.ts", _step(api(name="GetPet", method="GET"))),
        ("steps/c_step.py", _step(event())),
    ]
    assert check_unique_names(steps) == []


def test_duplicate_step_names_name_both_files() -> None:
    steps = [("steps/a.step.ts", _step(event())), ("steps/b_step.py", _step(event()))]
    [error] = check_unique_names(steps)
    assert error.file == "steps/b_step.py" and "steps/a.step.ts" in str(error)
    assert error.files == ("steps/b_step.py", "steps/a.step.ts")
    assert error.name == "ProcessPet" and error.issues[0].field == "name"


def test_duplicate_stream_names_within_one_language() -> None:
    streams = [
        ("steps/todo.stream.ts", StreamConfig.model_validate({"name": "todo"})),
        ("src/todo.stream.mts", StreamConfig.model_validate({"name": "todo"})),
    ]
    [error] = check_unique_names([], streams)
    assert error.kind == "stream" and "steps/todo.stream.ts" in str(error)
    assert str(error).startswith('src/todo.stream.mts: stream "todo"')


def test_one_stream_declared_once_per_language_is_allowed() -> None:
    streams = [
        ("steps/typescript/pet-creation.stream.ts", StreamConfig.model_validate({"name": "petCreation"})),
        ("steps/javascript/pet-creation.stream.js", StreamConfig.model_validate({"name": "petCreation"})),
        ("steps/python/pet_creation.stream.py", StreamConfig.model_validate({"name": "petCreation"})),
    ]
    assert check_unique_names([], streams) == []


@pytest.mark.parametrize(
    ("first", "second"),
    [("/pets/:id", "/pets/:petId"), ("/pets", "/pets/"), ("/a/:x/b/:y", "/a/:p/b/:q"), ("/pets", "/Pets")],
)
def test_duplicate_routes_by_shape(first: str, second: str) -> None:
    steps = [
        ("steps/a.step.ts", _step(api(name="A", path=first, method="GET"))),
        ("steps/b.step.ts", _step(api(name="B", path=second, method="get"))),
    ]
    [error] = check_unique_names(steps)
    assert error.file == "steps/b.step.ts" and error.issues[0].field == "path"
    assert "steps/a.step.ts" in str(error) and '"A"' in str(error)


def test_same_path_different_method_is_fine() -> None:
    steps = [
        ("steps/a.step.ts", _step(api(name="A", path="/pets/:id", method="GET"))),
        ("steps/b.step.ts", _step(api(name="B", path="/pets/:id", method="DELETE"))),
    ]
    assert check_unique_names(steps) == []


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/files/*", "wildcards ('*') are not supported"),
        ("/files/:path*", "repeated parameters (':path*') are not supported"),
        ("/pets/:id(\\d+)", "regular-expression groups"),
        ("/pets/x-:id?", "optional parameter ':id?' must be a whole path segment"),
        ("/pets?", "'?' may only mark a whole-segment parameter optional"),
        ("/pets/:", "':' must start a parameter name"),
    ],
)
def test_route_syntax_the_router_cannot_match_is_refused_naming_step_and_path(path: str, reason: str) -> None:
    error = error_of(api(name="GetFile", path=path, method="GET"), TS)
    [line] = str(error).splitlines()
    assert line.startswith(f"{TS}: step \"GetFile\": field 'path': ")
    assert reason in line and repr(path) in line


def test_optional_parameters_are_accepted() -> None:
    assert isinstance(parse_step_config(TS, api(path="/pets/:id?")), ApiStepConfig)


def test_queue_and_handler_errors_name_the_step_and_the_field() -> None:
    ram = str(error_of(event(name="SendEmail", infrastructure={"handler": {"ram": 64}})))
    assert (
        ram
        == f"{TS}: step \"SendEmail\": field 'infrastructure.handler.ram': must be greater than or equal to 128 (got 64)"
    )
    raw = event(
        name="SendEmail", infrastructure={"handler": {"timeout": 10}, "queue": {"visibilityTimeout": 5}}
    )
    assert str(error_of(raw)) == (
        f"{TS}: step \"SendEmail\": field 'infrastructure.queue.visibilityTimeout': must be greater than "
        "handler.timeout, or a message is redelivered while its handler still runs (got visibilityTimeout 5s, timeout 10s)"
    )


@pytest.mark.parametrize("mode", ["warn", "strict"])
def test_an_event_step_chooses_how_its_input_schema_is_enforced(mode: str) -> None:
    step = parse_step_config(PY, event(input={"type": "object"}, validateInput=mode))
    assert isinstance(step, EventStepConfig) and step.validate_input == mode
    default = parse_step_config(PY, event(input={"type": "object"}))
    assert isinstance(default, EventStepConfig) and default.validate_input is None  # the project decides


def test_an_unknown_input_validation_mode_names_the_field() -> None:
    with pytest.raises(ConfigError, match="validateInput"):
        parse_step_config(PY, event(validateInput="loud"))
