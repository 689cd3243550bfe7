"""Matches (method, path) to an api step route. Knows nothing of HTTP servers.

Static paths are looked up in a dict; paths with ``:param`` segments are tried
in registration order, static segments before parameters so that
``/pets/search`` wins over ``/pets/:id``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar
from urllib.parse import unquote

T = TypeVar("T")

_PARAM = re.compile(r":([A-Za-z_][A-Za-z0-9_]*)")


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


def normalize_path(path: str) -> str:
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    return path


def path_shape(path: str) -> str:
    """``/pets/:id`` and ``/pets/:petId`` have the same shape ``/pets/:``."""
    return _PARAM.sub(":", normalize_path(path))


class Router(Generic[T]):
    def __init__(self) -> None:
        self._static: dict[str, dict[str, T]] = {}
        self._patterns: list[_Pattern[T]] = []
        self._by_shape: dict[str, _Pattern[T]] = {}

    def add(self, method: str, path: str, target: T) -> None:
        method = method.upper()
        path = normalize_path(path)
        if not _PARAM.search(path):
            self._static.setdefault(path, {})[method] = target
            return
        shape = path_shape(path)
        pattern = self._by_shape.get(shape)
        if pattern is None:
            regex = re.compile(
                "^" + _PARAM.sub(lambda _m: "([^/]+)", re.escape(path).replace(r"\:", ":")) + "$"
            )
            static_segments = sum(1 for s in path.split("/") if s and not s.startswith(":"))
            pattern = _Pattern(path, regex, static_segments)
            self._by_shape[shape] = pattern
            self._patterns.append(pattern)
            self._patterns.sort(key=lambda p: (-p.path.count("/"), -p.static_segments))
        pattern.by_method[method] = (target, tuple(_PARAM.findall(path)))

    def match(self, method: str, path: str) -> Match[T] | MethodNotAllowed | None:
        path = normalize_path(path)
        allowed: set[str] = set()
        methods = self._static.get(path)
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
                params = {name: unquote(value) for name, value in zip(names, found.groups(), strict=True)}
                return Match(target, params)
            allowed.update(_allow(pattern.by_method))
        return MethodNotAllowed(tuple(sorted(allowed))) if allowed else None


def _allow(methods: Mapping[str, object]) -> tuple[str, ...]:
    names = set(methods)
    if "GET" in names:
        names.add("HEAD")
    return tuple(sorted(names))
