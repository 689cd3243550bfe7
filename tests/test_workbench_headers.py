"""The headers a user types in the Workbench's Endpoints form, in Debian's Chromium: the way a
middleware-guarded endpoint is called (MotiaDev's middleware-auth-handler-example reads
``authorization``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.drivers import run_driver
from tests.support.project import write_project
from tests.support.server import MotiaServer

pytestmark = pytest.mark.e2e

WHOAMI = {
    "steps/whoami.step.js": """
        exports.config = { type: 'api', name: 'WhoAmI', path: '/whoami', method: 'GET', emits: [] }
        exports.handler = async (req) => ({
          status: 200,
          body: { authorization: req.headers.authorization ?? null, tenant: req.headers['x-tenant'] ?? null },
        })
    """,
}


def test_headers_are_sent_as_lines_or_a_json_object_and_a_wrong_one_is_named_not_sent(
    tmp_path: Path, chromium: str, client_packages: Path
) -> None:
    """The box says how to write headers; `name: value` lines and a JSON object (as pasted from code)
    are both sent; a line that is not `name: value`, or JSON that is not an object, is named with
    what is wrong and nothing is sent (a JSON object was fetch's bare "Invalid name" before)."""
    texts = [
        "authorization: Bearer t1\n\nx-tenant: acme",
        '{"authorization": "Bearer t2", "x-tenant": "acme"}',
        "authorization Bearer t3",
        '["authorization", "Bearer t4"]',
        '{"authorization": "Bearer t5",}',
    ]
    project = write_project(tmp_path / "project", WHOAMI)
    with MotiaServer(project, mode="dev") as server:
        seen = run_driver(
            client_packages,
            "workbench-headers-driver.mjs",
            chromium,
            server.url,
            str(tmp_path),
            "GET /whoami",
            json.dumps(texts),
        )
    assert "failure" not in seen, seen["failure"]
    assert "name: value" in seen["placeholder"] and "JSON" in seen["placeholder"]
    lines, as_json, no_colon, a_list, bad_json = seen["sends"]
    assert lines == {
        "sent": ["GET /whoami"],
        "status": 200,
        "body": {"authorization": "Bearer t1", "tenant": "acme"},
        "error": None,
    }
    assert as_json["body"] == {"authorization": "Bearer t2", "tenant": "acme"}
    assert no_colon == {
        "sent": [],
        "status": None,
        "body": None,
        "error": 'Headers, line 1: "authorization Bearer t3" is not name: value',
    }
    assert a_list["sent"] == [] and a_list["error"].startswith("Headers: a JSON object")
    assert bad_json["sent"] == [] and bad_json["error"].startswith("Headers: not valid JSON")
    assert seen["consoleErrors"] == []
