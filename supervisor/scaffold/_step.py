"""``motia generate step``'s files: one step's source, in the style of ``motia create``'s templates.

The answers are those Motia 0.17's generator asks for (name, type, language, the type's own fields,
flows, emits, description); the file goes under the project's ``steps/`` (``--dir`` below it), named as
``motia create`` names its steps: ``name.step.ts``/``.js``, ``name_step.py``."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

STEP_TYPES = ("api", "event", "cron", "noop")
LANGUAGES = ("typescript", "javascript", "python")
HTTP_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")
#: Motia's rule for a step name typed at its prompt
STEP_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9_-]*")

_TS_CONFIG_TYPES = {
    "api": "ApiRouteConfig",
    "event": "EventConfig",
    "cron": "CronConfig",
    "noop": "NoopConfig",
}


@dataclass(frozen=True)
class StepAnswers:
    name: str
    type: str
    language: str
    flows: list[str]
    emits: list[str] = field(default_factory=list)
    description: str = ""
    method: str = "GET"
    path: str = "/"
    subscribes: list[str] = field(default_factory=list)
    cron: str = ""
    virtual_emits: list[str] = field(default_factory=list)
    virtual_subscribes: list[str] = field(default_factory=list)


class StepExists(Exception):
    """The step's file is there already: the generator never replaces a file."""


def step_file_name(answers: StepAnswers) -> str:
    if answers.language == "python":
        return f"{answers.name.replace('-', '_')}_step.py"
    return f"{answers.name}.step.{'ts' if answers.language == 'typescript' else 'js'}"


def write_step(steps_dir: Path, answers: StepAnswers) -> Path:
    """Writes the step's file into ``steps_dir`` (made if missing); raises ``StepExists`` if it is there."""
    path = steps_dir / step_file_name(answers)
    if path.exists():
        raise StepExists(str(path))
    steps_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(step_source(answers), encoding="utf-8")
    return path


def step_source(answers: StepAnswers) -> str:
    if answers.language == "python":
        return _python_source(answers)
    return _node_source(answers, typed=answers.language == "typescript")


def _config_fields(answers: StepAnswers) -> list[tuple[str, object]]:
    """The config's keys in the order ``motia create``'s templates write them."""
    fields: list[tuple[str, object]] = [("type", answers.type), ("name", answers.name)]
    if answers.description:
        fields.append(("description", answers.description))
    if answers.type == "api":
        fields += [("path", answers.path), ("method", answers.method)]
    elif answers.type == "event":
        fields.append(("subscribes", answers.subscribes))
    elif answers.type == "cron":
        fields.append(("cron", answers.cron))
    if answers.type == "noop":
        fields += [("virtualEmits", answers.virtual_emits), ("virtualSubscribes", answers.virtual_subscribes)]
    else:
        fields.append(("emits", answers.emits))
    fields.append(("flows", answers.flows))
    return fields


def _js_value(value: object) -> str:
    """A JSON value written as the templates write JavaScript: single-quoted strings."""
    if isinstance(value, list):
        return "[" + ", ".join(_js_value(item) for item in value) + "]"
    text = json.dumps(value, ensure_ascii=False)
    return "'" + text[1:-1].replace('\\"', '"').replace("'", "\\'") + "'"


def _node_source(answers: StepAnswers, *, typed: bool) -> str:
    config_type = f": {_TS_CONFIG_TYPES[answers.type]}" if typed else ""
    header = f"import type {{ {_TS_CONFIG_TYPES[answers.type]}, Handlers }} from 'motia'\n\n" if typed else ""
    body = "".join(f"  {key}: {_js_value(value)},\n" for key, value in _config_fields(answers))
    source = f"{header}export const config{config_type} = {{\n{body}}}\n"
    if answers.type == "noop":
        return source  # a noop step has no handler: it only draws the flow
    handler_type = f": Handlers[{_js_value(answers.name)}]" if typed else ""
    # the emit is left for the user to fill in: an emit of an empty object would fail a subscriber's input
    emit = (
        f"  // await emit({{ topic: {_js_value(answers.emits[0])}, data: {{}} }})\n" if answers.emits else ""
    )
    context = "{ emit, logger }" if answers.emits else "{ logger }"
    if answers.type == "api":
        signature, log = f"async (req, {context})", f"logger.info({_js_value(answers.name + ' called')})"
        result = f"  return {{ status: 200, body: {{ message: {_js_value(answers.name)} }} }}\n"
    elif answers.type == "event":
        signature = f"async (input, {context})"
        log = f"logger.info({_js_value(answers.name + ' received')}, {{ input }})"
        result = ""
    else:
        signature, log, result = f"async ({context})", f"logger.info({_js_value(answers.name + ' ran')})", ""
    return f"{source}\nexport const handler{handler_type} = {signature} => {{\n  {log}\n{emit}{result}}}\n"


def _python_source(answers: StepAnswers) -> str:
    body = "".join(
        f"    {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},\n"
        for key, value in _config_fields(answers)
    )
    source = f"config = {{\n{body}}}\n"
    if answers.type == "noop":
        return source
    emit = (
        f'    # await context.emit({{"topic": {json.dumps(answers.emits[0])}, "data": {{}}}})\n'
        if answers.emits
        else ""
    )
    if answers.type == "api":
        head = "async def handler(req, context):"
        log = f"context.logger.info({json.dumps(answers.name + ' called')})"
        result = f'    return {{"status": 200, "body": {{"message": {json.dumps(answers.name)}}}}}\n'
    elif answers.type == "event":
        head = "async def handler(input_data, context):"
        log = f'context.logger.info({json.dumps(answers.name + " received")}, {{"input": input_data}})'
        result = ""
    else:
        head, log, result = (
            "async def handler(context):",
            f"context.logger.info({json.dumps(answers.name + ' ran')})",
            "",
        )
    return f"{source}\n\n{head}\n    {log}\n{emit}{result}"
