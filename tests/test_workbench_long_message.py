"""A log line of many lines (a step's console.error of an error object, as ai-hedgefund's web search
logs its axios error: Node prints the error's whole config) in the Workbench, in Debian's Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.drivers import run_driver
from tests.support.project import write_project
from tests.support.server import MotiaServer, eventually

pytestmark = pytest.mark.e2e

SEARCH = {
    "steps/search.step.js": """
        exports.config = { type: 'api', name: 'Search', path: '/search', method: 'POST', emits: [] }
        exports.handler = async (req, { logger }) => {
          logger.info('searching')
          const config = Object.fromEntries(Array.from({ length: 40 }, (_, n) => [`option${n}`, n]))
          console.error('Search failed:', Object.assign(new Error('getaddrinfo ENOTFOUND serper.dev'), { config }))
          return { status: 502, body: {} }
        }
    """,
}


def test_a_log_line_of_many_lines_shows_its_first_ones_and_opens_whole(
    tmp_path: Path, chromium: str, client_packages: Path
) -> None:
    """Every line of such a message was shown, in the trace's table and the Logs panel alike, one
    after another: a trace of six failing requests some 6000 pixels tall. Its first four lines show,
    and how many more; opened, the line shows the message whole."""
    project = write_project(tmp_path / "project", SEARCH)
    with MotiaServer(project, mode="dev") as server:
        trace_id = server.client.post("/search", json={}).headers["x-trace-id"]
        logs = eventually(
            lambda: [
                line
                for line in server.client.get("/__motia/logs", params={"traceId": trace_id}).json()["logs"]
                if line["message"].startswith("Search failed:")
            ]
        )
        seen = run_driver(
            client_packages,
            "workbench-long-message-driver.mjs",
            chromium,
            server.url,
            str(tmp_path),
            trace_id,
        )
    assert "failure" not in seen, seen["failure"]
    message: str = logs[0]["message"]
    lines = message.split("\n")
    assert len(lines) > 40  # the error's stack and its 40 options, as Node prints them
    shown = "\n".join(lines[:4]) + f"\n… {len(lines) - 4} more lines: open the line to read them all"
    assert seen["traceRow"] == shown
    assert seen["logLine"] == shown
    assert seen["traceWhole"] == message
    assert seen["logWhole"] == message
    assert seen["shortLine"] == "searching"  # a line of its own is shown as it is
    assert seen["traceRowHeight"] < 200
    assert seen["consoleErrors"] == []
