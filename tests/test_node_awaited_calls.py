"""What an awaited context call costs a TypeScript step against a JavaScript one: the same.

The node runner captures a caller's stack only when a call's promise is ``.then``-chained (runners/node/src/
calls.ts), never for an ``await``. A TypeScript step compiled with ``async``/``await`` lowered to generators
(``__awaiter``, what ``tsc`` emits for a target below ES2017) would resolve a promise with every call's
promise, which calls its ``then``: a stack capture per await. tsx compiles for the running node whatever the
project's tsconfig ``target`` says, so TypeScript steps keep native ``async``/``await``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial

import pytest

from supervisor.protocol._generated import runner_pb2 as pb
from tests.conftest import StartRunner
from tests.support.runner_harness import TYPESCRIPT, RunnerHarness

Start = Callable[..., RunnerHarness]

#: counts Error.captureStackTrace while two calls are awaited, then while one is .then-chained (the control:
#: the count sees the capture a chained call makes); and whether the handler is still an async function
BODY = """
  const capture = Error.captureStackTrace
  let captures = 0
  Error.captureStackTrace = function (...args) {
    captures++
    return capture.apply(this, args)
  }
  try {
    await state.get('pets', 'a')
    await state.set('pets', 'a', 1)
    const awaited = captures
    await state.get('pets', 'b').then((value) => value)
    return [awaited, captures - awaited, String(handler).startsWith('async')]
  } finally {
    Error.captureStackTrace = capture
  }
}
"""

SOURCES = {
    "steps/awaits.step.ts": """
        import type { EventConfig } from 'motia'

        export const config: EventConfig = { type: 'event', name: 'Awaits', subscribes: ['in'], emits: [] }

        export const handler = async (input: unknown, { state }: { state: any }): Promise<unknown[]> => {
        """
    + BODY,
    "steps/awaits.step.js": """
        const config = { type: 'event', name: 'Awaits', subscribes: ['in'], emits: [] }
        module.exports = { config, handler }

        async function handler(input, { state }) {
        """
    + BODY,
}


@pytest.fixture
def start(start_runner: StartRunner) -> Start:
    return partial(start_runner, TYPESCRIPT)


@pytest.mark.parametrize("file", sorted(SOURCES))
def test_an_awaited_context_call_captures_no_stack_even_when_tsconfig_targets_es2015(
    start: Start, file: str
) -> None:
    h = start({"tsconfig.json": json.dumps({"compilerOptions": {"target": "ES2015"}}), file: SOURCES[file]})
    loaded = h.load([file])
    assert not loaded.errors, [(e.file, e.message) for e in loaded.errors]
    h.invoke(1, file, "Awaits", pb.TRIGGER_KIND_API, {})  # an api step's result comes back
    for _ in range(3):
        h.reply(h.recv_kind("call").call.call_id, None)
    result = h.recv_kind("result", where=lambda m: m.result.invocation_id == 1).result
    assert result.ok, result.error.message
    awaited, chained, still_async = json.loads(result.result_json)
    assert (awaited, chained, still_async) == (0, 1, True)
