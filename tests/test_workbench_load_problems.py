"""The files of a project that did not load, told in the Workbench's header, in Debian's Chromium: in
MotiaDev's fast-likes-smart-feeds a Python step imports a package its requirements leave commented
out, and its step was missing from the flow with nothing on the page saying so (but the Logs panel's
start-up lines)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.support.drivers import run_driver
from tests.support.project import write_project
from tests.support.server import MotiaServer, eventually

pytestmark = pytest.mark.e2e

LIKE = """
    exports.config = {
      type: 'api', name: 'LikeApi', path: '/like/:postId', method: 'POST', emits: ['like:database-sync'],
      flows: ['likes'],
    }
    exports.handler = async () => ({ status: 200, body: {} })
"""
SYNC = """
    from supabase import create_client

    config = {"type": "event", "name": "SupabaseSync", "subscribes": ["like:database-sync"], "emits": [], "flows": ["likes"]}

    async def handler(data, context):
        pass
"""


def test_the_header_counts_the_files_that_did_not_load_and_names_them_with_their_fix_until_they_load(
    tmp_path: Path, chromium: str, client_packages: Path
) -> None:
    project = write_project(
        tmp_path / "project", {"steps/like.step.js": LIKE, "steps/supabase_sync_step.py": SYNC}
    )
    with MotiaServer(project, mode="dev") as server:
        health = server.client.get("/__motia/workbench/health").json()
        error = "steps/supabase_sync_step.py:1:1: ModuleNotFoundError: No module named 'supabase'"
        # with the fix the start-up summary printed under it (the same rule's words)
        [fix] = [line.split("     fix: ", 1)[1] for line in server.lines if "     fix: " in line]
        assert "run `motia install`" in fix, fix
        assert health["problems"] == [{"error": error, "fix": fix}]
        seen = run_driver(
            client_packages, "workbench-load-problems-driver.mjs", chromium, server.url, str(tmp_path), "1"
        )
        assert "failure" not in seen, seen["failure"]
        assert seen["line"].startswith("1 step · ") and seen["line"].endswith(" · 1 load problem")
        assert seen["title"] == (f"Not loaded (the steps they define are missing):\n{error}\n  fix: {fix}")

        # the import fixed (the package dropped): the step loads, and the line says no more
        (project / "steps" / "supabase_sync_step.py").write_text(
            textwrap.dedent(SYNC).replace("from supabase import create_client", "")
        )
        eventually(lambda: server.client.get("/__motia/workbench/health").json()["steps"] == 2)
        seen = run_driver(
            client_packages, "workbench-load-problems-driver.mjs", chromium, server.url, str(tmp_path), "0"
        )
    assert "failure" not in seen, seen["failure"]
    assert seen["line"].startswith("2 steps · ") and "load problem" not in seen["line"]
    assert not seen["title"]
    assert seen["consoleErrors"] == []


def test_a_step_whose_file_does_not_load_is_listed_in_the_flows_panel_or_drawn_marked_in_its_flow(
    tmp_path: Path, chromium: str, client_packages: Path
) -> None:
    """A step file that did not load disappeared from its flow's diagram, only the header's count
    saying so. At start-up its config is not known: the Flows panel lists the file, its error and the
    fix the dev log's start-up summary prints under it.
    Broken while `motia dev` runs (it loaded before), it stays in its flow as it last loaded, marked
    as failing to load, its error and the same fix shown on click; nothing is listed then."""
    project = write_project(
        tmp_path / "project", {"steps/like.step.js": LIKE, "steps/supabase_sync_step.py": SYNC}
    )
    error = "steps/supabase_sync_step.py:1:1: ModuleNotFoundError: No module named 'supabase'"

    def the_flow(server: MotiaServer, wait_for: str) -> Any:
        driver = "workbench-flow-load-problems-driver.mjs"
        return run_driver(client_packages, driver, chromium, server.url, str(tmp_path), "likes", wait_for)

    with MotiaServer(project, mode="dev") as server:
        read = server.client.get("/__motia/flows").json()
        assert [step["name"] for step in read["flows"][0]["steps"]] == ["LikeApi"]
        # with the fix the start-up summary printed under it (the same rule's words)
        [fix] = [line.split("     fix: ", 1)[1] for line in server.lines if "     fix: " in line]
        assert fix.startswith("`supabase` is not installed in ") and "run `motia install`" in fix, fix
        assert read["loadProblems"] == [{"file": "steps/supabase_sync_step.py", "error": error, "fix": fix}]
        listed = the_flow(server, "[data-load-problems]")
        assert "failure" not in listed, listed["failure"]

        # loaded, then broken again while it runs
        sync = project / "steps" / "supabase_sync_step.py"
        sync.write_text(textwrap.dedent(SYNC).replace("from supabase import create_client", ""))
        eventually(lambda: server.client.get("/__motia/workbench/health").json()["steps"] == 2)
        sync.write_text(textwrap.dedent(SYNC).lstrip("\n"))  # as at first: line 1

        def marked() -> dict[str, Any] | None:
            read = server.client.get("/__motia/flows").json()
            steps = {step["name"]: step for step in read["flows"][0]["steps"]}
            return read if "loadError" in steps.get("SupabaseSync", {}) else None

        read = eventually(marked)
        assert read["loadProblems"] == []
        [sync_step] = [step for step in read["flows"][0]["steps"] if step["name"] == "SupabaseSync"]
        assert sync_step["loadError"] == error and sync_step["subscribes"] == ["like:database-sync"]
        # the same fix as when it was listed: shown where its error shows
        assert sync_step["loadFix"] == fix
        assert [edge["id"] for edge in read["flows"][0]["edges"]] == [
            "LikeApi->SupabaseSync:like:database-sync"
        ]
        # nothing runs it: it is no step of the server's
        assert server.client.get("/__motia/workbench/health").json()["steps"] == 1
        drawn = the_flow(server, ".node.failing")
    assert "failure" not in drawn, drawn["failure"]

    assert listed["nodes"] == [{"step": "LikeApi", "failing": False, "sub": "POST /like/:postId"}]
    assert listed["listed"] == [{"file": "steps/supabase_sync_step.py", "error": error, "fix": f"fix: {fix}"}]
    assert listed["clicked"] == {}
    assert sorted(drawn["nodes"], key=lambda node: node["step"]) == [
        {"step": "LikeApi", "failing": False, "sub": "POST /like/:postId"},
        {"step": "SupabaseSync", "failing": True, "sub": "fails to load · click for why"},
    ]
    assert drawn["listed"] == []
    assert drawn["clicked"] == {"SupabaseSync": {"error": error, "fix": f"fix: {fix}"}}
    assert listed["consoleErrors"] == drawn["consoleErrors"] == []
