"""``motia dev`` reloads the project's code when its files change, in every language."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest

from tests.conftest import LANGUAGES
from tests.support.project import step_path, write_project
from tests.support.server import MotiaServer, eventually

pytestmark = pytest.mark.e2e

# A step returning the value of a helper module, so that editing the helper alone must show.
SOURCES = {
    "ts": {
        "steps/ts/value.ts": "export const VALUE = {value}\n",
        "step": """
            import {{ VALUE }} from './value'
            export const config = {{ type: 'api', name: '{name}', path: '{path}', method: 'GET', emits: [] }}
            export const handler = async () => ({{ status: 200, body: {{ value: VALUE }} }})
        """,
        "broken": "export const config = {\n\nexport const handler = async ( => {\n",
    },
    "js": {
        "steps/js/value.js": "module.exports = {{ VALUE: {value} }}\n",
        "step": """
            const {{ VALUE }} = require('./value')
            module.exports = {{
              config: {{ type: 'api', name: '{name}', path: '{path}', method: 'GET', emits: [] }},
              handler: async () => ({{ status: 200, body: {{ value: VALUE }} }}),
            }}
        """,
        "broken": "module.exports = {\n\n  handler: async ( => {\n",
    },
    "py": {
        "steps/py/value.py": "VALUE = {value}\n",
        "step": """
            from value import VALUE
            config = {{"type": "api", "name": "{name}", "path": "{path}", "method": "GET", "emits": []}}
            async def handler(req, context):
                return {{"status": 200, "body": {{"value": VALUE}}}}
        """,
        "broken": "config = {\n\ndef handler(req, context)\n",
    },
}


def helper_file(lang: str) -> str:
    return next(name for name in SOURCES[lang] if name.startswith("steps/"))


def write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def value_at(server: MotiaServer, path: str) -> object:
    response = server.client.get(path)
    return response.status_code == 200 and response.json()["value"]


def mark(server: MotiaServer) -> int:
    """Where the server's output is now (a count of lines), for ``lines_after``."""
    return len(server.output.splitlines())


def lines_after(server: MotiaServer, mark: int) -> str:
    """The output written since ``mark``."""
    return "\n".join(server.output.splitlines()[mark:])


@pytest.mark.parametrize("lang", LANGUAGES)
def test_dev_reloads_changed_added_broken_and_fixed_files(tmp_path: Path, lang: str) -> None:
    sources = SOURCES[lang]
    helper = helper_file(lang)
    first = step_path(lang, "first")
    write_project(
        tmp_path,
        {
            helper: sources[helper].format(value=1),
            first: sources["step"].format(name="First", path="/first"),
        },
    )
    with MotiaServer(tmp_path, mode="dev") as server:
        assert value_at(server, "/first") == 1

        # a helper module, not a step file: its runner reloads, no step is announced
        since = mark(server)
        write(tmp_path, helper, sources[helper].format(value=2))
        eventually(lambda: value_at(server, "/first") == 2, timeout=20)
        log = lines_after(server, since)
        assert f"{helper} changed" in log and "[UPDATED]" not in log and "[CREATED]" not in log

        since = mark(server)
        second = step_path(lang, "second")
        write_project(tmp_path, {second: sources["step"].format(name="Second", path="/second")})
        # (Python's `value` is the module of src/py/ found first on the path: the value is not the point)
        eventually(lambda: server.client.get("/second").status_code == 200, timeout=20)
        assert f"[CREATED] Step (API) {step_path(lang, 'second')} created" in server.output
        log = lines_after(server, since)
        assert f"[CREATED] Step (API) {second} created" in log and first not in log

        # a step that no longer loads is removed with its error; the rest keeps serving
        since = mark(server)
        write(tmp_path, second, sources["broken"])
        eventually(lambda: server.client.get("/second").status_code == 404, timeout=20)
        removed = eventually(lambda: _line_with(lines_after(server, since), f"[REMOVED] Step (API) {second}"))
        assert "removed: " in removed and len(removed.split("removed: ", 1)[1]) > 5  # the error
        assert value_at(server, "/first") == 2

        since = mark(server)
        write_project(tmp_path, {second: sources["step"].format(name="Second", path="/second")})
        # (Python's `value` is the module of src/py/ found first on the path: the value is not the point)
        eventually(lambda: server.client.get("/second").status_code == 200, timeout=20)
        assert f"[CREATED] Step (API) {step_path(lang, 'second')} created" in server.output
        assert f"[CREATED] Step (API) {second} created" in lines_after(server, since)

        # editing a step's own file updates that step, and only it
        since = mark(server)
        write_project(tmp_path, {first: sources["step"].format(name="First", path="/first-renamed")})
        eventually(lambda: value_at(server, "/first-renamed") == 2, timeout=20)
        log = eventually(
            lambda: _line_with(lines_after(server, since), "[UPDATED]") and lines_after(server, since)
        )
        assert f"[UPDATED] Step (API) {first} updated" in log and second not in log


