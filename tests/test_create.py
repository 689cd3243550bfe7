"""``motia create``: every template, created as a user creates it, set up by ``motia install``, served by
``motia dev``, and type-checked by its own TypeScript."""

from __future__ import annotations

import ast
import fnmatch
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from supervisor.discovery import SCAN_ROOTS
from supervisor.scaffold import TEMPLATES
from tests.support.server import REPO_ROOT, MotiaServer, eventually, motia_argv
from tests.support.terminal import motia_in_a_terminal, motia_without_a_terminal

pytestmark = pytest.mark.e2e

GREETING_WRITER = {
    "typescript": "typescript",
    "javascript": "javascript",
    "python": "python",
    "mixed": "python",
}


def motia(cwd: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(motia_argv(*args), cwd=cwd, capture_output=True, text=True, timeout=timeout)


def create(tmp_path: Path, template: str) -> Path:
    result = motia(tmp_path, "create", "app", "-t", template)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.endswith("Next:\n  cd app\n  motia install && motia dev\n")
    return tmp_path / "app"


def greetings_answer(server: MotiaServer, template: str) -> None:
    accepted = server.client.post("/greetings", json={"name": "Ada"})
    assert accepted.status_code == 202, accepted.text
    assert accepted.json() == {"name": "Ada", "traceId": accepted.headers["x-trace-id"]}

    def written() -> dict[str, str] | None:
        response = server.client.get("/greetings/Ada")
        return response.json() if response.status_code == 200 else None

    body = eventually(written)
    assert (body["message"], body["writtenBy"]) == ("Hello, Ada!", GREETING_WRITER[template])
    assert server.client.get("/greetings/Bob").status_code == 404
    assert server.client.post("/greetings", json={}).status_code == 400


def pet_app_answers(server: MotiaServer, template: str) -> None:
    for lang in ("ts", "js", "py"):
        created = server.client.post(
            f"/{lang}/pets", json={"name": "Buddy", "species": "dog", "ageMonths": 24}
        )
        assert created.status_code == 201, created.text
        pets = server.client.get(f"/{lang}/pets")
        assert pets.status_code == 200 and [pet["name"] for pet in pets.json()] == ["Buddy"]


ROUTES_ANSWER = {name: pet_app_answers if name == "pet-app" else greetings_answer for name in TEMPLATES}


@pytest.mark.slow  # motia install fetches each template's npm and PyPI packages
@pytest.mark.parametrize("template", list(TEMPLATES))
def test_every_template_runs_with_the_two_commands_create_prints(tmp_path: Path, template: str) -> None:
    project = create(tmp_path, template)
    installed = motia(project, "install", timeout=600)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    with MotiaServer(project, mode="dev") as server:
        ROUTES_ANSWER[template](server, template)
    assert "ERROR" not in server.output, server.output
    if TEMPLATES[template].typescript:
        # motia dev wrote types.d.ts; the project's own TypeScript checks its steps against it.
        assert "Handlers" in (project / "types.d.ts").read_text()
        tsc = project / "node_modules" / ".bin" / "tsc"
        checked = subprocess.run([str(tsc), "-p", str(project)], capture_output=True, text=True, timeout=300)
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_created_project_builds_with_npm_and_ignores_what_motia_writes(tmp_path: Path) -> None:
    """Motia 0.17's `motia create` writes `build` and `clean` scripts, which its users run (`npm run
    build` in CI), and ignores `.mermaid/`, which `motia dev -m` writes; ours did neither."""
    project = create(tmp_path, "mixed")
    scripts = json.loads((project / "package.json").read_text())["scripts"]
    assert scripts["build"] == "motia build"
    on_path = {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])}
    built = subprocess.run(
        ["npm", "run", "build"], cwd=project, capture_output=True, text=True, timeout=120, env=on_path
    )
    assert built.returncode == 0, built.stdout + built.stderr
    assert "motia build: ok" in built.stdout
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    written = [".mermaid/greetings.mmd", "python_modules/pyvenv.cfg", "venv/pyvenv.cfg", ".motia/state.db"]
    ignored = subprocess.run(["git", "check-ignore", *written], cwd=project, capture_output=True, text=True)
    assert ignored.stdout.split() == written


