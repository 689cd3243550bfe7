"""A failing handler's stack, as its trace, its 500 body and the log show it, and the stack of an error
a handler logs: the user's frames only (none of the runner's), in TypeScript, JavaScript and Python
alike, innermost first naming the user's file and line."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import LANGUAGES
from tests.support.project import write_project
from tests.support.server import MotiaServer, eventually
from tests.test_traces import motia

pytestmark = pytest.mark.e2e

FILES = {
    "steps/ts/fail.step.ts": """
        import { explode } from './explode'
        export const config = { type: 'api', name: 'FailTs', path: '/fail/ts', method: 'GET', emits: [] }
        export const handler = async () => {
          return explode('ts')
        }
    """,
    "steps/ts/explode.ts": """
        export function explode(lang: string): never {
          const reason: string = `${lang} exploded`
          throw new Error(reason)
        }
    """,
    "steps/js/fail.step.js": """
        const { explode } = require('./explode.js')
        exports.config = { type: 'api', name: 'FailJs', path: '/fail/js', method: 'GET', emits: [] }
        exports.handler = async () => {
          return explode('js')
        }
    """,
    "steps/js/explode.js": """
        exports.explode = function explode(lang) {
          const reason = `${lang} exploded`
          throw new Error(reason)
        }
    """,
    "steps/py/fail_step.py": """
        from .explode import explode
        config = {"type": "api", "name": "FailPy", "path": "/fail/py", "method": "GET", "emits": []}
        async def handler(req, context):
            return explode("py")
    """,
    "steps/ts/caught.step.ts": """
        import { explode } from './explode'
        export const config = { type: 'api', name: 'CaughtTs', path: '/caught/ts', method: 'GET', emits: [] }
        export const handler = async (_req: unknown, { logger }: any) => {
          try { explode('ts') } catch (error) { logger.error('caught', error) }
          return { status: 200, body: {} }
        }
    """,
    "steps/js/caught.step.js": """
        const { explode } = require('./explode.js')
        exports.config = { type: 'api', name: 'CaughtJs', path: '/caught/js', method: 'GET', emits: [] }
        exports.handler = async (_req, { logger }) => {
          try { explode('js') } catch (error) { logger.error('caught', error) }
          return { status: 200, body: {} }
        }
    """,
    "steps/py/caught_step.py": """
        from .explode import explode
        config = {"type": "api", "name": "CaughtPy", "path": "/caught/py", "method": "GET", "emits": []}
        async def handler(req, context):
            try: explode("py")
            except RuntimeError as error: context.logger.error("caught", error)
            return {"status": 200, "body": {}}
    """,
    "steps/ts/caused.step.ts": """
        export const config = { type: 'api', name: 'CausedTs', path: '/caused/ts', method: 'GET', emits: [] }
        export const handler = async () => {
          try {
            throw new Error('getaddrinfo ENOTFOUND api.example.test')
          } catch (reason) {
            throw new TypeError('fetch failed', { cause: reason })
          }
        }
    """,
    "steps/js/caused.step.js": """
        exports.config = { type: 'api', name: 'CausedJs', path: '/caused/js', method: 'GET', emits: [] }
        exports.handler = async () => {
          try {
            throw new Error('getaddrinfo ENOTFOUND api.example.test')
          } catch (reason) {
            throw new TypeError('fetch failed', { cause: reason })
          }
        }
    """,
    "steps/py/caused_step.py": """
        config = {"type": "api", "name": "CausedPy", "path": "/caused/py", "method": "GET", "emits": []}
        async def handler(req, context):
            try:
                raise OSError("getaddrinfo ENOTFOUND api.example.test")
            except OSError as reason:
                raise TypeError("fetch failed") from reason
    """,
    "steps/ts/retold.step.ts": """
        export const config = { type: 'api', name: 'RetoldTs', path: '/retold/ts', method: 'GET', emits: [] }
        export const handler = async (req: any) => {
          const reason = new Error('getaddrinfo ENOTFOUND api.example.test')
          // as axios makes its errors: its cause's message (or its own), and its cause told in its own stack
          const error = new Error(req.queryParams.message ?? reason.message, { cause: reason })
          error.stack += `\nCaused by: ${reason.stack}`
          throw error
        }
    """,
    "steps/js/retold.step.js": """
        exports.config = { type: 'api', name: 'RetoldJs', path: '/retold/js', method: 'GET', emits: [] }
        exports.handler = async (req) => {
          const reason = new Error('getaddrinfo ENOTFOUND api.example.test')
          // as axios makes its errors: its cause's message (or its own), and its cause told in its own stack
          const error = new Error(req.queryParams.message ?? reason.message, { cause: reason })
          error.stack += `\nCaused by: ${reason.stack}`
          throw error
        }
    """,
    "steps/ts/refused.step.ts": """
        export const config = { type: 'api', name: 'RefusedTs', path: '/refused/ts', method: 'GET', emits: [] }
        export const handler = async (req: any) => {
          await fetch(`http://127.0.0.1:${req.queryParams.port}/`)
          return { status: 200, body: {} }
        }
    """,
    "steps/js/refused.step.js": """
        exports.config = { type: 'api', name: 'RefusedJs', path: '/refused/js', method: 'GET', emits: [] }
        exports.handler = async (req) => {
          await fetch(`http://127.0.0.1:${req.queryParams.port}/`)
          return { status: 200, body: {} }
        }
    """,
    "steps/ts/printed.step.ts": """
        import { explode } from './explode'
        export const config = { type: 'api', name: 'PrintedTs', path: '/printed/ts', method: 'GET', emits: [] }
        export const handler = async () => {
          try { explode('ts') } catch (error) { console.error(error) }
          console.warn(new Error('where').stack)
          return { status: 200, body: {} }
        }
    """,
    "steps/js/printed.step.js": """
        const { explode } = require('./explode.js')
        exports.config = { type: 'api', name: 'PrintedJs', path: '/printed/js', method: 'GET', emits: [] }
        exports.handler = async (_req, { logger }) => {
          try { explode('js') } catch (error) { console.log('printed:', { error }) }
          logger.warn(new Error('where').stack)
          return { status: 200, body: {} }
        }
    """,
    "steps/py/printed_step.py": """
        import logging, traceback
        config = {"type": "api", "name": "PrintedPy", "path": "/printed/py", "method": "GET", "emits": []}
        async def handler(req, context):
            try: await context.emit(42)
            except TypeError: logging.exception("printed"); print(traceback.format_exc())
            logging.warning("where", stack_info=True)
            return {"status": 200, "body": {}}
    """,
    "steps/py/stderr_step.py": """
        import sys, traceback
        config = {"type": "api", "name": "StderrPy", "path": "/stderr/py", "method": "GET", "emits": []}
        async def handler(req, context):
            try: await context.emit(42)
            except TypeError: traceback.print_exc()
            print("said on stderr", file=sys.stderr)
            return {"status": 200, "body": {}}
    """,
    "steps/ts/misemit.step.ts": """
        export const config = { type: 'api', name: 'MisemitTs', path: '/misemit/ts', method: 'GET', emits: [] }
        export const handler = async (_req: unknown, { emit }: any) => {
          await emit(42)
          return { status: 200, body: {} }
        }
    """,
    "steps/js/misemit.step.js": """
        exports.config = { type: 'api', name: 'MisemitJs', path: '/misemit/js', method: 'GET', emits: [] }
        exports.handler = async (_req, { emit }) => {
          await emit(42)
          return { status: 200, body: {} }
        }
    """,
    "steps/py/misemit_step.py": """
        config = {"type": "api", "name": "MisemitPy", "path": "/misemit/py", "method": "GET", "emits": []}
        async def handler(req, context):
            await context.emit(42)
            return {"status": 200, "body": {}}
    """,
    "steps/py/explode.py": """
        def explode(lang):
            reason = f"{lang} exploded"
            raise RuntimeError(reason)
    """,
}

HELPERS = {"ts": "steps/ts/explode.ts", "js": "steps/js/explode.js", "py": "steps/py/explode.py"}
STEPS = {"ts": "steps/ts/fail.step.ts", "js": "steps/js/fail.step.js", "py": "steps/py/fail_step.py"}
CAUGHT = {"ts": "steps/ts/caught.step.ts", "js": "steps/js/caught.step.js", "py": "steps/py/caught_step.py"}
PRINTED = {
    "ts": "steps/ts/printed.step.ts",
    "js": "steps/js/printed.step.js",
    "py": "steps/py/printed_step.py",
}
CAUSED = {"ts": "steps/ts/caused.step.ts", "js": "steps/js/caused.step.js", "py": "steps/py/caused_step.py"}

_V8_FRAME = re.compile(r"^\s+at (?:.*?\()?(?:file://)?(/[^():]+):(\d+)(?::\d+)?\)?$")
_PYTHON_FRAME = re.compile(r'^\s+File "([^"]+)", line (\d+)')


def frames(stack: str) -> list[tuple[str, int]]:
    """(file, line) of every frame, innermost first."""
    v8 = [(m.group(1), int(m.group(2))) for line in stack.splitlines() if (m := _V8_FRAME.match(line))]
    if v8:
        return v8
    python = [
        (m.group(1), int(m.group(2))) for line in stack.splitlines() if (m := _PYTHON_FRAME.match(line))
    ]
    return python[::-1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotiaServer]:
    project = write_project(tmp_path_factory.mktemp("stacks").resolve(), FILES)
    with MotiaServer(project, mode="dev") as running:
        yield running


def assert_users_stack(server: MotiaServer, lang: str, stack: str, step_file: str) -> None:
    root = str(server.project) + "/"
    found = frames(stack)
    assert found, stack
    assert all(file.startswith(root) and "node_modules" not in file for file, _ in found), stack
    assert found[0] == (root + HELPERS[lang], 3), stack  # the throw, in the helper module
    assert (root + step_file, 4) in found, stack  # the handler's call of the helper


@pytest.mark.parametrize("lang", ["ts", "js", "py"])
def test_a_failed_handlers_stack_holds_only_the_users_frames(server: MotiaServer, lang: str) -> None:
    response = server.client.get(f"/fail/{lang}")
    assert response.status_code == 500
    body = response.json()
    assert_users_stack(server, lang, body["stack"], STEPS[lang])

    def trace() -> dict[str, Any] | None:
        found = server.client.get(f"/__motia/traces/{response.headers['x-trace-id']}")
        span: dict[str, Any] = found.json()["spans"][0] if found.status_code == 200 else {}
        return span if span.get("status") == "error" else None

    span = eventually(trace)
    assert span["error"]["message"] == f"{lang} exploded"
    assert_users_stack(server, lang, span["error"]["stack"], STEPS[lang])
    assert span["error"]["location"]["file"] == HELPERS[lang]
    assert span["error"]["location"]["line"] == 3
    assert span["error"]["stack"] == body["stack"]

    [logged] = eventually(lambda: logs(server, response.headers["x-trace-id"], "api handler failed"))
    assert logged["meta"]["stack"] == body["stack"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_an_error_the_runners_code_raises_in_a_handler_has_only_the_users_frames(
    server: MotiaServer, lang: str
) -> None:
    """``emit(42)`` fails in the runner's own code: its frames were innermost in Python's stack (only
    the outermost were dropped), not in Node's."""
    response = server.client.get(f"/misemit/{lang}")
    assert response.status_code == 500
    stack = response.json()["stack"]
    step = {
        "ts": "steps/ts/misemit.step.ts",
        "js": "steps/js/misemit.step.js",
        "py": "steps/py/misemit_step.py",
    }
    assert frames(stack) == [(f"{server.project}/{step[lang]}", 3)], stack


