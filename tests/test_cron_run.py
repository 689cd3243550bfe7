"""``motia cron run NAME [--wait]`` (``POST /__motia/cron/NAME/run``): the trace a run goes in, and,
waited for, how it ended: it said ``started`` after waiting, with no trace and exit 0 whatever the
handler did (wake-surf-club's crons, run by hand)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import LANGUAGES
from tests.support.project import step_path, write_project
from tests.support.server import MotiaServer, motia_argv

pytestmark = pytest.mark.e2e

# Two cron steps (at new year only: run by hand here): Tidy returns, Blast throws.
SOURCES = {
    "ts": """
        export const config = {{ type: 'cron', name: '{name}', cron: '0 0 1 1 *', emits: [] }}
        export const handler = async () => {{ {body} }}
    """,
    "js": """
        exports.config = {{ type: 'cron', name: '{name}', cron: '0 0 1 1 *', emits: [] }}
        exports.handler = async () => {{ {body} }}
    """,
    "py": """
        config = {{"type": "cron", "name": "{name}", "cron": "0 0 1 1 *", "emits": []}}
        async def handler(context):
            {body}
    """,
}
BODIES = {
    "ts": ("return", "throw new Error('Twilio credentials not configured')"),
    "js": ("return", "throw new Error('Twilio credentials not configured')"),
    "py": ("return None", "raise RuntimeError('Twilio credentials not configured')"),
}


def cron_run(server: MotiaServer, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        motia_argv("cron", "run", *args, "-p", str(server.port)), capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_cron_run_names_its_trace_and_waited_for_says_how_it_ended(tmp_path: Path, lang: str) -> None:
    fine, failing = BODIES[lang]
    files = {
        step_path(lang, "tidy"): SOURCES[lang].format(name="Tidy", body=fine),
        step_path(lang, "blast"): SOURCES[lang].format(name="Blast", body=failing),
    }
    with MotiaServer(write_project(tmp_path, files), mode="dev") as server:
        started = cron_run(server, "Tidy")
        assert started.returncode == 0, started.stderr
        answer = json.loads(started.stdout)
        assert answer["status"] == "started" and answer["traceId"]

        finished = cron_run(server, "Tidy", "--wait")
        assert finished.returncode == 0, finished.stderr
        answer = json.loads(finished.stdout)
        assert answer["status"] == "finished" and answer["step"] == "Tidy"
        trace = server.client.get(f"/__motia/traces/{answer['traceId']}").json()
        assert trace["entry"]["step"] == "Tidy" and trace["status"] == "ok"

        failed = cron_run(server, "Blast", "--wait")
        assert failed.returncode == 1 and failed.stdout == ""
        # said as every command says a refusal, not the server's JSON; the trace named to look into
        said, _, trace_id = failed.stderr.strip().rpartition("; its trace: motia traces ")
        assert said.startswith("motia cron run: cron step Blast failed: "), failed.stderr
        assert "Twilio credentials not configured" in said
        trace = server.client.get(f"/__motia/traces/{trace_id}").json()
        assert trace["entry"]["step"] == "Blast" and trace["status"] == "error"

        unknown = cron_run(server, "Tidyy")
        assert unknown.returncode == 1 and unknown.stdout == ""
        assert (
            unknown.stderr.strip()
            == "motia cron run: no cron step named 'Tidyy'; the cron steps: Blast, Tidy"
        )


def test_cron_run_takes_a_step_name_with_spaces_and_slashes(tmp_path: Path) -> None:
    """trello-flow's cron is named 'Check Overdue Cards': the CLI put the name into the URL unquoted,
    and its request failed before it was sent ("URL can't contain control characters"), told as a
    server it could not reach; a '/' in a name split the route."""
    names = ("Check Overdue Cards", "reports/daily #1?")
    files = {
        step_path("js", f"cron{index}"): SOURCES["js"].format(name=name, body="return")
        for index, name in enumerate(names)
    }
    with MotiaServer(write_project(tmp_path, files), mode="dev") as server:
        for name in names:
            finished = cron_run(server, name, "--wait")
            assert finished.returncode == 0, finished.stderr
            answer = json.loads(finished.stdout)
            assert answer["status"] == "finished" and answer["step"] == name
