"""Log lines from user code keep their level, their step and their trace, in every language; the
threshold is ``-d`` or the ``LOG_LEVEL`` variable (the environment's or the project's ``.env``), as in
Motia; runner stderr is an error."""

from __future__ import annotations

import json
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from supervisor.logs import LEVEL_ALIASES, LOG_LEVELS
from tests.conftest import LANGUAGES
from tests.support.project import step_path, write_project
from tests.support.server import REPO_ROOT, MotiaServer, eventually, motia_argv, run_motia

pytestmark = pytest.mark.e2e


def as_js(ts_step: str, ts_params: str, js_params: str) -> str:
    """A TypeScript step's source as CommonJS: exports instead of export, the handler's parameters untyped."""
    return (
        ts_step.replace("export const config =", "exports.config =")
        .replace("export const handler =", "exports.handler =")
        .replace(ts_params, js_params)
    )


NODE_STEP = """
    export const config = { type: 'api', name: '{Lang}Levels', path: '/{lang}/levels', method: 'GET', emits: [] }
    export const handler = async (_req: unknown, { traceId }: { traceId: string }) => {
      console.debug('debug from {lang}')
      console.info('info from {lang}')
      console.warn('warn from {lang}')
      console.error('error from {lang}')
      return { status: 200, body: { traceId } }
    }
"""
SOURCES = {
    "ts": NODE_STEP,
    "js": as_js(NODE_STEP, "(_req: unknown, { traceId }: { traceId: string })", "(_req, { traceId })"),
    # a sync handler: it runs in a worker thread, and its records still find their invocation
    "py": """
        import logging

        log = logging.getLogger(__name__)

        config = {"type": "api", "name": "PyLevels", "path": "/py/levels", "method": "GET", "emits": []}

        def handler(req, context):
            log.debug("debug from py")
            logging.info("info from py")
            log.warning("warn from py")
            log.error("error from py", extra={"petId": "p1"})
            try:
                1 / 0
            except ZeroDivisionError:
                log.exception("exception from py")
            return {"status": 200, "body": {"traceId": context.trace_id}}
    """,
}


# Above error: the logger's critical, and another way each language has (Motia's logger.log with a
# level; the standard logging module's CRITICAL), beside an error that level=critical leaves out.
NODE_CRITICAL_STEP = """
    export const config = { type: 'api', name: '{Lang}Critical', path: '/{lang}/critical', method: 'GET', emits: [] }
    export const handler = async (_req: unknown, { logger, traceId }: any) => {
      logger.error('error from {lang}')
      logger.critical('critical from {lang}', { code: 7 })
      logger.child({ part: 'disk' }).log({ level: 'fatal', msg: 'severe from {lang}', code: 8 })
      return { status: 200, body: { traceId } }
    }
"""
CRITICAL_SOURCES = {
    "ts": NODE_CRITICAL_STEP,
    "js": as_js(
        NODE_CRITICAL_STEP, "(_req: unknown, { logger, traceId }: any)", "(_req, { logger, traceId })"
    ),
    "py": """
        import logging

        config = {"type": "api", "name": "PyCritical", "path": "/py/critical", "method": "GET", "emits": []}

        def handler(req, context):
            context.logger.error("error from py")
            context.logger.critical("critical from py", {"code": 7})
            logging.getLogger("disk").critical("severe from py", extra={"code": 8})
            return {"status": 200, "body": {"traceId": context.trace_id}}
    """,
}


# Every name of a level the supervisor knows (supervisor/logs/_levels.py), as Motia's logger.log takes
# one, and the other names the loggers have a method for
NAMED = [*LOG_LEVELS, *LEVEL_ALIASES]
NODE_NAMED_STEP = """
    export const config = { type: 'api', name: '{Lang}Named', path: '/{lang}/named', method: 'GET', emits: [] }
    export const handler = async (_req: unknown, { logger, traceId }: any) => {
      for (const name of {names}) logger.log({ level: name, msg: `${name} from {lang}` })
      logger.warning('warning() from {lang}')
      return { status: 200, body: { traceId } }
    }
"""
NAMED_SOURCES = {
    "ts": NODE_NAMED_STEP,
    "js": as_js(NODE_NAMED_STEP, "(_req: unknown, { logger, traceId }: any)", "(_req, { logger, traceId })"),
    "py": """
        config = {"type": "api", "name": "PyNamed", "path": "/py/named", "method": "GET", "emits": []}

        def handler(req, context):
            for name in {names}:
                context.logger.log(name, f"{name} from py")
            context.logger.warning("warning() from py")
            return {"status": 200, "body": {"traceId": context.trace_id}}
    """,
}