def logs(server: MotiaServer, trace_id: str, starting: str) -> list[dict[str, Any]]:
    found = server.client.get("/__motia/logs", params={"traceId": trace_id}).json()["logs"]
    lines = [line for line in found if line["message"].startswith(starting)]
    assert lines, found
    return lines


@pytest.mark.parametrize("lang", ["ts", "js", "py"])
def test_an_error_a_handler_logs_has_only_the_users_frames(server: MotiaServer, lang: str) -> None:
    response = server.client.get(f"/caught/{lang}")
    assert response.status_code == 200
    [logged] = eventually(lambda: logs(server, response.headers["x-trace-id"], "caught"))
    assert_users_stack(server, lang, logged["meta"]["stack"], CAUGHT[lang])


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_stack_a_step_prints_itself_has_only_the_users_frames(server: MotiaServer, lang: str) -> None:
    """``console.error(err)`` (an error's whole stack, as node prints it), ``console.log(text, { err })``
    (one nested, indented deeper), and Python's ``logging.exception`` and printed
    ``traceback.format_exc()`` of an error the runner's code raised (``context.emit(42)``): the runner's
    frames (runners/node/src/invoke.ts, motia_runner/context.py) went along; the user's stay,
    TypeScript's at its own lines."""
    response = server.client.get(f"/printed/{lang}")
    assert response.status_code == 200
    starting = {"ts": "Error: ts exploded", "js": "printed: {", "py": "printed"}[lang]
    [logged] = eventually(lambda: logs(server, response.headers["x-trace-id"], starting))
    stack = logged["meta"]["stack"] if lang == "py" else logged["message"]
    root = str(server.project) + "/"
    found = frames(stack)
    assert found and all(file.startswith(root) for file, _ in found), stack
    assert (root + PRINTED[lang], 4) in found, stack  # the step's call
    if lang != "py":
        assert found[0] == (root + HELPERS[lang], 3), stack  # the throw, in the helper module
    else:  # the traceback printed as text holds the same frames
        [printed] = eventually(lambda: logs(server, response.headers["x-trace-id"], "Traceback (most recent"))
        assert frames(printed["message"]) == found, printed["message"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_stack_a_step_takes_where_it_is_has_only_the_users_frames(server: MotiaServer, lang: str) -> None:
    """A stack taken where the step is, ``new Error('where').stack`` (text, no error) given to
    ``console.warn`` or ``logger.warn``, and ``logging.warning('where', stack_info=True)``: the runner's frames were under the step's (its
    invocation; the event loop and ``python -m``'s entry), and Python's stack was not logged at all."""
    response = server.client.get(f"/printed/{lang}")
    assert response.status_code == 200
    [logged] = eventually(
        lambda: logs(server, response.headers["x-trace-id"], "Error: where" if lang != "py" else "where")
    )
    stack = logged["meta"]["stack"] if lang == "py" else logged["message"]
    root = str(server.project) + "/"
    assert frames(stack) == [(root + PRINTED[lang], {"ts": 5, "js": 5, "py": 6}[lang])], stack


def test_a_traceback_a_python_step_prints_is_one_error_line_of_its_step_without_the_runners_frames(
    server: MotiaServer,
) -> None:
    """``traceback.print_exc()`` writes to ``sys.stderr``, a line at a time: the supervisor logged what
    reached the runner's stderr as errors of the runner (``python-0``), a line per burst, no step nor
    trace, and the runner's frames (motia_runner/context.py) in it. Python's alone: a Node step prints
    an error with ``console.error``, which the runner takes (above)."""
    response = server.client.get("/stderr/py")
    assert response.status_code == 200
    trace_id = response.headers["x-trace-id"]
    [printed] = eventually(lambda: logs(server, trace_id, "Traceback (most recent call last)"))
    assert printed["level"] == "error" and printed["step"] == "StderrPy", printed
    assert printed["message"].endswith("TypeError: emit() takes a dict {'topic', 'data'}, not int"), printed
    assert frames(printed["message"]) == [(f"{server.project}/steps/py/stderr_step.py", 4)], printed
    [said] = eventually(lambda: logs(server, trace_id, "said on stderr"))
    assert said["level"] == "error" and said["step"] == "StderrPy" and said["message"] == "said on stderr"


@pytest.mark.parametrize("lang", ["ts", "js", "py"])
def test_a_failed_handlers_stack_tells_the_errors_cause(server: MotiaServer, lang: str) -> None:
    """Node's fetch fails with "fetch failed", the reason (the host it could not resolve) only in the
    error's ``cause``: the stack the trace and the 500 body show carries the cause and where it was
    made, as a Python stack carries ``raise ... from``; the error's message and place stay its own."""
    response = server.client.get(f"/caused/{lang}")
    assert response.status_code == 500
    stack = response.json()["stack"]
    assert "getaddrinfo ENOTFOUND api.example.test" in stack, stack
    root = str(server.project) + "/"
    assert (root + CAUSED[lang], 4) in frames(stack), stack  # where the cause was thrown

    def trace() -> dict[str, Any] | None:
        found = server.client.get(f"/__motia/traces/{response.headers['x-trace-id']}")
        span: dict[str, Any] = found.json()["spans"][0] if found.status_code == 200 else {}
        return span if span.get("status") == "error" else None

    span = eventually(trace)
    assert span["error"]["message"] == "fetch failed"
    assert span["error"]["stack"] == stack
    assert span["error"]["location"]["file"] == CAUSED[lang]
    assert span["error"]["location"]["line"] == 6  # the error's own place, not its cause's
    cause = {"ts": "Error", "js": "Error", "py": "OSError"}[lang]
    assert span["error"]["cause"] == f"{cause}: getaddrinfo ENOTFOUND api.example.test"

    # found by its cause, as by its message: what failed is what a user looks for
    listing = motia(server, "traces", "--grep", "enotfound API.example", "--limit", "500")
    assert listing.returncode == 0, listing.stderr
    assert response.headers["x-trace-id"] in listing.stdout, listing.stdout
    # and the trace told names it in its failure's line, as its dead letter would
    told = motia(server, "traces", response.headers["x-trace-id"])
    assert told.returncode == 0, told.stderr
    said = f"TypeError: fetch failed (caused by {cause}: getaddrinfo ENOTFOUND api.example.test) at {CAUSED[lang]}:6"
    assert said in told.stdout, told.stdout


@pytest.mark.parametrize("lang", ["ts", "js"])
@pytest.mark.parametrize("message", [None, "Request failed"], ids=["cause-message", "own-message"])
def test_a_cause_the_errors_own_stack_tells_is_told_once(
    server: MotiaServer, lang: str, message: str | None
) -> None:
    """axios's errors (1.13 on) write "Caused by: ..." in their own stack, and most copy their
    cause's message: the stack the trace and the 500 show tells that cause once, and the error's
    line names it after its message ("(caused by ...)") only when it says something else."""
    cause = "Error: getaddrinfo ENOTFOUND api.example.test"
    response = server.client.get(f"/retold/{lang}", params={"message": message} if message else {})
    assert response.status_code == 500
    stack: str = response.json()["stack"]
    assert stack.count(f"Caused by: {cause}") == 1, stack
    said = f"Error: {message} (caused by {cause})" if message else cause
    assert response.json()["message"] == said

    def trace() -> dict[str, Any] | None:
        found = server.client.get(f"/__motia/traces/{response.headers['x-trace-id']}")
        span: dict[str, Any] = found.json()["spans"][0] if found.status_code == 200 else {}
        return span if span.get("status") == "error" else None

    span = eventually(trace)
    assert span["error"]["stack"] == stack
    assert span["error"].get("cause") == (cause if message else None), span["error"]
    told = motia(server, "traces", response.headers["x-trace-id"])
    assert told.returncode == 0, told.stderr
    assert f"{said} at steps/{lang}/retold.step.{lang}:5" in told.stdout, told.stdout
    assert message or "(caused by" not in told.stdout, told.stdout  # neither its span's line nor its log's


@pytest.mark.parametrize("lang", ["ts", "js"])
def test_a_cause_made_in_nodes_internals_drops_their_frames_as_the_error_does(
    server: MotiaServer, lang: str
) -> None:
    """Node's fetch of a port no one listens on fails with "fetch failed", its cause ``connect
    ECONNREFUSED`` made in node's own code, no frame of the user's: its "Caused by" paragraph kept
    node's frames (``node:net``) that the error's own stack drops. The same rule for both (Python's
    causes: the runner trims the chain as one, ``user_traceback``)."""
    with socket.socket() as unused:  # a port no one listens on once closed
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    response = server.client.get(f"/refused/{lang}", params={"port": port})
    assert response.status_code == 500
    stack: str = response.json()["stack"]
    assert f"\n\nCaused by: Error: connect ECONNREFUSED 127.0.0.1:{port}" in stack, stack
    assert "node:" not in stack, stack
    root = str(server.project) + "/"
    assert (root + f"steps/{lang}/refused.step.{lang}", 3) in frames(stack), stack  # the user's fetch
