"""``motia generate step``: Motia's interactive step generator, answered in a terminal as a user answers
it; the steps it writes load (``motia build``) and answer (``motia dev``)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support.server import MotiaServer, eventually, motia_argv, run_motia
from tests.support.terminal import motia_in_a_terminal, motia_without_a_terminal
from tests.test_generate_types import run_tsc

pytestmark = pytest.mark.e2e

#: per language: the files the generator names as ``motia create``'s templates do
#: (an api step is TypeScript in every project, as Motia 0.17 writes it: its language is not asked)
FILES = {
    "ts": ("users/create-user.step.ts", "users/on-user.step.ts", "nightly.step.ts", "mailer.step.ts"),
    "js": ("users/create-user.step.ts", "users/on-user.step.js", "nightly.step.js", "mailer.step.js"),
    "py": ("users/create-user.step.ts", "users/on_user_step.py", "nightly_step.py", "mailer_step.py"),
}


def generate(project: Path, typed: str, *args: str) -> subprocess.CompletedProcess[str]:
    done = motia_in_a_terminal(project, typed, "generate", "step", *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.mark.parametrize("lang", ["ts", "js", "py"])
def test_generated_steps_of_every_type_load_and_serve(tmp_path: Path, lang: str) -> None:
    # as Motia asks: name, type, language (not for an api step), the type's own questions, flows,
    # emits, description; a wrong answer is asked again (a name starting with a digit, a path without /)
    api = generate(
        tmp_path, "1user\ncreate-user\napi\npost\nusers\n/users\nusers\nuser.created\nCreates a user\n",
        "-d", "users",
    )  # fmt: skip
    assert "Name must start with a letter" in api.stderr and "Path must start with /" in api.stderr
    assert api.stdout.endswith(f"Created step file at {Path('steps', FILES[lang][0])}\n")
    assert "Select language" not in api.stdout
    event = generate(tmp_path, f"on-user\nevent\n{lang}\nuser.created\nusers\n\n\n", "--dir", "users")
    assert "Select language" in event.stdout
    cron = generate(tmp_path, f"nightly\n3\n{lang}\n0 2 * *\n0 2 * * *\nusers\n\nEvery night\n")
    assert "Invalid cron expression" in cron.stderr
    generate(tmp_path, f"mailer\nnoop\n{lang}\nmail.sent\nuser.created\nusers\nThe mail service\n")
    assert sorted(
        str(p.relative_to(tmp_path / "steps")) for p in (tmp_path / "steps").rglob("*.*")
    ) == sorted(FILES[lang])

    built = subprocess.run(motia_argv("build"), cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stdout + built.stderr
    assert "summary: 4 of 4 steps loaded" in built.stdout

    if lang == "ts":  # and the TypeScript ones type-check against their Handlers entries
        assert run_motia("generate-types", cwd=tmp_path).returncode == 0
        checked = run_tsc(tmp_path, ["types.d.ts", "steps/**/*.ts"])
        assert checked.returncode == 0, checked.stdout

    with MotiaServer(tmp_path) as server:
        answered = server.client.post("/users", json={})
        assert answered.status_code == 200, answered.text
        assert answered.json() == {"message": "create-user"}  # the step's name as typed
        eventually(lambda: "create-user called" in server.output)


def test_generate_step_refuses_a_file_that_exists(tmp_path: Path) -> None:
    typed = "ping\nevent\npy\nping\nops\n\n\n"
    generate(tmp_path, typed)
    written = (tmp_path / "steps" / "ping_step.py").read_text()
    again = motia_in_a_terminal(tmp_path, typed, "generate", "step")
    assert again.returncode == 1
    assert "ping_step.py exists already: no step created" in again.stderr
    assert (tmp_path / "steps" / "ping_step.py").read_text() == written


def test_generate_step_without_a_terminal_fails_saying_it_asks_in_one(tmp_path: Path) -> None:
    done = motia_without_a_terminal(tmp_path, "generate", "step")
    assert done.returncode == 2
    assert "asks for the step's name, type and language in a terminal" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_generate_step_refuses_a_dir_outside_steps(tmp_path: Path) -> None:
    done = motia_in_a_terminal(tmp_path, "", "generate", "step", "-d", "../elsewhere")
    assert done.returncode == 2
    assert "--dir '../elsewhere' must be a folder below steps/" in done.stderr
    assert list(tmp_path.iterdir()) == []
