"""A runner that is not running yet but can be (a spare, started while the pool's loops are blocked) is
a valid log filter with no lines yet: a listing (``GET /__motia/logs?runner=``, ``motia logs --runner
X``) answers an empty page, a live follow (``/__motia/logs/stream?runner=``, ``--follow``) waits for its
lines; one the project can never run is refused by both at once, naming the closest runner."""

from __future__ import annotations

import concurrent.futures
import json
import subprocess
import threading
from pathlib import Path
from typing import Any

import httpx

from tests.support.project import write_project
from tests.support.server import REPO_ROOT, MotiaServer, eventually, motia_argv

FILES = {
    "steps/block_step.py": """
        import time
        config = {"type": "api", "name": "Block", "path": "/block", "method": "POST", "emits": []}
        async def handler(req, context):
            time.sleep(8)  # holds the only runner's event loop: work that waits goes to a spare
            return {"status": 200, "body": {}}
    """,
    "steps/ok_step.py": """
        import os
        config = {"type": "api", "name": "Ok", "path": "/ok", "method": "GET", "emits": []}
        async def handler(req, context):
            context.logger.info("answered")
            return {"status": 200, "body": {"pid": os.getpid()}}
    """,
}
#: a pool of one python runner with spares; no node spares
CONFIG = {"runners": {"python": {"poolSize": 1, "spareRunners": 1}, "node": {"spareRunners": 0}}}


def test_a_runner_that_can_start_later_is_listed_empty_and_followed_and_one_that_never_can_is_refused(
    tmp_path: Path,
) -> None:
    project = write_project(tmp_path, FILES, CONFIG)
    with MotiaServer(project) as server, concurrent.futures.ThreadPoolExecutor(1) as pool:
        # no spare runs yet, and no line names one: a listing finds no lines, a follower waits
        listed = server.client.get("/__motia/logs", params={"runner": "python-spare"})
        assert (listed.status_code, listed.json()["logs"]) == (200, []), listed.text
        cli_listed = subprocess.run(
            motia_argv("logs", "--runner", "python-spare", "-p", str(server.port)),
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert cli_listed.returncode == 0, cli_listed.stderr
        received: list[dict[str, Any]] = []
        opened = threading.Event()

        def follow() -> None:
            with httpx.stream(
                "GET", f"{server.url}/__motia/logs/stream", params={"runner": "python-spare"}, timeout=60
            ) as response:
                received.append({"status": response.status_code})
                opened.set()
                for line in response.iter_lines():
                    if line.startswith("data: "):
                        received.append(json.loads(line[6:]))
                        return

        follower = threading.Thread(target=follow, daemon=True)
        follower.start()
        assert opened.wait(30)
        assert received == [{"status": 200}]

        blocked = pool.submit(server.client.post, "/block")
        eventually(lambda: "has blocked the event loop of runner python-0" in server.output)
        answered = server.client.get("/ok")
        assert answered.status_code == 200, answered.text
        follower.join(60)
        assert not follower.is_alive()
        assert (received[1]["message"], received[1]["runner"]) == ("answered", "python-spare-0")
        assert blocked.result().status_code == 200

        # ids the project never gives: a second slot of a pool of one, a node spare with none allowed
        for runner, closest in (("python-1", "python-0"), ("node-spare", "node-isolated-0")):
            message = (
                f"no runner named {runner!r}: no kind of runner, none running now or to come, "
                f"none recorded; did you mean {closest!r}?"
            )
            for endpoint in ("/__motia/logs/stream", "/__motia/logs"):
                refused = server.client.get(endpoint, params={"runner": runner})
                assert (refused.status_code, refused.json()["message"]) == (404, message), (endpoint, runner)
        cli = subprocess.run(
            motia_argv("logs", "--runner", "python-1", "-n", "0", "--follow", "-p", str(server.port)),
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert cli.returncode != 0 and "no runner named 'python-1'" in cli.stderr, cli.stderr
        # an attached runner's id, numbered on as runners attach: followed
        with httpx.stream(
            "GET", f"{server.url}/__motia/logs/stream", params={"runner": "node-attached-3"}, timeout=30
        ) as response:
            assert response.status_code == 200
