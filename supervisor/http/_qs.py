"""Query strings and urlencoded bodies parsed as Motia's Express server parses them.

Motia 0.17 runs Express 4.21, whose ``req.query`` is ``qs.parse(query, {allowPrototypes: true})``,
and body-parser 1.20.3's ``urlencoded({extended: true})``, the same qs 6.13 with ``depth: 32,
strictDepth: true, parameterLimit: 1000`` and an array limit of ``max(100, number of '&')``. So
``a[b]=1&a[c][]=2&a[c][]=3`` is ``{"a": {"b": "1", "c": ["2", "3"]}}`` and a repeated name is a
list. This is written from qs's documented behaviour and checked against qs 6.13 itself
(tests/test_query_strings.py runs both on the same inputs), quirks included: a value merged into an
object becomes a key set to ``true`` (``a[b]=1&a=2`` is ``{"a": {"b": "1", "2": true}}``), an index
above the array limit is an object key, ``__proto__`` keys are dropped.

JavaScript arrays can have holes while they are built (``a[3]=x``); ``_Array`` keeps them, and
``_compact`` turns every array into a list without holes at the end, as qs does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_to_bytes

QUERY_DEPTH = 5
QUERY_ARRAY_LIMIT = 20
BODY_DEPTH = 32
PARAMETER_LIMIT = 1000

_BRACKETS = re.compile(r"\[[^[\]]*\]")
_BAD_ESCAPE = re.compile(r"%(?![0-9a-fA-F]{2})")
_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")
_OPEN = re.compile(r"%5B", re.IGNORECASE)
_CLOSE = re.compile(r"%5D", re.IGNORECASE)


class TooManyParameters(ValueError):
    """A urlencoded body with more than 1,000 parameters (body-parser answers 413)."""


class TooDeep(ValueError):
    """A urlencoded body nested deeper than 32 brackets (body-parser answers 400)."""


@dataclass
class _Array:
    """A JavaScript array while qs builds it: indices may have holes."""

    items: dict[int, Any] = field(default_factory=dict)
    length: int = 0

    def set(self, index: int, value: Any) -> None:
        self.items[index] = value
        self.length = max(self.length, index + 1)

    def push(self, value: Any) -> None:
        self.set(self.length, value)

    def values(self) -> list[Any]:
        return [self.items[index] for index in sorted(self.items)]


def parse_query(query: str) -> dict[str, Any]:
    """``req.query`` of Express 4 (``?a[b]=1`` -> ``{"a": {"b": "1"}}``)."""
    return _parse(query, depth=QUERY_DEPTH, array_limit=QUERY_ARRAY_LIMIT, strict_depth=False)


def parse_urlencoded(body: str) -> dict[str, Any]:
    """``req.body`` of body-parser's extended urlencoded parser; raises ``TooManyParameters`` and
    ``TooDeep`` where body-parser refuses the body."""
    ampersands = body.count("&")
    if ampersands >= PARAMETER_LIMIT:
        raise TooManyParameters(f"too many parameters (more than {PARAMETER_LIMIT})")
    return _parse(body, depth=BODY_DEPTH, array_limit=max(100, ampersands), strict_depth=True)


def _parse(text: str, *, depth: int, array_limit: int, strict_depth: bool) -> dict[str, Any]:
    if not text:
        return {}
    flat = _flat_values(text)
    result: Any = {}
    for key in _js_key_order(flat):
        if "[" in key:
            nested = _nest(key, flat[key], depth, array_limit, strict_depth)
        elif key and key != "__proto__":
            nested = {key: flat[key]}  # the common case, without the bracket machinery
        else:
            continue
        result = _merge(result, nested)
    compacted: dict[str, Any] = _compact(result)
    return compacted


def _flat_values(text: str) -> dict[str, Any]:
    """Each ``key=value`` decoded; a repeated key collects its values in an array."""
    if "%" in text:
        text = _CLOSE.sub("]", _OPEN.sub("[", text))
    values: dict[str, Any] = {}
    for part in text.split("&", PARAMETER_LIMIT)[:PARAMETER_LIMIT]:
        bracket_equals = part.find("]=")
        position = part.find("=") if bracket_equals == -1 else bracket_equals + 1
        if position == -1:
            key, value = _decode(part), ""
        else:
            key, value = _decode(part[:position]), _decode(part[position + 1 :])
        existing = values.get(key)
        if existing is None:
            values[key] = value
        elif isinstance(existing, _Array):
            existing.push(value)
        else:
            values[key] = _Array({0: existing, 1: value}, 2)
    return values


def _decode(text: str) -> str:
    """decodeURIComponent after ``+`` -> space; left as it is where that would throw."""
    text = text.replace("+", " ")
    if "%" not in text:
        return text
    if _BAD_ESCAPE.search(text):
        return text
    try:
        return unquote_to_bytes(text).decode("utf-8")
    except UnicodeDecodeError:
        return text


def _js_key_order(values: dict[str, Any]) -> list[str]:
    """Object.keys order: array-index keys first, ascending, then the others as inserted."""
    indices = [key for key in values if _is_array_index(key)]
    if not indices:
        return list(values)
    others = [key for key in values if not _is_array_index(key)]
    return sorted(indices, key=int) + others


def _is_array_index(key: str) -> bool:
    return _ARRAY_INDEX.fullmatch(key) is not None and int(key) < 2**32 - 1


def _nest(key: str, value: Any, depth: int, array_limit: int, strict_depth: bool) -> Any:
    """``a[b][]`` and its value -> ``{"a": {"b": [value]}}`` (qs's parseKeys and parseObject)."""
    first = _BRACKETS.search(key)
    parent = key[: first.start()] if first else key
    chain = [parent] if parent else []
    for count, segment in enumerate(_BRACKETS.finditer(key)):
        if count == depth:
            if strict_depth:
                raise TooDeep(f"nested deeper than {depth} levels")
            chain.append(f"[{key[segment.start() :]}]")
            break
        chain.append(segment.group())
    leaf = value
    for root in reversed(chain):
        node: Any
        if root == "[]":  # [].concat(leaf): an array is copied, holes and all
            node = _Array(dict(leaf.items), leaf.length) if isinstance(leaf, _Array) else _Array({0: leaf}, 1)
        else:
            bracketed = root.startswith("[") and root.endswith("]")
            clean = root[1:-1] if bracketed else root
            if bracketed and _ARRAY_INDEX.fullmatch(clean) and int(clean) <= array_limit:
                node = _Array()
                node.set(int(clean), leaf)
            elif clean == "__proto__":
                node = {}
            else:
                node = {clean: leaf}
        leaf = node
    return leaf


def _merge(target: Any, source: Any) -> Any:
    """qs's utils.merge: how a second value for the same place combines with the first."""
    if source is None or source == "":
        return target
    if not isinstance(source, dict | _Array):  # a plain value
        if isinstance(target, _Array):
            target.push(source)
            return target
        if isinstance(target, dict):
            target[source] = True
            return target
        return _Array({0: target, 1: source}, 2)
    if not isinstance(target, dict | _Array):  # [target].concat(source)
        if isinstance(source, _Array):
            spread = {index + 1: item for index, item in source.items.items()}
            return _Array({0: target, **spread}, source.length + 1)
        return _Array({0: target, 1: source}, 2)
    if isinstance(target, _Array) and isinstance(source, _Array):
        for index in sorted(source.items):
            item = source.items[index]
            if index not in target.items:
                target.set(index, item)
            elif isinstance(target.items[index], dict | _Array) and isinstance(item, dict | _Array):
                target.items[index] = _merge(target.items[index], item)
            else:
                target.push(item)
        return target
    merged: dict[str, Any] = (
        {str(index): target.items[index] for index in sorted(target.items)}
        if isinstance(target, _Array)
        else target
    )
    pairs = (
        [(str(index), source.items[index]) for index in sorted(source.items)]
        if isinstance(source, _Array)
        else list(source.items())
    )
    for key, value in pairs:
        merged[key] = _merge(merged[key], value) if key in merged else value
    return merged


def _compact(value: Any) -> Any:
    if isinstance(value, _Array):
        return [_compact(item) for item in value.values()]
    if isinstance(value, dict):
        return {key: _compact(item) for key, item in value.items()}
    return value
