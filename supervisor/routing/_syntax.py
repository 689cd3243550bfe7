"""Route paths as api steps write them, parsed once: the one place that knows the route syntax.

Motia 0.17 registers api steps with Express 4, whose paths (path-to-regexp 0.1) we follow for
the part Motia projects use:

* static segments, matched literally but case-insensitively, as Express's router does by default
  (``/Pets/Search`` is ``/pets/search``); a trailing slash is optional;
* ``:name`` parameters, anywhere in a segment (``/pets/:id``, ``/flights/:from-:to``);
* ``:name?`` optional parameters that make up a whole segment: ``/pets/:id?`` matches ``/pets``
  and ``/pets/7``, ``/a/:id?/b`` matches ``/a/b`` and ``/a/7/b``. A parameter that is absent is
  left out of ``pathParams`` (Express sets it to ``undefined``, which JSON drops).

The rest of Express 4's syntax is raw regular expression there (``*``, ``:name*``, ``(\\d+)``,
``+``, a ``?`` after anything but a parameter) and changed meaning in Express 5; no Motia example
uses it, so a step that does is refused at load with the reason instead of never matching.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

#: a parameter: ':' and a name (Express: ``\\w+``), optionally marked optional by a '?'
_PARAMETER = re.compile(r":([A-Za-z0-9_]+)(\?)?")
#: characters that are regular-expression syntax in an Express 4 path, never literals
_EXPRESS_REGEX_CHARS = frozenset("*+?()[]{}|\\^$")


class RouteSyntaxError(ValueError):
    """A path this framework cannot route the way Motia does; the message says what to write instead."""


@dataclass(frozen=True, slots=True)
class RoutePath:
    """A parsed api-step path.

    ``shape`` erases parameter names and case, so two paths with the same shape match the same
    requests (``/pets/:id`` and ``/Pets/:petId/`` are both ``/pets/:``; ``/pets/:id?`` is ``/pets/:?``).
    ``regex`` is None for a static path, which is matched by string equality.
    """

    path: str
    shape: str
    params: tuple[str, ...]
    regex: re.Pattern[str] | None
    static_segments: int


def normalize_path(path: str) -> str:
    """Drop a trailing slash, as Express (not strict) does: ``/pets/`` is ``/pets``."""
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    return path


def parse_route(path: str) -> RoutePath:
    """Parse an api step's ``path``; raises ``RouteSyntaxError`` saying what is wrong and what works."""
    if not path.startswith("/"):
        raise RouteSyntaxError(f"must start with '/' (got {path!r}); write {'/' + path!r}")
    path = normalize_path(path)
    segments = path.split("/")[1:]
    regex = ""
    shape = ""
    params: list[str] = []
    static_segments = 0
    for segment in segments:
        found = list(_PARAMETER.finditer(segment))
        if not found:
            _check_literal(segment, path)
            static_segments += 1 if segment else 0
            regex += "/" + re.escape(segment)
            shape += "/" + segment
            continue
        optional = [match for match in found if match.group(2)]
        if optional and (len(found) > 1 or found[0].span() != (0, len(segment))):
            raise RouteSyntaxError(
                f"optional parameter ':{optional[0].group(1)}?' must be a whole path segment "
                f"(like '/pets/:id?') (got {path!r})"
            )
        if optional:
            params.append(optional[0].group(1))
            regex += "(?:/([^/]+))?"
            shape += "/:?"
            continue
        segment_regex = ""
        segment_shape = ""
        position = 0
        for match in found:
            if segment[match.end() : match.end() + 1] in ("*", "+"):
                raise RouteSyntaxError(
                    f"repeated parameters (':{match.group(1)}{segment[match.end()]}') are not supported; "
                    f"use one parameter per segment (got {path!r})"
                )
            literal = segment[position : match.start()]
            _check_literal(literal, path)
            segment_regex += re.escape(literal) + "([^/]+)"
            segment_shape += literal + ":"
            params.append(match.group(1))
            position = match.end()
        rest = segment[position:]
        _check_literal(rest, path)
        regex += "/" + segment_regex + re.escape(rest)
        shape += "/" + segment_shape + rest
    if not params:
        return RoutePath(path, path.lower(), (), None, static_segments)
    regex_compiled = re.compile(f"^{regex}/?$", re.IGNORECASE)
    return RoutePath(path, (shape or "/").lower(), tuple(params), regex_compiled, static_segments)


def route_variants(path: str) -> list[str]:
    """The paths without optional parameters that together match what ``path`` matches, fullest
    first: ``/pets/:id?`` gives ``['/pets/:id', '/pets']``; a path without one gives itself."""
    variants = [""]
    for segment in normalize_path(path).split("/")[1:]:
        optional = _PARAMETER.fullmatch(segment)
        if optional and optional.group(2):
            variants = [f"{variant}/:{optional.group(1)}" for variant in variants] + variants
        else:
            variants = [f"{variant}/{segment}" for variant in variants]
    return [variant or "/" for variant in variants]


def substitute_params(path: str, replace: Callable[[str], str]) -> str:
    """``path`` with each parameter written as ``replace(name)``: ``/pets/{id}`` for OpenAPI."""
    return _PARAMETER.sub(lambda match: replace(match.group(1)), path)


def route_shape(path: str) -> str:
    """The path with parameter names erased (see ``RoutePath.shape``)."""
    return parse_route(path).shape


def _check_literal(text: str, path: str) -> None:
    if ":" in text:
        raise RouteSyntaxError(
            f"':' must start a parameter name made of letters, digits and '_' (like ':id') (got {path!r})"
        )
    special = sorted(_EXPRESS_REGEX_CHARS.intersection(text))
    if not special:
        return
    if "*" in special:
        reason = "wildcards ('*') are not supported; name the part with a parameter (':name')"
    elif "(" in special or ")" in special:
        reason = "regular-expression groups ('(...)') are not supported; use a plain parameter (':id')"
    elif "+" in special:
        reason = "'+' is not supported (Express reads it as a regular expression, not a literal)"
    elif "?" in special:
        reason = "'?' may only mark a whole-segment parameter optional (like '/pets/:id?')"
    else:
        characters = " ".join(repr(character) for character in special)
        reason = f"{characters} cannot appear in a path (Express reads them as a regular expression)"
    raise RouteSyntaxError(f"{reason} (got {path!r})")
