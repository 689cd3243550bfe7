"""How the node runner trims a stack for its user (runners/node/src/stack.ts ``userStack``): the runner's
own frames and node's internals go, the user's frames and the builtins their code called stay, and a stack
with no user frame at all (the runner's own failure) is kept whole so it still says where it broke.

What a failing step's stack looks like end to end (trace, 500 body, log) is test_error_stacks.py's."""

from __future__ import annotations

import json
import subprocess

from tests.support.runner_harness import REPO_ROOT

RUNNER = REPO_ROOT / "runners" / "node"

_USER_STACK = """
const path = require('node:path');
const root = path.resolve(process.argv[1]);
require('node:module').createRequire(path.join(root, 'bin', 'runner.mjs'))('tsx/cjs/api').register();
const { userStack } = require(path.join(root, 'src', 'stack.ts'));
const input = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
process.stdout.write(JSON.stringify(input.map(userStack)));
"""


def user_stack(stack: str) -> str:
    """``userStack(stack)``, run by node on the runner's own source."""
    done = subprocess.run(
        ["node", "-e", _USER_STACK, str(RUNNER)],
        input=json.dumps([stack]),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    [trimmed] = json.loads(done.stdout)
    assert isinstance(trimmed, str)
    return trimmed


def test_a_stack_loses_the_runners_frames_and_nodes_internals_and_keeps_the_users_and_builtins() -> None:
    mixed = [
        "Error: x",
        "    at explode (/project/steps/a.ts:3:9)",
        "    at Array.map (<anonymous>)",
        "    at handler (/project/steps/a.step.ts:4:10)",
        f"    at last ({RUNNER}/src/invoke.ts:93:19)",
        "    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)",
        "    at async handler (/project/steps/a.step.ts:5:3)",
    ]
    kept = [line for line in mixed if "invoke.ts" not in line and "node:internal" not in line]
    assert user_stack("\n".join(mixed)) == "\n".join(kept)


def test_a_stack_of_the_runners_frames_only_is_kept_as_it_is() -> None:
    ours = "\n".join(
        [
            "TypeError: handler is not a function",
            f"    at Object.run ({RUNNER}/src/invoke.ts:96:16)",
            "    at AsyncLocalStorage.run (node:async_hooks:346:14)",
            f"    at file://{RUNNER}/bin/runner.mjs:80:3",
        ]
    )
    assert user_stack(ours) == ours
