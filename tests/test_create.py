"""``motia create``: every template, created as a user creates it, then served by ``motia dev``."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from supervisor.scaffold import TEMPLATES
from tests.support.server import REPO_ROOT, MotiaServer, eventually, motia_argv
from tests.test_generate_types import NODE_TYPES, TSC

pytestmark = pytest.mark.e2e

GREETING_WRITER = {
    "typescript": "typescript",
    "javascript": "javascript",
    "python": "python",
    "mixed": "python",
}


def motia(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(motia_argv(*args), cwd=cwd, capture_output=True, text=True, timeout=120)


def create(tmp_path: Path, template: str) -> Path:
    result = motia(tmp_path, "create", "app", "-t", template)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.endswith("Next:\n  cd app\n  motia install && motia dev\n")
    project = tmp_path / "app"
    if template == "pet-app":
        # What `npm install` (run by `motia install`) gives it: openai and zod. The greetings templates
        # need none: without node_modules the node runner lends them its own zod.
        (project / "node_modules").symlink_to(REPO_ROOT / "node_modules", target_is_directory=True)
    return project


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


@pytest.mark.parametrize("template", list(TEMPLATES))
def test_every_template_runs_under_motia_dev_and_its_routes_answer(tmp_path: Path, template: str) -> None:
    project = create(tmp_path, template)
    with MotiaServer(project, mode="dev") as server:
        ROUTES_ANSWER[template](server, template)
    assert "ERROR" not in server.output, server.output


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


@pytest.mark.parametrize("template", [name for name, t in TEMPLATES.items() if t.typescript])
def test_typescript_templates_type_check_with_the_generated_types(tmp_path: Path, template: str) -> None:
    project = create(tmp_path, template)
    if not (project / "node_modules").exists():
        (project / "node_modules").symlink_to(REPO_ROOT / "node_modules", target_is_directory=True)
    generated = motia(project, "generate-types")
    assert generated.returncode == 0, generated.stdout + generated.stderr
    # The template's own tsconfig.json; @types/node (a devDependency) comes from the node runner here.
    checked = subprocess.run(
        [str(TSC), "-p", str(project), "--typeRoots", str(NODE_TYPES)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


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
    pip = {re.split(r"[<>=~\[ ]", line)[0].lower() for line in requirements.splitlines() if line.strip()}
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
        pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
        assert sorted(requirements.split()) == sorted(pyproject["project"]["optional-dependencies"]["app"])


def test_create_refuses_a_folder_that_is_not_empty_unless_forced(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "README.md").write_text("my readme")
    refused = motia(tmp_path, "create", "-t", "python")
    assert refused.returncode == 1
    assert "is not empty (README.md, notes.txt)" in refused.stderr and "--force" in refused.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["README.md", "notes.txt"]

    forced = motia(tmp_path, "create", "-t", "python", "--force")
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
