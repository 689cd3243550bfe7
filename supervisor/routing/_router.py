"""Matches (method, path) to an api step route. Knows nothing of HTTP servers.

Static paths are looked up in a dict; paths with ``:param`` segments are tried
in registration order, static segments before parameters so that
``/pets/search`` wins over ``/pets/:id``. Case does not matter, as in Express's
router (its default): ``/Pets`` is ``/pets``; parameter values keep theirs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar
from urllib.parse import unquote

from supervisor.routing._syntax import normalize_path, parse_route

T = TypeVar("T")


@dataclass(frozen=True)
class Match(Generic[T]):
    target: T
    path_params: dict[str, str]


@dataclass(frozen=True)
class MethodNotAllowed:
    allowed: tuple[str, ...]


@dataclass
class _Pattern(Generic[T]):
    path: str
    regex: re.Pattern[str]
    static_segments: int
    #: method -> (target, parameter names as that step spelled them)
    by_method: dict[str, tuple[T, tuple[str, ...]]] = field(default_factory=dict)


class Router(Generic[T]):
    def __init__(self) -> None:
        self._static: dict[str, dict[str, T]] = {}
        self._patterns: list[_Pattern[T]] = []
        self._by_shape: dict[str, _Pattern[T]] = {}

    def add(self, method: str, path: str, target: T) -> None:
        """Raises ``RouteSyntaxError`` for a path outside the supported syntax (configs are checked
        with the same parser at load, so a loaded step never does)."""
        method = method.upper()
        route = parse_route(path)
        if route.regex is None:
            self._static.setdefault(route.shape, {})[method] = target
            return
        pattern = self._by_shape.get(route.shape)
        if pattern is None:
            pattern = _Pattern(route.path, route.regex, route.static_segments)
            self._by_shape[route.shape] = pattern
            self._patterns.append(pattern)
            self._patterns.sort(key=lambda p: (-p.path.count("/"), -p.static_segments))
        pattern.by_method[method] = (target, route.params)

    def match(self, method: str, path: str) -> Match[T] | MethodNotAllowed | None:
        path = normalize_path(path)
        allowed: set[str] = set()
        methods = self._static.get(path.lower())
        if methods is not None:
            target = methods.get(method) or (methods.get("GET") if method == "HEAD" else None)
            if target is not None:
                return Match(target, {})
            allowed.update(_allow(methods))
        for pattern in self._patterns:
            found = pattern.regex.match(path)
            if found is None:
                continue
            entry = pattern.by_method.get(method) or (
                pattern.by_method.get("GET") if method == "HEAD" else None
            )
            if entry is not None:
                target, names = entry
                params = {
                    name: unquote(value)
                    for name, value in zip(names, found.groups(), strict=True)
                    if value is not None  # an optional parameter that is absent
                }
                return Match(target, params)
            allowed.update(_allow(pattern.by_method))
        return MethodNotAllowed(tuple(sorted(allowed))) if allowed else None


def _allow(methods: Mapping[str, object]) -> tuple[str, ...]:
    names = set(methods)
    if "GET" in names:
        names.add("HEAD")
    return tuple(sorted(names))
