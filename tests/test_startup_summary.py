"""Start-up never hides a loss: a summary block at ERROR for every runner or step that did not load,
with its cause and its fix; "ready" only once the port is bound; a taken port is one line."""

from __future__ import annotations

import importlib.util
import itertools
import os
import re
import shutil
import socket
import sys
from pathlib import Path

import pytest

from tests.support.project import step_path, write_project
from tests.support.server import MotiaServer, free_port, run_motia
from tests.test_project_loading import GOOD

pytestmark = pytest.mark.e2e

MISSING_IMPORT = {
    "ts": "import { nothing } from 'motia-missing-package-xyz'\nexport const config = { type: 'api', name: 'Lost', path: '/lost', method: 'GET', emits: [] }\nexport const handler = async () => ({ status: 200, body: nothing })\n",
    "js": "const { nothing } = require('motia-missing-package-xyz')\nexports.config = { type: 'api', name: 'Lost', path: '/lost', method: 'GET', emits: [] }\nexports.handler = async () => ({ status: 200, body: nothing })\n",
    "py": "import motia_missing_package_xyz\nconfig = {'type': 'api', 'name': 'Lost', 'path': '/lost', 'method': 'GET', 'emits': []}\nasync def handler(req, ctx):\n    return {'status': 200}\n",
}


def error_block(output: str) -> list[str]:
    """The summary lines logged at ERROR, without their time and level columns."""
    lines = [re.sub(r"^\S+ ERROR ", "", line) for line in output.splitlines() if " ERROR " in line]
    start = next(i for i, line in enumerate(lines) if line.startswith("summary: "))
    return lines[start:]


@pytest.mark.parametrize("lang", ["ts", "js", "py"])
def test_a_step_whose_package_is_missing_is_in_the_error_summary_with_its_fix(
    tmp_path: Path, lang: str
) -> None:
    write_project(
        tmp_path, {step_path(lang, "good"): GOOD[lang], step_path(lang, "lost"): MISSING_IMPORT[lang]}
    )
    with MotiaServer(tmp_path) as server:
        assert server.client.get("/good").json() == {"ok": True}
        output = server.output
    block = error_block(output)
    assert block[0] == "summary: 1 of 2 steps loaded, 1 problem"
    entry = next(i for i, line in enumerate(block) if step_path(lang, "lost") in line)
    assert "motia-missing-package-xyz" in block[entry] or "motia_missing_package_xyz" in block[entry]
    fix = block[entry + 1].strip()
    if lang == "py":
        assert (
            fix
            == f"fix: `motia_missing_package_xyz` is not installed in {sys.executable}: list it in requirements.txt and run `motia install`"
        )
    else:
        assert fix.startswith(
            "fix: the npm package `motia-missing-package-xyz` is not installed in the project"
        )
    # the summary comes last, then "ready"
    ready = next(i for i, line in enumerate(output.splitlines()) if "ready on http" in line)
    assert ready > max(i for i, line in enumerate(output.splitlines()) if " ERROR " in line)
    assert "1 of 2 steps loaded, 1 problem" in output.splitlines()[ready]


@pytest.mark.parametrize("lang", ["ts", "js", "py"])
def test_a_missing_packages_load_error_names_the_users_file_and_no_frame_of_the_import_machinery(
    tmp_path: Path, lang: str
) -> None:
    """Node fails "Cannot find module" in its module loader, tsx's resolver and the runner's fallbacks
    alone: ten frames of theirs said nothing, after the message the user needs ("Require stack"
    naming their file), as Python's traceback holds only the user's import line."""
    write_project(tmp_path, {step_path(lang, "lost"): MISSING_IMPORT[lang]})
    with MotiaServer(tmp_path) as server:
        lines = server.lines
    start = next(
        i for i, line in enumerate(lines) if re.match(rf"\S+ ERROR {step_path(lang, 'lost')}\b", line)
    )
    told = [
        lines[start],
        *itertools.takewhile(lambda line: not re.match(r"\d\d:\d\d:", line), lines[start + 1 :]),
    ]
    assert any(str(tmp_path / step_path(lang, "lost")) in line for line in told), told
    machinery = (
        "node_modules/tsx",
        "runners/node",
        "node-runner",
        "node:internal",
        "motia_runner",
        "importlib",
    )
    assert not [line for line in told if any(part in line for part in machinery)], told


