"""The names of log levels are listed once, for the supervisor (supervisor/logs/_levels.py); the runners
(separate packages, which cannot import it) and the Workbench keep copies: the runners to drop what is
below the threshold before sending it, the page to read a link's level. Each copy names the same levels,
in the same order, and the same other names for them, meaning the same."""

from __future__ import annotations

import json
import os
import subprocess

from supervisor.logs import LEVEL_ALIASES, LOG_LEVELS
from supervisor.logs._levels import canonical_level
from tests.support.runner_harness import REPO_ROOT, python_runner_argv

# the runner's package alone, as the supervisor starts it
_PYTHON_LEVELS = """
import json, sys
from motia_runner.logs import ALIASES, LEVELS, normalize_level
names = json.loads(sys.argv[1])
print(json.dumps({
    "levels": sorted(LEVELS, key=LEVELS.__getitem__),
    "aliases": ALIASES,
    "read": {name: normalize_level(name) for name in names},
}))
"""

_NODE_LEVELS = """
const path = require('node:path');
const root = path.resolve(process.argv[1]);
require('node:module').createRequire(path.join(root, 'bin', 'runner.mjs'))('tsx/cjs/api').register();
const { LEVEL_ORDER, ALIASES, levelOf } = require(path.join(root, 'src', 'logs.ts'));
const names = JSON.parse(process.argv[2]);
process.stdout.write(JSON.stringify({
  levels: Object.entries(LEVEL_ORDER).sort((a, b) => a[1] - b[1]).map(([name]) => name),
  aliases: Object.fromEntries(ALIASES),
  read: Object.fromEntries(names.map((name) => [name, levelOf(name)])),
}));
"""

# the page's two constants, evaluated as the browser does
_WORKBENCH_LEVELS = """
const source = require('node:fs').readFileSync(process.argv[1], 'utf8');
const constant = (name) => eval('(' + source.match(new RegExp(`^const ${name} = (.*)$`, 'm'))[1] + ')');
process.stdout.write(JSON.stringify({ levels: constant('LOG_LEVELS'), aliases: constant('LEVEL_ALIASES') }));
"""


def _node(script: str, *args: str) -> dict[str, object]:
    done = subprocess.run(
        ["node", "-e", script, *args], capture_output=True, text=True, timeout=60, check=True
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def _every_name() -> list[str]:
    return [*LOG_LEVELS, *LEVEL_ALIASES, "Warning", "FATAL", "verbose"]


def _supervisors_reading(name: str) -> str:
    """What the supervisor reads a name as (``LOG_LEVEL``'s reading): one of its levels, else info."""
    return canonical_level(name.lower()) or "info"


def test_the_python_runner_names_the_levels_the_supervisor_does() -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT / "runners" / "python"))
    argv = [python_runner_argv()[0], "-c", _PYTHON_LEVELS, json.dumps(_every_name())]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=True)
    runner = json.loads(done.stdout)
    assert runner["levels"] == list(LOG_LEVELS)
    assert runner["aliases"] == LEVEL_ALIASES
    assert runner["read"] == {name: _supervisors_reading(name) for name in _every_name()}


def test_the_node_runner_names_the_levels_the_supervisor_does() -> None:
    node = _node(_NODE_LEVELS, str(REPO_ROOT / "runners" / "node"), json.dumps(_every_name()))
    assert node["levels"] == list(LOG_LEVELS)
    assert node["aliases"] == LEVEL_ALIASES
    assert node["read"] == {name: _supervisors_reading(name) for name in _every_name()}


def test_the_workbench_names_the_levels_the_supervisor_does() -> None:
    page = _node(_WORKBENCH_LEVELS, str(REPO_ROOT / "supervisor" / "http" / "workbench" / "workbench.js"))
    assert page == {"levels": list(LOG_LEVELS), "aliases": LEVEL_ALIASES}
