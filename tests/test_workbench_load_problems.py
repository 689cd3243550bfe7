"""The files of a project that did not load, told in the Workbench's header, in Debian's Chromium: in
MotiaDev's fast-likes-smart-feeds a Python step imports a package its requirements leave commented
out, and its step was missing from the flow with nothing on the page saying so (but the Logs panel's
start-up lines)."""

from __future__ import annotations

import textwrap
from pathlib import Path

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


def test_the_header_counts_the_files_that_did_not_load_and_names_them_until_they_load(
    tmp_path: Path, chromium: str, client_packages: Path
) -> None:
    project = write_project(
        tmp_path / "project", {"steps/like.step.js": LIKE, "steps/supabase_sync_step.py": SYNC}
    )
    with MotiaServer(project, mode="dev") as server:
        health = server.client.get("/__motia/workbench/health").json()
        assert health["problems"] == [
            "steps/supabase_sync_step.py:1:1: ModuleNotFoundError: No module named 'supabase'"
        ]
        seen = run_driver(
            client_packages, "workbench-load-problems-driver.mjs", chromium, server.url, str(tmp_path), "1"
        )
        assert "failure" not in seen, seen["failure"]
        assert seen["line"].startswith("1 step · ") and seen["line"].endswith(" · 1 load problem")
        assert seen["title"] == (
            "Not loaded (the steps they define are missing):\n"
            "steps/supabase_sync_step.py:1:1: ModuleNotFoundError: No module named 'supabase'"
        )

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