@pytest.mark.parametrize("lang", ["ts", "js", "py"])
def test_a_missing_package_the_project_lists_is_said_to_be_listed_not_to_be_added(
    tmp_path: Path, lang: str
) -> None:
    # As after an `npm install` that failed on another package (Node Motia's own, pinned to a version
    # the registry lacks): the package is in package.json, so "add it to package.json" would mislead.
    write_project(
        tmp_path,
        {
            step_path(lang, "lost"): MISSING_IMPORT[lang],
            "package.json": '{"dependencies": {"motia": "^0.5.5-beta.113", "motia-missing-package-xyz": "^1.0.0"}}',
            "requirements.txt": "anthropic==0.31.2\nMotia.Missing-Package_XYZ[extra]>=1.0  # comment\n",
        },
    )
    done = run_motia("build", cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    fix = next(line for line in (done.stdout + done.stderr).splitlines() if "fix: " in line)
    if lang == "py":
        assert fix.split("fix: ", 1)[1] == (
            f"`motia_missing_package_xyz` is in requirements.txt but not installed in {sys.executable}: "
            "run `motia install` (if it ran, its output says what failed)"
        )
    else:
        assert fix.split("fix: ", 1)[1] == (
            "the npm package `motia-missing-package-xyz` is in package.json but not installed in the "
            "project: run `motia install` (or `npm install`; if it ran, its output says what failed)"
        )


def path_without_node(tmp_path: Path, fake_node: str | None = None) -> str:
    """A PATH with this Python's folder but no Node.js (or a fake one)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    if fake_node is not None:
        node = bin_dir / "node"
        node.write_text(fake_node)
        node.chmod(0o755)
    node_dir = os.path.dirname(shutil.which("node") or "/nonexistent")
    kept = [
        d
        for d in os.environ["PATH"].split(os.pathsep)
        if d and d != node_dir and not (Path(d) / "node").exists()
    ]
    return os.pathsep.join([str(bin_dir), *kept])


IMPORTS_A_PROJECT_FILE = {
    "ts": "import {{ core }} from '{path}'\nexport const config = {{ type: 'api', name: '{name}', path: '/{name}', method: 'GET', emits: [] }}\nexport const handler = async () => ({{ status: 200, body: core }})\n",
    "js": "const {{ core }} = require('{path}')\nexports.config = {{ type: 'api', name: '{name}', path: '/{name}', method: 'GET', emits: [] }}\nexports.handler = async () => ({{ status: 200, body: core }})\n",
}


@pytest.mark.parametrize("lang", ["ts", "js"])
def test_an_import_of_a_project_file_that_is_not_there_is_told_where_it_points(
    tmp_path: Path, lang: str
) -> None:
    """ai-chat-agent-with-memory's steps import ../../middlewares/core.middleware, a folder the example
    lacks: Node names only the specifier, and no fix was given. A file whose name differs in case
    (written on macOS) is named as the project spells it."""
    ext = {"ts": ".ts", "js": ".js"}[lang]
    write_project(
        tmp_path,
        {
            step_path(lang, "chat"): IMPORTS_A_PROJECT_FILE[lang].format(
                path="../../middlewares/core.middleware", name="Chat"
            ),
            step_path(lang, "cased"): IMPORTS_A_PROJECT_FILE[lang].format(
                path="../../src/Services/store", name="Cased"
            ),
            f"src/services/store{ext}": "export const core = 1\n" if lang == "ts" else "exports.core = 1\n",
        },
    )
    done = run_motia("build", cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    fixes = [line.split("fix: ", 1)[1] for line in done.stdout.splitlines() if "fix: " in line]
    assert fixes == [
        f"`../../src/Services/store` in {step_path(lang, 'cased')} is src/Services/store, which differs in case "
        f"from the project's src/services/store{ext}: file names are case-sensitive here; correct the import",
        f"`../../middlewares/core.middleware` in {step_path(lang, 'chat')} is middlewares/core.middleware, which "
        "is not in the project (with any extension): add the file (an example copied without it?) or correct "
        "the import",
    ]


@pytest.mark.parametrize(
    ("fake_node", "cause"),
    [
        (None, "could not start: Node.js was not found on the PATH"),
        (
            "#!/bin/sh\necho v18.19.0\n",
            "could not start: Node.js v18.19.0 found at {bin}/node; TypeScript and JavaScript steps need Node.js 20 or newer",
        ),
    ],
    ids=["no-node", "node-18"],
)
def test_without_a_recent_node_the_summary_says_what_was_found_and_python_still_serves(
    tmp_path: Path, fake_node: str | None, cause: str
) -> None:
    project = write_project(
        tmp_path / "project",
        {
            step_path("py", "good"): GOOD["py"],
            step_path("ts", "other"): GOOD["ts"].replace("Good", "Other").replace("/good", "/other"),
        },
    )
    env = {"PATH": path_without_node(tmp_path, fake_node)}
    with MotiaServer(project, env=env) as server:
        assert server.client.get("/good").json() == {"ok": True}
        output = server.output
    block = error_block(output)
    assert block[0] == "summary: 1 of 2 steps loaded, 1 problem"
    assert any(re.match(r"\s+TypeScript:\s+0 of 1 steps", line) for line in block)
    failure = next(i for i, line in enumerate(block) if "node (TypeScript/JavaScript) runner:" in line)
    assert cause.format(bin=tmp_path / "bin") in block[failure]
    assert block[failure + 1].strip().startswith("fix: install Node.js 20 or newer")


def test_start_refuses_when_a_runner_cannot_start(tmp_path: Path) -> None:
    project = write_project(tmp_path / "project", {step_path("ts", "good"): GOOD["ts"]})
    done = run_motia("start", "-p", str(free_port()), cwd=project, env={"PATH": path_without_node(tmp_path)})
    assert done.returncode == 1
    assert "motia start refused to start:" in done.stderr
    assert "Node.js was not found on the PATH" in done.stderr and "fix: install Node.js 20" in done.stderr


def test_a_taken_port_is_one_line_naming_it_and_nothing_starts(tmp_path: Path) -> None:
    write_project(tmp_path, {step_path("ts", "good"): GOOD["ts"]})
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_motia("dev", "-p", str(port), cwd=tmp_path, timeout=60)
    assert done.returncode == 1
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, done.stdout
    assert f"port {port} is already in use on 127.0.0.1" in lines[0]
    assert not (tmp_path / ".motia").exists()


def test_no_steps_is_a_warning_naming_the_folders_searched(tmp_path: Path) -> None:
    with MotiaServer(tmp_path) as server:
        assert server.client.get("/__motia/health").status_code == 200
        output = server.output
    warning = next(line for line in output.splitlines() if "no steps found" in line)
    assert " WARN " in warning and "steps/ and src/" in warning


def test_a_step_file_in_the_project_root_is_a_warning_saying_where_it_goes(tmp_path: Path) -> None:
    """Motia's steps guide titles its Python files without a folder (``send_message_step.py``); pasted
    into the project root, such a file is not a step: each one is named, with where to move it, in a
    project that has steps elsewhere too. A file that only looks alike (a test) is not named."""
    write_project(
        tmp_path,
        {
            step_path("js", "good"): GOOD["js"],
            "send_message_step.py": 'config = {"name": "SendMessage", "type": "noop"}\n',
            "hello.step.ts": "export const config = { name: 'Hello', type: 'noop' }\n",
            "hello.step.test.ts": "export {}\n",
        },
    )
    with MotiaServer(tmp_path) as server:
        assert server.client.get("/good").json() == {"ok": True}
        output = server.output
    named = [line.split(" WARN  ", 1)[1] for line in output.splitlines() if "is in the project root" in line]
    assert named == [
        f"{name} is in the project root, where steps and streams are not looked for: move it under "
        f"steps/ or src/ (steps/{name})"
        for name in ("hello.step.ts", "send_message_step.py")
    ], output


def test_motia_config_ts_keys_we_do_not_honour_get_one_warning_each(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            step_path("js", "good"): GOOD["js"],
            "motia.config.ts": """
                import { config } from '@motiadev/core'
                import endpointPlugin from '@motiadev/plugin-endpoint/plugin'
                import { RedisStateAdapter } from '@motiadev/adapter-redis-state'
                export default config({
                  plugins: [endpointPlugin],
                  adapters: { state: new RedisStateAdapter({ host: 'localhost', port: 6379 }) },
                  redis: { useMemoryServer: true },
                  app: (app) => { app.use((req, res, next) => next()) },
                })
            """,
        },
    )
    with MotiaServer(tmp_path) as server:
        assert server.client.get("/good").json() == {"ok": True}
        output = server.output
    warnings = [line for line in output.splitlines() if " WARN " in line and "motia.config.ts" in line]
    assert [re.findall(r"`(\w+)`", line)[0] for line in warnings] == ["plugins", "adapters", "redis", "app"]
    assert "motia.config.json" in warnings[1] and "Node Motia" in warnings[0]


@pytest.mark.parametrize(
    ("last_words", "fix"),
    [
        (
            "motia python runner: Python steps need Python 3.10 or newer; {python} is Python 3.8.10",
            "fix: Python steps need Python 3.10 or newer: recreate the project's virtualenv",
        ),
        (
            "ImportError: protobuf missing in {python} (the Python runner needs protobuf >= 3.20 there): cannot import name 'builder'",
            "fix: the protobuf in {python} is too old for the runner: upgrade it to 3.20 or newer",
        ),
        (
            "Segmentation fault",
            "fix: check that {python} runs; to (re)create the project's python_modules/, run `motia install`",
        ),
    ],
    ids=["python-3.8", "protobuf-3.19", "crash"],
)
def test_a_python_runner_that_dies_at_start_is_explained_by_its_last_words(
    tmp_path: Path, last_words: str, fix: str
) -> None:
    python = tmp_path / "python_modules" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f'#!/bin/sh\necho "{last_words.format(python=python)}" >&2\nexit 3\n')
    python.chmod(0o755)
    write_project(tmp_path, {step_path("py", "good"): GOOD["py"]})
    with MotiaServer(tmp_path) as server:
        output = server.output
    block = error_block(output)
    failure = next(i for i, line in enumerate(block) if "python runner: could not start" in line)
    assert last_words.format(python=python) in block[failure]
    assert block[failure + 1].strip().startswith(fix.format(python=python))


# module -> how requirements.txt lists it: a name-only match (PEP 503) would not find any of these
LISTED_UNDER_OTHER_NAMES = {
    "slugify": "python-slugify>=8",  # a prefix
    "tavily": "tavily-python",  # a suffix
    "bs4": "beautifulsoup4==4.12.3",  # nothing in common
}


@pytest.mark.parametrize("module", list(LISTED_UNDER_OTHER_NAMES))
def test_a_missing_module_listed_under_its_distributions_name_is_said_to_be_listed(
    tmp_path: Path, module: str
) -> None:
    # ai-room-renovate's and others' requirements.txt list python-slugify, beautifulsoup4 ...: before a
    # `motia install`, the fix must not say to list again what is listed, under another name
    assert importlib.util.find_spec(module) is None, f"{module} is installed here: pick another module"
    listed = LISTED_UNDER_OTHER_NAMES[module]
    write_project(
        tmp_path,
        {
            "steps/lost_step.py": MISSING_IMPORT["py"].replace("motia_missing_package_xyz", module),
            "steps/other_step.py": MISSING_IMPORT["py"]
            .replace("motia_missing_package_xyz", "motia_unlisted_xyz")
            .replace("'Lost'", "'Other'")
            .replace("/lost", "/other"),
            "requirements.txt": f"pydantic\n{listed}\n",
        },
    )
    done = run_motia("build", cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    fixes = [
        line.split("fix: ", 1)[1] for line in (done.stdout + done.stderr).splitlines() if "fix: " in line
    ]
    distribution = re.split(r"[<>=]", listed)[0]
    assert (
        f"`{module}` is in requirements.txt (as `{distribution}`) but not installed in {sys.executable}: "
        "run `motia install` (if it ran, its output says what failed)"
    ) in fixes, fixes
    assert (  # a module nothing lists is still to be listed
        f"`motia_unlisted_xyz` is not installed in {sys.executable}: list it in requirements.txt and run "
        "`motia install`"
    ) in fixes, fixes


NAMESPACE_IMPORTS = {
    "from_import": "from google import genai",
    "dotted_import": "import google.genai",
}


@pytest.mark.parametrize("statement", list(NAMESPACE_IMPORTS.values()), ids=list(NAMESPACE_IMPORTS))
def test_a_missing_part_of_a_namespace_package_is_named_as_the_step_imported_it(
    tmp_path: Path, statement: str
) -> None:
    # `google` is a namespace package here (protobuf's): the step lacks google-genai, not protobuf, and
    # "`google` is not installed" (or no fix at all, for `from google import genai`) sent users astray
    assert importlib.util.find_spec("google") is not None, "google (protobuf's) is missing here"
    assert importlib.util.find_spec("google.genai") is None, "google-genai is installed here"
    body = MISSING_IMPORT["py"].replace("import motia_missing_package_xyz", f"import os\n{statement}")
    write_project(tmp_path, {"steps/gen/ask_step.py": body})
    done = run_motia("build", cwd=tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    lines = output.splitlines()
    entry = next(i for i, line in enumerate(lines) if "steps/gen/ask_step.py:2" in line)
    assert "genai" in lines[entry]
    assert lines[entry + 1].strip() == (
        f"fix: `google.genai` is not installed in {sys.executable}: list the package that provides it in "
        "requirements.txt and run `motia install`"
    )
    assert "protobuf" not in output.split("summary:", 1)[1]


def _failed_build(project: Path, files: dict[str, str]) -> str:
    """What `motia build` prints refusing a project of ``files``."""
    write_project(project, files)
    done = run_motia("build", cwd=project)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    return output


def _built_problem(project: Path, files: dict[str, str]) -> str:
    """The summary line of the one problem `motia build` finds in a project of ``files``."""
    output = _failed_build(project, files)
    return next(line for line in output.splitlines() if line.strip().startswith("1. "))


# A step written against an API this runtime does not run, as an article shows it: the fix must not
# say to install a package (PyPI's `motia`, npm's `@motiadev/core`) that cannot make it load.
ARTICLE_STEPS = {
    "ts": "import { defineStep } from '@motiadev/core'\nexport default defineStep({ type: 'event', subscribes: ['order.priced'] })\n",
    "js": "const { defineStep } = require('@motiadev/core')\nmodule.exports = defineStep({ type: 'event', subscribes: ['order.priced'] })\n",
    "py": "from motia import define_step\n\n@define_step(type='event', subscribes=['order.priced'])\nasync def handler(data, emit, state):\n    pass\n",
}


@pytest.mark.parametrize("lang", ["ts", "js", "py"])
def test_a_step_importing_motias_own_api_is_told_what_a_step_looks_like_not_to_install_it(
    tmp_path: Path, lang: str
) -> None:
    output = _failed_build(tmp_path, {step_path(lang, "risk"): ARTICLE_STEPS[lang]})
    fix = next(line for line in output.splitlines() if "fix: " in line).split("fix: ", 1)[1]
    if lang == "py":
        assert fix.startswith("Python steps import nothing from `motia`: a step file defines `config`"), fix
    else:
        assert fix.startswith("`@motiadev/core` is Node Motia's own package, not what steps import"), fix
    assert "requirements.txt" not in fix and "package.json" not in fix, fix


NO_CONFIG = {
    "ts": "export default { type: 'cron', expression: '*/5 * * * *', async handler() {} }\n",
    "js": "module.exports = { type: 'cron', expression: '*/5 * * * *', async handler() {} }\n",
    "py": "async def handler(input, context):\n    pass\n",
}


@pytest.mark.parametrize("lang", ["ts", "js", "py"])
def test_a_step_file_without_config_is_named_once_with_what_a_step_exports(tmp_path: Path, lang: str) -> None:
    entry = _built_problem(tmp_path, {step_path(lang, "health"): NO_CONFIG[lang]})
    path = step_path(lang, "health")
    assert entry.count(path) == 1, entry
    if lang == "py":
        assert entry.strip() == (
            f"1. {path}: does not export `config` (a dict named `config` next to `async def handler`)"
        )
    else:
        # the whole step in one default export, as `export default defineStep({...})` leaves it
        assert entry.strip() == (
            f"1. {path}: does not export a `config` object: its default export holds the whole step, "
            "but a step exports `config` (`export const config = { type, name, ... }`) and `handler` by name"
        )


# Article 003's health check names its schedule `expression`; Motia reads `cron`.
EXPRESSION_CRON = {
    "ts": "export const config = { type: 'cron', name: 'Health', expression: '*/5 * * * *', emits: [] }\nexport const handler = async () => {}\n",
    "js": "exports.config = { type: 'cron', name: 'Health', expression: '*/5 * * * *', emits: [] }\nexports.handler = async () => {}\n",
    "py": "config = {'type': 'cron', 'name': 'Health', 'expression': '*/5 * * * *', 'emits': []}\n\nasync def handler(context):\n    pass\n",
}


@pytest.mark.parametrize("lang", ["ts", "js", "py"])
def test_a_required_field_written_under_another_name_is_named_in_the_problem(
    tmp_path: Path, lang: str
) -> None:
    entry = _built_problem(tmp_path, {step_path(lang, "health"): EXPRESSION_CRON[lang]})
    assert entry.strip() == (
        f"1. {step_path(lang, 'health')}: step \"Health\": field 'cron': is required "
        "(got 'expression', which Motia does not read: name it 'cron')"
    )