def _project(root: Path) -> Path:
    files = {}
    named = {lang: source.replace("{names}", json.dumps(NAMED)) for lang, source in NAMED_SOURCES.items()}
    for stem, sources in (("levels", SOURCES), ("critical", CRITICAL_SOURCES), ("named", named)):
        for lang, source in sources.items():
            files[step_path(lang, stem)] = source.replace("{lang}", lang).replace("{Lang}", lang.capitalize())
    return write_project(root, files)


@pytest.fixture(scope="module")
def debug_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotiaServer]:
    project = _project(tmp_path_factory.mktemp("log-debug"))
    (project / ".env").write_text("LOG_LEVEL=debug\n")
    with MotiaServer(project, mode="start") as server:
        yield server


@pytest.fixture(scope="module")
def warn_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotiaServer]:
    project = _project(tmp_path_factory.mktemp("log-warn"))
    with MotiaServer(project, mode="start", env={"LOG_LEVEL": "warn"}) as server:
        yield server


def _records(server: MotiaServer, lang: str, wanted: set[str]) -> dict[str, dict[str, Any]]:
    trace_id = server.client.get(f"/{lang}/levels").json()["traceId"]

    def arrived() -> dict[str, dict[str, Any]]:
        found = {r["msg"]: r for r in server.json_logs() if r.get("traceId") == trace_id}
        assert wanted <= set(found), sorted(found)
        return found

    records: dict[str, dict[str, Any]] = eventually(arrived)
    for record in records.values():
        assert record["step"] == f"{lang.capitalize()}Levels"
    return records


