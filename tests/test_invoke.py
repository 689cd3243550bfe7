"""``motia invoke STEP``: one handler run once, alone, its operations printed, no server."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import LANGUAGES
from tests.support.debuggers import NodeInspector
from tests.support.project import step_path, write_project
from tests.support.server import REPO_ROOT, free_port, motia_argv, run_motia

pytestmark = pytest.mark.e2e

PREFIX = {"ts": "Ts", "js": "Js", "py": "Py"}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_invoke_runs_a_pet_app_api_step_and_prints_its_operations_without_delivering_emits(lang: str) -> None:
    step = f"{PREFIX[lang]}CreatePet"
    done = run_motia(
        "invoke", step, "--input", '{"name": " Rex ", "species": "dog", "ageMonths": 3}', cwd=REPO_ROOT
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    store = f"{lang}-pets"
    assert re.search(rf'\[{step}\] \w{{8}} state\.set\("{store}", "[0-9a-f-]+", \{{"id"', out), out
    assert re.search(rf"\[{step}\] \(\w+-0\) \w{{8}} 🐾 Pet created", out), out
    assert f'emit({{"topic": "{lang}.pet.created"' in out and "(not delivered: motia invoke)" in out
    assert 'streams.set("petCreation"' in out
    result = json.loads(out.split("result: ", 1)[1])
    assert result["status"] == 201 and result["body"]["pet"]["name"] == "Rex"
    assert "ready on http" not in out  # no server


def test_invoke_runs_an_event_step_from_a_state_file(tmp_path: Path) -> None:
    pet = {"id": "p1", "name": "Rex", "species": "dog", "ageMonths": 3, "status": "new", "symptoms": []}
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"ts-pets": {"p1": pet}}))
    done = run_motia(
        "invoke",
        "TsSetNextFeedingReminder",
        "--input",
        '{"petId": "p1", "enqueuedAt": 1}',
        "--state-from",
        str(state),
        cwd=REPO_ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert 'state.get("ts-pets", "p1") -> {"id": "p1", "name": "Rex"' in done.stdout
    assert "Next feeding reminder set" in done.stdout
    assert 'emit({"topic": "ts.feeding.reminder.completed"' in done.stdout


FAILING = {
    "ts": """
        export const config = { type: 'event', name: 'Boom', subscribes: ['go'], emits: [] }
        export const handler = async () => { throw new Error('boom at the handler') }
    """,
    "js": """
        exports.config = { type: 'event', name: 'Boom', subscribes: ['go'], emits: [] }
        exports.handler = async () => { throw new Error('boom at the handler') }
    """,
    "py": """
        config = {"type": "event", "name": "Boom", "subscribes": ["go"], "emits": []}
        async def handler(data, context):
            raise RuntimeError("boom at the handler")
    """,
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_invoke_exits_1_when_the_handler_fails_and_2_when_it_cannot_run(tmp_path: Path, lang: str) -> None:
    write_project(tmp_path, {step_path(lang, "boom"): FAILING[lang]})
    failed = run_motia("invoke", "Boom", "--input", "{}", cwd=tmp_path)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "failed: " in failed.stdout and "boom at the handler" in failed.stdout
    unknown = run_motia("invoke", "Bang", cwd=tmp_path)
    assert unknown.returncode == 2
    assert "no step named 'Bang' is loaded (steps: Boom)" in unknown.stderr
    wrong = run_motia("invoke", "Boom", "--request", "{}", cwd=tmp_path)
    assert wrong.returncode == 2 and "--request is for api steps" in wrong.stderr
    bad = run_motia("invoke", "Boom", "--input", "{nope", cwd=tmp_path)
    assert bad.returncode == 2 and "--input is not valid JSON" in bad.stderr


def test_invoke_under_a_debugger_stops_at_a_breakpoint_and_finishes_once_resumed(
    tmp_path: Path, client_packages: Path
) -> None:
    source = """
        export const config = { type: 'event', name: 'Doubler', subscribes: ['go'], emits: [] }
        export const handler = async (input: { n: number }, { logger }: any) => {
          const doubled = input.n * 2
          debugger
          logger.info('doubled', { doubled })
        }
    """
    write_project(tmp_path, {step_path("ts", "doubler"): source})
    port = free_port()
    invoke = subprocess.Popen(
        motia_argv(
            "invoke", "Doubler", "--input", '{"n": 21}', f"--inspect-node=127.0.0.1:{port}", "--inspect-wait"
        ),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # The runner waits for it before loading the step; the handler runs as soon as it is loaded, so
        # it stops at a `debugger` statement (a breakpoint set after attaching could come too late).
        debugger = NodeInspector("127.0.0.1", port)
        try:
            debugger.wait_paused(timeout=60)
            assert debugger.evaluate("doubled") == 42
            debugger.resume()
        finally:
            debugger.close()
        out, _ = invoke.communicate(timeout=60)
    finally:
        if invoke.poll() is None:
            invoke.kill()
            invoke.communicate()
    assert invoke.returncode == 0, out
    assert re.search(r'\[Doubler\] \(node-0\) \w{8} doubled \{"doubled":42\}', out), out


NO_STATUS = {
    "ts": """
        export const config = { type: 'api', name: 'Quiet', path: '/quiet', method: 'GET', emits: [] }
        export const handler = async () => ({ body: { said: 'nothing' } })
    """,
    "js": """
        exports.config = { type: 'api', name: 'Quiet', path: '/quiet', method: 'GET', emits: [] }
        exports.handler = async () => ({ body: { said: 'nothing' } })
    """,
    "py": """
        config = {"type": "api", "name": "Quiet", "path": "/quiet", "method": "GET", "emits": []}
        async def handler(request, context):
            return {"body": {"said": "nothing"}}
    """,
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_invoke_fails_an_api_answer_the_server_would_answer_500_for(tmp_path: Path, lang: str) -> None:
    """An answer with no status is a 500 from the server: ``motia invoke`` fails it too, saying why."""
    write_project(tmp_path, {step_path(lang, "quiet"): NO_STATUS[lang]})
    done = run_motia("invoke", "Quiet", cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "failed: the server would answer 500: handler returned no status (expected 200-599)" in done.stdout