def test_the_pet_app_template_is_the_example_app(tmp_path: Path) -> None:
    project = create(tmp_path, "pet-app")
    shipped = sorted(
        path.relative_to(project).as_posix() for path in (project / "steps").rglob("*") if path.is_file()
    )
    ours = sorted(
        path.relative_to(REPO_ROOT).as_posix()
        for path in (REPO_ROOT / "steps").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    )
    assert shipped == ours
    assert all((project / file).read_bytes() == (REPO_ROOT / file).read_bytes() for file in ours)
    assert (project / "motia.config.json").read_bytes() == (REPO_ROOT / "motia.config.json").read_bytes()


def _js_imports(source: str) -> set[str]:
    specifiers = re.findall(r"""(?:from\s+|require\(\s*|import\(\s*)['"]([^'"]+)['"]""", source)
    return {
        spec.split("/")[0] if not spec.startswith("@") else "/".join(spec.split("/")[:2])
        for spec in specifiers
    }


def _python_imports(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("template", list(TEMPLATES))
def test_templates_declare_every_package_their_steps_import(tmp_path: Path, template: str) -> None:
    """So that `motia install` (npm install, pip install -r requirements.txt) gives the steps what they need."""
    project = create(tmp_path, template)
    files = [path for path in (project / "steps").rglob("*") if path.is_file()]
    package = (
        json.loads((project / "package.json").read_text()) if (project / "package.json").exists() else {}
    )
    npm = {*package.get("dependencies", {}), *package.get("devDependencies", {})}
    requirements = (
        (project / "requirements.txt").read_text() if (project / "requirements.txt").exists() else ""
    )
    lines = [line for line in requirements.splitlines() if line.strip() and not line.startswith("#")]
    pip = {re.split(r"[<>=~\[ ]", line)[0].lower() for line in lines}
    local = {path.stem for path in files} | {path.name for path in files if path.is_dir()} | {"services"}
    for path in files:
        if path.suffix in (".ts", ".js"):
            needed = {name for name in _js_imports(path.read_text()) if not name.startswith((".", "node:"))}
            assert needed - {"motia"} <= npm, (path, needed)
        elif path.suffix == ".py":
            needed = _python_imports(path.read_text()) - set(sys.stdlib_module_names) - local
            assert needed <= pip, (path, needed)
    if template == "pet-app":  # the same packages as the app's own development setup
        root_package = json.loads((REPO_ROOT / "package.json").read_text())
        assert package["dependencies"] == root_package["dependencies"]
        assert requirements == (REPO_ROOT / "requirements.txt").read_text()


def test_create_refuses_a_folder_that_is_not_empty_unless_forced(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "README.md").write_text("my readme")
    refused = motia(tmp_path, "create", ".", "-t", "python")
    assert refused.returncode == 1
    assert "is not empty (README.md, notes.txt)" in refused.stderr and "--force" in refused.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["README.md", "notes.txt"]

    forced = motia(tmp_path, "create", ".", "-t", "python", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "README.md  (replaced)" in forced.stdout
    assert forced.stdout.endswith("Next:\n  motia install && motia dev\n")  # already in the folder: no cd
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert (tmp_path / "steps" / "greetings" / "write_greeting_step.py").exists()


def test_create_accepts_a_fresh_git_repository_and_rejects_unknown_templates(tmp_path: Path) -> None:
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    assert motia(tmp_path, "create", "repo").returncode == 0
    assert (
        tmp_path / "repo" / "steps" / "greetings" / "request-greeting.step.ts"
    ).exists()  # typescript by default

    unknown = motia(tmp_path, "create", "other", "-t", "rust")
    assert unknown.returncode == 2
    assert "invalid choice: 'rust'" in unknown.stderr and "pet-app" in unknown.stderr
    assert not (tmp_path / "other").exists()


# Motia's docs name their templates starter-typescript, starter-javascript, starter-python (``motia create
# --template starter-typescript``), nodejs in the CLI reference, and motia-tutorial-* for the pet tutorial.
DOCUMENTED_NAMES = {
    "starter-typescript": "typescript",
    "starter-javascript": "javascript",
    "starter-python": "python",
    "nodejs": "typescript",
    "motia-tutorial-typescript": "pet-app",
    "motia-tutorial-python": "pet-app",
}


@pytest.mark.parametrize(("documented", "ours"), list(DOCUMENTED_NAMES.items()))
def test_create_accepts_the_template_names_of_motias_docs(tmp_path: Path, documented: str, ours: str) -> None:
    # the docs' order: the option before the folder
    created = motia(tmp_path, "create", "--template", documented, "app")
    assert created.returncode == 0, created.stdout + created.stderr
    assert f'from the "{ours}" template' in created.stdout
    expected = motia(tmp_path, "create", "expected", "-t", ours)
    assert expected.returncode == 0, expected.stderr

    def files(folder: Path) -> dict[str, bytes]:
        return {
            str(path.relative_to(folder)): path.read_bytes() for path in folder.rglob("*") if path.is_file()
        }

    made, wanted = files(tmp_path / "app"), files(tmp_path / "expected")
    assert sorted(made) == sorted(wanted)
    assert {name: body for name, body in made.items() if name not in ("README.md", "package.json")} == {
        name: body for name, body in wanted.items() if name not in ("README.md", "package.json")
    }  # the two differ only by the project's name
    assert "starter-typescript" in motia(tmp_path, "create", "-h").stdout


def test_create_cursor_writes_rules_that_describe_this_framework(tmp_path: Path) -> None:
    created = motia(tmp_path, "create", "app", "-c", "-t", "mixed")
    assert created.returncode == 0, created.stdout + created.stderr
    rules = tmp_path / "app" / ".cursor" / "rules" / "motia"
    assert sorted(path.name for path in rules.iterdir()) == ["project.mdc", "steps.mdc"]
    assert ".cursor/rules/motia/project.mdc" in created.stdout
    front: dict[str, dict[str, str]] = {}
    for rule in rules.iterdir():
        text = rule.read_text(encoding="utf-8")
        header, body = text.removeprefix("---\n").split("\n---\n", 1)
        front[rule.name] = dict(line.split(":", 1) for line in header.splitlines())
        assert front[rule.name]["description"].strip() and body.strip()
    assert front["project.mdc"]["alwaysApply"].strip() == "true"
    project = (rules / "project.mdc").read_text(encoding="utf-8")
    for fact in (*[f"`{root}/`" for root in SCAN_ROOTS], "`*.step.ts`", "`*.step.js`", "`*_step.py`"):
        assert fact in project
    assert "`motia dev`" in project and "motia.config.json" in project
    # the step rule applies to every step file the template has, in each of the three languages
    globs = front["steps.mdc"]["globs"].strip().split(",")
    steps = [
        path.relative_to(tmp_path / "app").as_posix()
        for path in (tmp_path / "app").rglob("*")
        if path.name.endswith((".step.ts", ".step.js", "_step.py"))
    ]
    assert {Path(step).suffix for step in steps} == {".ts", ".js", ".py"}
    assert all(any(fnmatch.fnmatch(step, glob) for glob in globs) for step in steps), (globs, steps)
    steps_rule = (rules / "steps.mdc").read_text(encoding="utf-8")
    for field in ("`path`", "`method`", "`subscribes`", "`cron`", "`emits`", "`flows`", "`bodySchema`"):
        assert field in steps_rule

    plain = motia(tmp_path, "create", "plain", "-t", "mixed")
    assert plain.returncode == 0, plain.stderr
    assert not (tmp_path / "plain" / ".cursor").exists()


def test_create_without_a_folder_fails_naming_it_when_there_is_no_terminal_to_ask(tmp_path: Path) -> None:
    done = motia_without_a_terminal(tmp_path, "create", "-t", "python")
    assert done.returncode == 2
    assert "the project's folder (DIR) is missing" in done.stderr and "`.`" in done.stderr
    assert list(tmp_path.iterdir()) == []


def create_in_a_terminal(cwd: Path, typed: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``motia create ARGS`` with a terminal as its stdin, into which ``typed`` is typed."""
    return motia_in_a_terminal(cwd, typed, "create", *args)


def test_create_without_a_folder_asks_for_the_project_name_in_a_terminal(tmp_path: Path) -> None:
    # as Motia 0.17: a name that is not one is asked again; the name given is the folder
    named = create_in_a_terminal(tmp_path, "my app!\nmy-app\n", "-t", "python")
    assert named.returncode == 0, named.stdout + named.stderr
    assert named.stdout.startswith("Project name (leave blank to use current folder): ")
    assert "Project name must start with a letter or number" in named.stderr
    assert (tmp_path / "my-app" / "steps" / "greetings" / "write_greeting_step.py").exists()
    assert named.stdout.endswith("Next:\n  cd my-app\n  motia install && motia dev\n")

    # blank: the current folder
    here = tmp_path / "here"
    here.mkdir()
    blank = create_in_a_terminal(here, "\n", "-t", "python")
    assert blank.returncode == 0, blank.stdout + blank.stderr
    assert (here / "steps" / "greetings" / "write_greeting_step.py").exists()
    assert blank.stdout.endswith("Next:\n  motia install && motia dev\n")


def test_create_without_a_folder_or_a_template_asks_for_both_in_a_terminal(tmp_path: Path) -> None:
    # Motia asks the template first (by number or name here; Motia's names too), then the name
    picked = create_in_a_terminal(tmp_path, "rust\nstarter-javascript\nweb\n")
    assert picked.returncode == 0, picked.stdout + picked.stderr
    assert "What template do you want to use?" in picked.stdout and "Not a template: rust" in picked.stderr
    assert 'from the "javascript" template' in picked.stdout
    assert (tmp_path / "web" / "steps" / "greetings" / "get-greeting.step.js").exists()

    numbered = create_in_a_terminal(tmp_path, f"{list(TEMPLATES).index('python') + 1}\napi\n")
    assert numbered.returncode == 0, numbered.stdout + numbered.stderr
    assert (tmp_path / "api" / "steps" / "greetings" / "write_greeting_step.py").exists()

    default = create_in_a_terminal(tmp_path, "\nts-app\n")
    assert default.returncode == 0, default.stdout + default.stderr
    assert 'from the "typescript" template' in default.stdout


def test_rules_pull_writes_the_guides_into_an_existing_project_and_keeps_edited_ones(tmp_path: Path) -> None:
    """Motia's ``motia rules pull [--force]``: AGENTS.md, CLAUDE.md and the Cursor rules, the same rules
    as ``create -c``; a file already there is kept unless --force."""
    assert motia(tmp_path, "create", "app", "-t", "python").returncode == 0
    project = tmp_path / "app"
    pulled = subprocess.run(
        motia_argv("rules", "pull", "--project", str(project)), capture_output=True, text=True, timeout=60
    )
    assert pulled.returncode == 0, pulled.stderr
    rules = project / ".cursor" / "rules" / "motia"
    assert sorted(path.name for path in rules.iterdir()) == ["project.mdc", "steps.mdc"]
    agents = (project / "AGENTS.md").read_text(encoding="utf-8")
    assert (project / "CLAUDE.md").read_text(encoding="utf-8") == agents
    for rule in rules.iterdir():  # each rule's text, without its Cursor front matter
        body = rule.read_text(encoding="utf-8").split("\n---\n", 1)[1].lstrip("\n")
        assert body in agents
    assert not agents.startswith("---") and "alwaysApply" not in agents

    (project / "AGENTS.md").write_text("ours\n")
    again = subprocess.run(
        motia_argv("rules", "pull", "--project", str(project)), capture_output=True, text=True, timeout=60
    )
    assert "AGENTS.md  (already there, kept: --force replaces it)" in again.stdout
    assert (project / "AGENTS.md").read_text() == "ours\n"
    forced = subprocess.run(
        motia_argv("rules", "pull", "-f", "--project", str(project)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert forced.returncode == 0 and (project / "AGENTS.md").read_text(encoding="utf-8") == agents