# Helpers outside steps/ and src/: where Motia's docs put middlewares (``middlewares/``) and where
# projects keep services (car-alert's ``services/``): (path, source, how SOURCES' step imports it instead)
OUTSIDE_HELPERS = {
    "ts": ("middlewares/value.middleware.ts", "'./value'", "'../../middlewares/value.middleware'"),
    "js": ("middlewares/value.middleware.js", "'./value'", "'../../middlewares/value.middleware'"),
    "py": ("services/value_service.py", "from value import", "from services.value_service import"),
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_dev_reloads_a_helper_kept_outside_steps_and_src(tmp_path: Path, lang: str) -> None:
    helper, imported, imported_instead = OUTSIDE_HELPERS[lang]
    helper_source = SOURCES[lang][helper_file(lang)]
    step = SOURCES[lang]["step"].format(name="Outside", path="/outside").replace(imported, imported_instead)
    write_project(tmp_path, {helper: helper_source.format(value=1), step_path(lang, "outside"): step})
    # a frontend's packages are not watched, nor is a data file a step writes outside steps/
    write(tmp_path, "frontend/node_modules/pkg/index.js", "module.exports = 1\n")
    with MotiaServer(tmp_path, mode="dev") as server:
        assert value_at(server, "/outside") == 1
        since = mark(server)
        write(tmp_path, "logs/alerts.json", "[]\n")
        write(tmp_path, helper, helper_source.format(value=2))
        eventually(lambda: value_at(server, "/outside") == 2, timeout=20)
        log = lines_after(server, since)
        assert f"{helper} changed" in log and "logs/alerts.json" not in log and "[UPDATED]" not in log


@pytest.mark.parametrize("lang", LANGUAGES)
def test_dev_watches_a_helper_folder_made_while_it_runs(tmp_path: Path, lang: str) -> None:
    """``mkdir services`` while ``motia dev`` runs, a helper written there, a step changed to import it:
    an edit of the helper reloads the step's runner, as for a folder there at start."""
    helper, imported, imported_instead = OUTSIDE_HELPERS[lang]
    helper = helper.replace("middlewares/", "services/")
    imported_instead = imported_instead.replace("middlewares", "services")
    helper_source = SOURCES[lang][helper_file(lang)]
    sources = SOURCES[lang]
    step = step_path(lang, "later")
    write_project(
        tmp_path,
        {
            helper_file(lang): sources[helper_file(lang)].format(value=0),
            step: sources["step"].format(name="Later", path="/later"),
        },
    )
    with MotiaServer(tmp_path, mode="dev") as server:
        assert value_at(server, "/later") == 0
        (tmp_path / "services").mkdir()
        write(tmp_path, helper, helper_source.format(value=1))
        write_project(
            tmp_path,
            {step: sources["step"].format(name="Later", path="/later").replace(imported, imported_instead)},
        )
        eventually(lambda: value_at(server, "/later") == 1, timeout=20)
        since = mark(server)
        write(tmp_path, helper, helper_source.format(value=2))
        eventually(lambda: value_at(server, "/later") == 2, timeout=20)
        eventually(lambda: f"{helper} changed" in lines_after(server, since))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_dev_loads_the_steps_of_a_steps_folder_made_while_it_runs(tmp_path: Path, lang: str) -> None:
    """A project whose steps are all under src/ gets a steps/ folder while ``motia dev`` runs: the steps
    written there load, as in a folder watched since the start."""
    sources = SOURCES[lang]
    src_step = step_path(lang, "first").replace("steps/", "src/", 1)
    src_helper = helper_file(lang).replace("steps/", "src/", 1)
    write_project(
        tmp_path,
        {
            src_helper: sources[helper_file(lang)].format(value=1),
            src_step: sources["step"].format(name="First", path="/first"),
        },
    )
    with MotiaServer(tmp_path, mode="dev") as server:
        assert value_at(server, "/first") == 1
        assert not (tmp_path / "steps").exists()
        write_project(
            tmp_path,
            {
                helper_file(lang): sources[helper_file(lang)].format(value=2),
                step_path(lang, "second"): sources["step"].format(name="Second", path="/second"),
            },
        )
        # (Python's `value` is the module of src/py/ found first on the path: the value is not the point)
        eventually(lambda: server.client.get("/second").status_code == 200, timeout=20)
        assert f"[CREATED] Step (API) {step_path(lang, 'second')} created" in server.output


# A web app beside the steps (MotiaDev's examples keep a React app in frontend/), and a JS package the
# step does import by a relative path: both folders have their own package.json.
SEPARATE_PROJECTS = {
    "frontend/package.json": '{"name": "frontend", "private": true}\n',
    "frontend/vite.config.ts": "export default {}\n",
    "frontend/src/App.tsx": "export const App = () => 1\n",
    "frontend/src/api/client.ts": "export const base = '/api'\n",
    "frontend/node_modules/react/index.js": "module.exports = {}\n",
    "shared/package.json": '{"name": "shared", "private": true}\n',
    "shared/value.ts": "export const VALUE = {value}\n",
}


def test_an_edit_in_a_web_app_beside_the_steps_reloads_nothing_unless_a_step_imports_from_it(
    tmp_path: Path,
) -> None:
    step = (
        SOURCES["ts"]["step"]
        .format(name="Shared", path="/shared")
        .replace("'./value'", "'../../shared/value'")
    )
    files = {
        name: text.format(value=1) if name == "shared/value.ts" else text
        for name, text in SEPARATE_PROJECTS.items()
    }
    write_project(tmp_path, {**files, step_path("ts", "shared"): step})
    with MotiaServer(tmp_path, mode="dev") as server:
        assert value_at(server, "/shared") == 1
        since = mark(server)
        # (.tsx is no runner's: the .ts files of a web app are what reloaded the node runner)
        write(tmp_path, "frontend/vite.config.ts", "export default { base: '/' }\n")
        write(tmp_path, "frontend/src/api/client.ts", "export const base = '/api/v2'\n")
        write(tmp_path, "shared/value.ts", SEPARATE_PROJECTS["shared/value.ts"].format(value=2))
        eventually(lambda: value_at(server, "/shared") == 2, timeout=20)
        reloads = eventually(lambda: _line_with(lines_after(server, since), "reloaded the node runner"))
        assert reloads is not None and "shared/value.ts changed" in reloads
        assert "frontend/" not in lines_after(server, since)


def _line_with(output: str, needle: str) -> str | None:
    return next((line for line in output.splitlines() if needle in line), None)


def test_start_does_not_reload(tmp_path: Path) -> None:
    sources = SOURCES["js"]
    helper = helper_file("js")
    write_project(
        tmp_path,
        {
            helper: sources[helper].format(value=1),
            step_path("js", "first"): sources["step"].format(name="First", path="/first"),
        },
    )
    with MotiaServer(tmp_path, mode="start") as server:
        write(tmp_path, helper, sources[helper].format(value=2))
        time.sleep(2)
        assert value_at(server, "/first") == 1


# ---------------------------------------------------------------- what a change reloads

SCOPE_FILES = {
    step_path("ts", "hello"): """
        export const config = { type: 'api', name: 'TsHello', path: '/ts/hello', method: 'GET', emits: [] }
        export const handler = async () => ({ status: 200, body: { greeting: process.env.GREETING ?? null } })
    """,
    step_path("py", "hello"): """
        import os
        config = {"type": "api", "name": "PyHello", "path": "/py/hello", "method": "GET", "emits": []}
        async def handler(req, context):
            return {"status": 200, "body": {"greeting": os.environ.get("GREETING")}}
    """,
    "steps/ts/secret.stream.ts": """
        export const config = {
          name: 'secret', schema: {}, baseConfig: { storageType: 'default' },
          canAccess: (_subscription: unknown, auth: unknown) => auth !== null,
        }
    """,
    "motia.auth.ts": "export const authenticate = async () => null\n",
    "requirements.txt": "",
}


def pids(server: MotiaServer, runner: str) -> list[int]:
    found: list[int] = server.client.get("/__motia/health").json()["runners"][runner]["pids"]
    return found


def test_an_edit_reloads_the_runner_of_its_language_only(tmp_path: Path) -> None:
    write_project(tmp_path, SCOPE_FILES)
    with MotiaServer(tmp_path, mode="dev") as server:
        node, python = pids(server, "node"), pids(server, "python")

        since = mark(server)
        ts_step = step_path("ts", "hello")
        write(tmp_path, ts_step, (tmp_path / ts_step).read_text().replace("?? null", "?? 'none'"))
        eventually(lambda: server.client.get("/ts/hello").json() == {"greeting": "none"}, timeout=20)
        assert pids(server, "node") != node and pids(server, "python") == python
        log = lines_after(server, since)
        assert f"[UPDATED] Step (API) {ts_step} updated" in log
        assert "PyHello" not in log and "python runner" not in log

        # requirements.txt: the Python runner starts again (to import what was installed), not Node
        node, python = pids(server, "node"), pids(server, "python")
        write(tmp_path, "requirements.txt", "# nothing yet\n")
        eventually(lambda: pids(server, "python") != python, timeout=20)
        assert pids(server, "node") == node

        # the stream auth hook is node's: its runner reloads and the new hook decides
        python = pids(server, "python")
        assert server.client.get("/__motia/streams/secret/g").status_code == 403
        write(tmp_path, "motia.auth.ts", "export const authenticate = async () => ({ userId: 'u1' })\n")
        eventually(lambda: server.client.get("/__motia/streams/secret/g").status_code == 200, timeout=20)
        assert pids(server, "node") != node and pids(server, "python") == python


def test_env_and_settings_changes_restart_every_runner_with_them(tmp_path: Path) -> None:
    write_project(tmp_path, {**SCOPE_FILES, ".env": "GREETING=hello\n"})
    with MotiaServer(tmp_path, mode="dev") as server:
        for lang in ("ts", "py"):
            assert server.client.get(f"/{lang}/hello").json() == {"greeting": "hello"}

        def greetings() -> list[object]:
            return [server.client.get(f"/{lang}/hello").json()["greeting"] for lang in ("ts", "py")]

        write(tmp_path, ".env", "GREETING=bonjour\n")
        eventually(lambda: greetings() == ["bonjour", "bonjour"], timeout=20)
        write(tmp_path, ".env", "# no greeting\n")  # a variable removed from .env is gone
        eventually(lambda: greetings() == [None, None], timeout=20)

        write(tmp_path, "motia.config.json", '{"runners": {"python": {"poolSize": 2}}}')
        eventually(lambda: len(pids(server, "python")) == 2, timeout=20)
        write(tmp_path, "motia.config.json", '{"runners": {"python": {"poolSize": "many"}}}')
        eventually(lambda: "keeping the previous settings" in server.output, timeout=20)
        assert len(pids(server, "python")) == 2


RETRIES_STEP = """
    config = {{
        "type": "event", "name": "PyFails", "subscribes": ["py.fails"], "emits": [],
        "infrastructure": {{"queue": {{"maxRetries": {retries}}}}},
    }}
    async def handler(input_data, context):
        attempts = (await context.state.get("fails", context.trace_id) or 0) + 1
        await context.state.set("fails", context.trace_id, attempts)
        raise Exception(f"fails (attempt {{attempts}})")
"""


def dead_letter_error(server: MotiaServer, trace_id: str) -> str | None:
    entries = server.client.get("/__motia/dead-letters").json()["deadLetters"]
    return next((entry["error"] for entry in entries if entry["traceId"] == trace_id), None)


def test_a_reloaded_queue_config_decides_the_retries_of_later_events(tmp_path: Path) -> None:
    """The queue's per-step policy is built once per loaded registry: a reload that changes a step's
    ``maxRetries`` is honoured from the next event on."""
    step = step_path("py", "fails")
    write_project(tmp_path, {step: RETRIES_STEP.format(retries=0), "requirements.txt": ""})
    with MotiaServer(tmp_path, mode="dev", env={"MOTIA_RETRY_BACKOFF_MS": "10"}) as server:

        def dead_lettered_after() -> str:
            response = server.client.post("/__motia/emit", json={"topic": "py.fails", "data": {}})
            assert response.status_code == 200, response.text
            trace_id = response.json()["traceId"]
            error = eventually(lambda: dead_letter_error(server, trace_id), timeout=20)
            assert isinstance(error, str)
            return error

        assert "fails (attempt 1)" in dead_lettered_after()
        since = mark(server)
        write(tmp_path, step, textwrap.dedent(RETRIES_STEP.format(retries=2)).lstrip("\n"))
        eventually(lambda: f"Step (Event) {step} updated" in lines_after(server, since), timeout=20)
        assert "fails (attempt 3)" in dead_lettered_after()
