"""The keys of a Node Motia ``motia.config.ts``/``.js``, read without running it.

Of that file we honour ``streamAuth`` (its ``authenticate`` runs in the node runner, see ``_hooks``).
Every other key gets one warning at start naming what to do instead. The file cannot simply be run to
find its keys: it usually imports Node Motia plugins and adapters the project may not have installed.
So its text is scanned: the object literal passed to ``config(...)``/``defineConfig(...)`` (or exported
as default) is walked, skipping strings and comments, and its top-level keys are collected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from supervisor.discovery._hooks import MOTIA_CONFIG_NAMES

HONOURED_KEYS = frozenset({"streamAuth"})
ADVICE = {
    "plugins": "Workbench plugins (and the steps they add) are Node Motia's",
    "adapters": (
        'choose storage in motia.config.json instead ("state", "streams" and "events": '
        '{"adapter": "sqlite", "memory" or "redis"})'
    ),
    # Redis is supported, configured elsewhere: the embedded store is only the default without it
    "redis": (
        'give Redis in motia.config.json instead ("redis": {"url": ...}) or MOTIA_REDIS_URL; without it '
        "state, streams and the event queue live in .motia/ (SQLite), no Redis server needed"
    ),
    "app": (
        "there is no Express app to customize; write those routes as API steps, and shared request "
        "handling as middleware"
    ),
}
_CONFIG_CALL = re.compile(r"\b(?:defineConfig|config)\s*\(\s*\{")
_DEFAULT_OBJECT = re.compile(r"(?:export\s+default|module\.exports\s*=)\s*\{")
_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")


@dataclass(frozen=True)
class MotiaConfigKeys:
    file: Path
    keys: tuple[str, ...]


def motia_config_keys(project_root: Path) -> MotiaConfigKeys | None:
    """The top-level keys of the project's ``motia.config.*``, or None when it has none."""
    for name in MOTIA_CONFIG_NAMES:
        path = project_root / name
        if path.is_file():
            return MotiaConfigKeys(path, top_level_keys(path.read_text(encoding="utf-8", errors="replace")))
    return None


def advice_for(key: str) -> str:
    return ADVICE.get(key, "not supported")


def top_level_keys(source: str) -> tuple[str, ...]:
    code = _blank_strings_and_comments(source)
    match = _CONFIG_CALL.search(code) or _DEFAULT_OBJECT.search(code)
    if match is None:
        return ()
    return _keys_of_object(source, code, match.end())


def _blank_strings_and_comments(source: str) -> str:
    """The source with comments and string contents replaced by spaces (quotes kept), same length."""
    out = list(source)
    i, n = 0, len(source)
    while i < n:
        char = source[i]
        if source.startswith("//", i):
            end = source.find("\n", i)
            end = n if end < 0 else end
            out[i:end] = " " * (end - i)
            i = end
        elif source.startswith("/*", i):
            end = source.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out[i:end] = " " * (end - i)
            i = end
        elif char in "'\"`":
            j = i + 1
            while j < n and source[j] != char:
                j += 2 if source[j] == "\\" else 1
            out[i + 1 : min(j, n)] = " " * (min(j, n) - i - 1)
            i = j + 1
        else:
            i += 1
    return "".join(out)


def _keys_of_object(source: str, code: str, start: int) -> tuple[str, ...]:
    """Keys at depth 1 of the object literal whose ``{`` ends just before ``start``.

    ``code`` is ``source`` with strings and comments blanked; quoted keys are read from ``source``.
    """
    keys: list[str] = []
    depth = 1
    expecting_key = True
    i, n = start, len(code)
    while i < n and depth > 0:
        char = code[i]
        if char in "{[(":
            depth += 1
        elif char in "}])":
            depth -= 1
        elif depth == 1 and char == ",":
            expecting_key = True
        elif depth == 1 and expecting_key and not char.isspace():
            key_match = _IDENTIFIER.match(code, i)
            if char in "'\"":
                end = code.find(char, i + 1)
                key = source[i + 1 : end] if end > i else ""
                i = max(end, i)
            elif key_match:
                key = key_match.group()
                i = key_match.end() - 1
            else:
                key = ""
            if key and not code.startswith("...", i):
                keys.append(key)
            expecting_key = False
        i += 1
    return tuple(dict.fromkeys(keys))
