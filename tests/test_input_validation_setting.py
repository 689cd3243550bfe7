"""The project's ``events.validateInput``: ``strict`` dead-letters an event failing its subscriber's
``input`` schema; a step's own ``validateInput`` wins over it. (Per-step strictness and the default
warning are in test_conformance.py, in every language.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.project import step_path, write_project
from tests.support.server import MotiaServer, eventually

pytestmark = pytest.mark.e2e

FILES = {
    step_path("py", "checked"): """
        config = {
            "type": "event", "name": "Checked", "subscribes": ["amounts"], "emits": [],
            "input": {"type": "object", "properties": {"amount": {"type": "number"}}, "required": ["amount"]},
        }
        async def handler(data, context):
            await context.state.set("ran", "Checked:" + context.trace_id, data)
    """,
    step_path("ts", "lenient"): """
        import { z } from 'zod'
        export const config = {
          type: 'event', name: 'Lenient', subscribes: ['amounts'], emits: [],
          input: z.object({ amount: z.number() }), validateInput: 'warn',
        }
        export const handler = async (data: unknown, { state, traceId }: any) => {
          await state.set('ran', 'Lenient:' + traceId, data)
        }
    """,
    step_path("py", "read"): """
        config = {"type": "api", "name": "Read", "path": "/ran/:key", "method": "GET", "emits": []}
        async def handler(req, context):
            return {"status": 200, "body": {"value": await context.state.get("ran", req.pathParams["key"])}}
    """,
}


def test_a_strict_project_dead_letters_bad_input_unless_the_step_says_warn(tmp_path: Path) -> None:
    write_project(tmp_path, FILES, config={"events": {"validateInput": "strict", "retryBackoffMs": 50}})
    with MotiaServer(tmp_path, mode="start") as server:
        emitted = server.client.post("/__motia/emit", json={"topic": "amounts", "data": {"amount": "ten"}})
        trace_id = emitted.json()["traceId"]

        def dead_letters() -> list[dict[str, Any]]:
            entries = server.client.get("/__motia/dead-letters").json()["deadLetters"]
            found = [entry for entry in entries if entry["traceId"] == trace_id]
            assert found
            return found

        assert [entry["subscriber"] for entry in eventually(dead_letters)] == ["Checked"]
        ran = eventually(lambda: server.client.get(f"/ran/Lenient:{trace_id}").json()["value"])
        assert ran == {"amount": "ten"}
        assert server.client.get(f"/ran/Checked:{trace_id}").json()["value"] is None