@pytest.mark.parametrize("lang", LANGUAGES)
def test_user_log_lines_keep_their_level_step_and_trace(debug_server: MotiaServer, lang: str) -> None:
    levels = ("debug", "info", "warn", "error")
    wanted = {f"{level} from {lang}" for level in levels}
    if lang == "py":
        wanted.add("exception from py")
    records = _records(debug_server, lang, wanted)
    for level in levels:
        assert records[f"{level} from {lang}"]["level"] == level
    if lang == "py":
        assert records["error from py"]["meta"] == {"petId": "p1", "logger": "steps.py.levels_step"}
        assert "info from py" in records and "logger" not in (records["info from py"].get("meta") or {})
        exception = records["exception from py"]
        assert exception["level"] == "error"
        assert "ZeroDivisionError" in exception["meta"]["stack"]
    else:
        assert records[f"error from {lang}"]["msg"] == f"error from {lang}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_log_level_hides_what_is_below_it(warn_server: MotiaServer, lang: str) -> None:
    records = _records(warn_server, lang, {f"warn from {lang}", f"error from {lang}"})
    assert f"info from {lang}" not in records and f"debug from {lang}" not in records
    below = [r for r in warn_server.json_logs() if r["level"] in ("info", "debug")]
    # the one info line a threshold leaves: that the server is ready, and where
    assert [r["msg"].split(" (")[0] for r in below] == [f"motia start ready on {warn_server.url}"], below


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_steps_critical_lines_are_critical_and_level_critical_shows_them_alone(
    warn_server: MotiaServer, lang: str
) -> None:
    trace_id = warn_server.client.get(f"/{lang}/critical").json()["traceId"]

    def logged(level: str) -> list[dict[str, Any]]:
        params = {"traceId": trace_id, "level": level}
        logs: list[dict[str, Any]] = warn_server.client.get("/__motia/logs", params=params).json()["logs"]
        assert f"severe from {lang}" in [line["message"] for line in logs], logs
        return logs

    assert f"error from {lang}" in [line["message"] for line in eventually(lambda: logged("error"))]
    critical = sorted(logged("critical"), key=lambda line: line["message"])
    assert [(line["level"], line["message"], line["step"]) for line in critical] == [
        ("critical", f"critical from {lang}", f"{lang.capitalize()}Critical"),
        ("critical", f"severe from {lang}", f"{lang.capitalize()}Critical"),
    ]
    assert critical[0]["meta"] == {"code": 7}
    assert critical[1]["meta"] == (
        {"part": "disk", "code": 8} if lang != "py" else {"code": 8, "logger": "disk"}
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_line_logged_at_any_name_of_a_level_is_recorded_at_that_level(
    debug_server: MotiaServer, lang: str
) -> None:
    """``warning``, ``fatal`` and ``trace`` are ``warn``, ``critical`` and ``debug`` in every language, as
    the logs API reads them; a level filter takes each name too."""
    trace_id = debug_server.client.get(f"/{lang}/named").json()["traceId"]

    def logged(level: str) -> dict[str, str]:
        params = {"traceId": trace_id, "level": level}
        response = debug_server.client.get("/__motia/logs", params=params)
        assert response.status_code == 200, response.text
        return {line["message"]: line["level"] for line in response.json()["logs"]}

    expected = {f"{name} from {lang}": LEVEL_ALIASES.get(name, name) for name in NAMED}
    expected[f"warning() from {lang}"] = "warn"
    assert eventually(lambda: _all_of(logged("trace"), expected)) == expected
    assert logged("fatal") == {message: level for message, level in expected.items() if level == "critical"}


def _all_of(found: dict[str, str], expected: dict[str, str]) -> dict[str, str]:
    assert set(expected) <= set(found), sorted(found)
    return found


LIBRARY_STEP = """
    import logging, sys

    # a library's loggers that keep to themselves (propagate off), each with its own handler, as
    # agno's (a RichHandler printing to stdout); a StreamHandler() writes to stderr; with no handler,
    # Python's last resort writes a warning to stderr
    to_stdout = logging.getLogger("vendored.out")
    to_stdout.propagate = False
    to_stdout.addHandler(logging.StreamHandler(sys.stdout))
    to_stderr = logging.getLogger("vendored.err")
    to_stderr.propagate = False
    to_stderr.addHandler(logging.StreamHandler())
    nowhere = logging.getLogger("vendored.none")
    nowhere.propagate = False

    config = {"type": "api", "name": "PyLibrary", "path": "/py/library", "method": "GET", "emits": []}

    async def handler(req, context):
        to_stdout.error("error the library printed")
        to_stdout.warning("warning the library printed")
        to_stderr.error("error the library wrote to stderr")
        nowhere.warning("warning with no handler")
        print("a plain print")
        return {"status": 200, "body": {"traceId": context.trace_id}}
"""


def test_a_librarys_own_handlers_lines_keep_their_level_step_and_trace(tmp_path: Path) -> None:
    """A library whose logger does not propagate to the root, with a handler of its own (agno's, in
    MotiaDev's property-search-agent: "ERROR   API connection error from OpenAI API" was an info
    line), keeps its records' levels in what its handler prints, in the step's trace; one writing to
    stderr (or none, Python's last resort) too, where it was an error of the runner in no trace."""
    write_project(tmp_path, {step_path("py", "library"): LIBRARY_STEP})
    with MotiaServer(tmp_path, mode="start") as server:
        trace_id = server.client.get("/py/library").json()["traceId"]

        def arrived() -> dict[str, dict[str, Any]]:
            found = {r["msg"]: r for r in server.json_logs() if r.get("traceId") == trace_id}
            assert len(found) == 5, sorted(found)
            return found

        records = eventually(arrived)
    assert {
        msg: (r["level"], r["step"], (r.get("meta") or {}).get("logger")) for msg, r in records.items()
    } == {
        "error the library printed": ("error", "PyLibrary", "vendored.out"),
        "warning the library printed": ("warn", "PyLibrary", "vendored.out"),
        "error the library wrote to stderr": ("error", "PyLibrary", "vendored.err"),
        "warning with no handler": ("warn", "PyLibrary", "vendored.none"),
        "a plain print": ("info", "PyLibrary", None),
    }


EMITTING_STEPS = {
    step_path("ts", "place-order"): """
        export const config = { type: 'api', name: 'PlaceOrder', path: '/orders', method: 'POST', emits: ['order.placed'] }
        export const handler = async (_req: unknown, { emit, traceId }: any) => {
          await emit({ topic: 'order.placed', data: { orderId: 'o1' } })
          return { status: 202, body: { traceId } }
        }
    """,
    step_path("py", "bill_order"): """
        config = {"type": "event", "name": "BillOrder", "subscribes": ["order.placed"], "emits": []}
        async def handler(data, context):
            pass
    """,
    step_path("js", "pack-order"): """
        exports.config = { type: 'event', name: 'PackOrder', subscribes: ['order.placed'], emits: [] }
        exports.handler = async () => {}
    """,
}


@pytest.mark.parametrize("debug", [True, False], ids=["debug", "info"])
def test_with_debug_each_emit_is_a_log_line_naming_its_topic_and_subscribers(
    tmp_path: Path, debug: bool
) -> None:
    """Motia's observability guide, for an event that does not fire: "search logs for 'emit'"; Motia
    logs each emit at debug level (`[Flow Emit] Event emitted`), so ``motia dev -d`` shows it."""
    write_project(tmp_path, EMITTING_STEPS)
    with MotiaServer(tmp_path, mode="dev", debug=debug) as server:
        trace_id = server.client.post("/orders").json()["traceId"]
        eventually(lambda: server.client.get(f"/__motia/traces/{trace_id}").json()["status"] == "ok")
        argv = motia_argv("logs", "--grep", "emit", "--trace", trace_id, "-p", str(server.port))
        found = subprocess.run(argv, cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert found.returncode == 0, found.stderr
    lines = [line for line in found.stdout.splitlines() if "emitted" in line]
    if not debug:
        assert lines == [], found.stdout
        return
    [line] = lines
    assert "DEBUG" in line and "[PlaceOrder]" in line, line
    assert line.endswith("emitted order.placed to BillOrder, PackOrder") or line.endswith(
        "emitted order.placed to PackOrder, BillOrder"
    ), line


@pytest.mark.parametrize("mode", ["dev", "start"])
def test_the_ready_line_prints_whatever_the_log_level(tmp_path: Path, mode: str) -> None:
    """``LOG_LEVEL=warn motia start`` printed nothing at all: its user could not tell it had started,
    nor where. Motia prints its ready line past its logger (``console.log``); so does this one, at
    every threshold, critical (which leaves out errors) too. In dev the Workbench's address too."""
    write_project(tmp_path, EMITTING_STEPS)
    with MotiaServer(tmp_path, mode=mode, env={"LOG_LEVEL": "critical"}) as server:
        wanted = [f"motia {mode} ready on {server.url} ("]
        if mode == "dev":
            wanted.append(f"Workbench: {server.url}/__motia/workbench")

        def printed() -> bool:
            return all(any(text in line for line in server.lines) for text in wanted)

        eventually(printed)


def test_why_the_server_could_not_start_prints_whatever_the_log_level(tmp_path: Path) -> None:
    """A server that exits at once must say why, even when ``LOG_LEVEL=critical`` leaves errors out:
    its port is taken, or its project is not there."""
    write_project(tmp_path, EMITTING_STEPS)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        started = run_motia("start", "-p", port, cwd=tmp_path, env={"LOG_LEVEL": "critical"}, timeout=60)
    assert started.returncode == 1
    assert f"port {port} is already in use" in started.stdout, started.stdout + started.stderr
    missing = tmp_path / "missing"
    started = run_motia("start", "--project", str(missing), cwd=tmp_path, env={"LOG_LEVEL": "critical"})
    assert started.returncode == 2
    assert f"project directory {missing} does not exist" in started.stdout, started.stdout + started.stderr
