"""``ConfigError``: every problem in one file's config, one line per issue, in the user's field names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError
from pydantic_core import ErrorDetails

ConfigKind = Literal["step", "stream"]


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    """One problem. ``field`` is a path like ``emits[0].topic`` (camelCase, as written); '' = whole file."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"field '{self.field}': {self.message}" if self.field else self.message


class ConfigError(Exception):
    """A step or stream config that cannot be used. ``str(error)`` gives one line per issue:

    ``steps/x.step.ts: step "CreatePet": field 'method': must be one of GET, ... (got 'FETCH')``
    """

    def __init__(
        self,
        file: str,
        issues: Sequence[ConfigIssue],
        name: str | None = None,
        kind: ConfigKind = "step",
        related_files: Sequence[str] = (),
    ) -> None:
        self.file = file
        self.name = name
        self.kind: ConfigKind = kind
        self.issues: tuple[ConfigIssue, ...] = tuple(issues)
        # Other files the problem involves (the first owner of a duplicate name or route).
        self.related_files: tuple[str, ...] = tuple(related_files)
        super().__init__(str(self))

    @property
    def files(self) -> tuple[str, ...]:
        """Every file involved: ``file`` first, then ``related_files``."""
        return (self.file, *self.related_files)

    def lines(self) -> list[str]:
        prefix = f'{self.file}: {self.kind} "{self.name}": ' if self.name else f"{self.file}: "
        return [prefix + str(issue) for issue in self.issues]

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def __repr__(self) -> str:
        return (
            f"ConfigError(file={self.file!r}, name={self.name!r}, kind={self.kind!r}, issues={self.issues!r})"
        )


def issues_from_validation_error(error: ValidationError) -> list[ConfigIssue]:
    return [_issue(details) for details in error.errors(include_url=False)]


def _issue(details: ErrorDetails) -> ConfigIssue:
    loc = list(details["loc"])
    is_key = bool(loc) and loc[-1] == "[key]"
    if is_key:
        loc.pop()
    message = _message(details)
    return ConfigIssue(field=format_field_path(loc), message=f"key {message}" if is_key else message)


def _message(details: ErrorDetails) -> str:
    kind = details["type"]
    if kind == "missing":
        return "is required" + _written_otherwise(details)
    if kind == "value_error":
        # A plain ValueError from our validators (cron): its text is already written for users.
        return str(details.get("ctx", {}).get("error", details["msg"]))
    if kind in ("too_short", "string_too_short") and details.get("ctx", {}).get("min_length") == 1:
        return f"must not be empty (got {_short(details['input'])})"
    msg = details["msg"]
    if "(got " in msg:
        return msg  # our own PydanticCustomError messages already show the input
    # Lists are stored as tuples, but users wrote arrays/lists.
    msg = msg.replace("a valid tuple", "a list")
    for prefix, replacement in (("Input should be", "must be"), ("Value should be", "must be")):
        if msg.startswith(prefix):
            msg = replacement + msg[len(prefix) :]
    msg = msg[:1].lower() + msg[1:]
    return f"{msg} (got {_short(details['input'])})"


def format_field_path(loc: Iterable[int | str]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# Names other frameworks and articles give a required field: a cron step's `expression` (article
# snippets), `schedule`; an event step's `topics`; an api step's `route`. Motia reads none of them.
_OTHER_NAMES = {
    "cron": ("expression", "schedule", "cronExpression"),
    "subscribes": ("topics", "topic", "on"),
    "path": ("route", "url"),
}


def _written_otherwise(details: ErrorDetails) -> str:
    """`` (got 'expression', which Motia does not read: name it 'cron')`` when the config holds the
    missing field under another name (or a typo of it), so the fix is not left to guessing."""
    loc, given = details["loc"], details["input"]
    if len(loc) != 1 or not isinstance(loc[0], str) or not isinstance(given, dict):
        return ""
    field = loc[0]
    keys = [key for key in given if isinstance(key, str)]
    other = [key for key in keys if key in _OTHER_NAMES.get(field, ())]
    found = other or difflib.get_close_matches(field, keys, n=1, cutoff=0.8)
    return f" (got '{found[0]}', which Motia does not read: name it '{field}')" if found else ""
