"""What survives the supervisor being killed (SIGKILL): every acknowledged emit and state write."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.project import write_project
from tests.support.server import MotiaServer, eventually, free_port, run_motia

pytestmark = pytest.mark.e2e

FILES = {
    "steps/slow.step.js": """
        exports.config = { type: 'event', name: 'Slow', subscribes: ['job'], emits: [] }
        exports.handler = async (input, { state }) => {
          await new Promise((resolve) => setTimeout(resolve, 50))
          await state.set('done', String(input.n), input.n)
        }
    """,
    "steps/put.step.js": """
        exports.config = { type: 'api', name: 'Put', path: '/put/:key', method: 'POST', emits: [] }
        exports.handler = async (req, { state }) => {
          await state.set('kept', req.pathParams.key, req.body)
          return { status: 200, body: {} }
        }
    """,
    "steps/count.step.js": """
        exports.config = { type: 'api', name: 'Count', path: '/count/:group', method: 'GET', emits: [] }
        exports.handler = async (req, { state }) =>
          ({ status: 200, body: { count: (await state.getGroup(req.pathParams.group)).length } })
    """,
}


def test_acknowledged_emits_and_state_writes_survive_a_sigkill_of_the_supervisor(tmp_path: Path) -> None:
    # A small window, so that most of the backlog is on disk when the supervisor dies.
    project = write_project(tmp_path, FILES, {"events": {"concurrency": 4}})
    events = 300
    with MotiaServer(project) as first:
        assert first.client.post("/put/a", json={"v": 1}).status_code == 200
        for n in range(events):
            response = first.client.post("/__motia/emit", json={"topic": "job", "data": {"n": n}})
            assert response.status_code == 200
        first.proc.kill()  # SIGKILL: no shutdown, no flush, in-flight handlers cut short
        first.proc.wait(timeout=10)
    with MotiaServer(project) as second:
        assert eventually(lambda: second.client.get("/count/done").json()["count"] == events, timeout=90)
        assert second.client.get("/count/kept").json()["count"] == 1


def test_a_second_supervisor_on_the_same_embedded_store_refuses_until_the_first_is_gone(
    tmp_path: Path,
) -> None:
    project = write_project(tmp_path, {"steps/put.step.js": FILES["steps/put.step.js"]})
    first = MotiaServer(project).wait_ready()
    try:
        second = run_motia("dev", "--project", str(project), "-p", str(free_port()), cwd=tmp_path, timeout=60)
        assert second.returncode == 1
        (line,) = [line for line in second.stdout.splitlines() if line.strip()]
        assert f"another motia (pid {first.proc.pid}, motia dev on http://127.0.0.1:{first.port})" in line
        assert f"({project / '.motia'})" in line
        assert first.client.post("/put/a", json={}).status_code == 200  # the first one is untouched
        first.proc.kill()  # SIGKILL: the kernel lets the claim go, nothing stale is left behind
        first.proc.wait()
    finally:
        first.stop()
    with MotiaServer(project) as third:
        assert third.client.post("/put/b", json={}).status_code == 200
    # Only the embedded store is claimed: on memory adapters several may run side by side.
    memory = {
        "MOTIA_STATE_ADAPTER": "memory",
        "MOTIA_STREAMS_ADAPTER": "memory",
        "MOTIA_EVENTS_ADAPTER": "memory",
    }
    with MotiaServer(project, env=memory), MotiaServer(project, env=memory) as other:
        assert other.client.post("/put/c", json={}).status_code == 200


@pytest.mark.parametrize("mode", ["dev", "start"])
def test_motia_dir_keeps_the_data_where_it_names_as_motias_option_does(tmp_path: Path, mode: str) -> None:
    # a deployment keeps its data on a volume of its own: `motia start --motia-dir /data` (Motia's option)
    project = write_project(
        tmp_path / "app", {k: FILES[k] for k in ("steps/put.step.js", "steps/count.step.js")}
    )
    volume = tmp_path / "volume" / "motia"
    with MotiaServer(project, mode=mode, args=["--motia-dir", str(volume)]) as first:
        assert first.client.post("/put/a", json={"v": 1}).status_code == 200
    assert {"motia.db", "traces.db"} <= {path.name for path in volume.iterdir()}
    assert not (project / ".motia" / "motia.db").exists()
    with MotiaServer(project, mode=mode, args=["--motia-dir", str(volume)]) as again:
        assert again.client.get("/count/kept").json() == {"count": 1}  # the same data, read back
        # the claim is on that folder: a second server on it refuses, naming it
        second = run_motia(
            mode, "--project", str(project), "-p", str(free_port()), "--motia-dir", str(volume), cwd=tmp_path
        )
        assert second.returncode == 1 and f"({volume})" in second.stdout
    with MotiaServer(project, mode=mode) as default:
        assert default.client.get("/count/kept").json() == {"count": 0}  # the project's own .motia/
