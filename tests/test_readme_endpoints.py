"""Every ``/__motia/`` endpoint the README names is served, with the query parameters it documents.

The endpoints are read from the README's inline code (the Commands section's paragraph, the
Observability table, the Real-time streams reads): ``METHOD /__motia/path[?a=&b=]``. One real
``motia dev`` serves a small project and each endpoint is called once, with a value for every
parameter the README gives it: an endpoint no route takes answers ``no api step handles ...`` (404)
or 405, and the traces and logs endpoints refuse a parameter they do not read (400 ``unknown
parameter``), so a README naming a path, a method or a parameter the server lacks fails here.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.project import write_project
from tests.support.server import MotiaServer, eventually

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[1]
METHOD = r"(?:GET|POST|PUT|PATCH|DELETE)"

FILES = {
    "steps/ping_step.py": """
        config = {"type": "api", "name": "Ping", "path": "/ping", "method": "GET", "emits": ["pinged"]}

        async def handler(req, context):
            await context.state.set("g", "k", {"v": 1})
            await context.streams.notes.set("grp", "n1", {"text": "hi"})
            context.logger.info("pong")
            await context.emit({"topic": "pinged", "data": {}})
            return {"status": 200, "body": {"ok": True}}
    """,
    "steps/fail_step.py": """
        config = {"type": "event", "name": "Fail", "subscribes": ["pinged"], "emits": [],
                  "infrastructure": {"queue": {"maxRetries": 0}}}

        async def handler(data, context):
            raise RuntimeError("to the dead letters")
    """,
    "steps/tick_step.py": """
        config = {"type": "cron", "name": "Tick", "cron": "0 0 1 1 *", "emits": []}

        async def handler(context):
            return None
    """,
    "steps/notes_stream.py": """
        config = {"name": "notes", "schema": {"type": "object"}, "baseConfig": {"storageType": "default"}}
    """,
}


@dataclass(frozen=True)
class Endpoint:
    methods: tuple[str, ...]
    path: str  # with the README's placeholders (ID, NAME, G, <name>...) and [optional] parts
    params: tuple[str, ...]

    def __str__(self) -> str:
        return f"{'|'.join(self.methods)} {self.path}?{'&'.join(self.params)}"


def readme_endpoints() -> list[Endpoint]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    prose = re.sub(r"```.*?```", "", readme, flags=re.S)
    found: dict[str, Endpoint] = {}
    for span in re.findall(r"`([^`\n]+)`", prose):
        # `GET\|DELETE /__motia/state/items?groupId=G`, `GET /__motia/flows`, `GET /__motia/flows/ID`
        for match in re.finditer(rf"({METHOD}(?:\\?\|{METHOD})*) (/__motia/[^\s,]*)", span):
            methods = tuple(re.split(r"\\?\|", match.group(1)))
            target = match.group(2)
            path, _, query = target.replace("[?", "?").partition("?")
            params = tuple(re.findall(r"(\w+)=", query))
            endpoint = Endpoint(methods, path, params)
            found[str(endpoint)] = endpoint
    # the curl lines of the examples: `curl -N http://127.0.0.1:3000/__motia/sse/petCreation/$trace`
    for method, path in re.findall(r"curl (?:-\w+ )*(?:-X (\w+) )?\S*?(/__motia/[^\s'\"]+)", readme):
        stream = re.sub(r"^/__motia/sse/[^/]+", "/__motia/sse/notes", path)  # the project's own stream
        endpoint = Endpoint(
            (method or "GET",), re.sub(r"\$\w+", "grp", stream, count=1).replace("$ID", "n1"), ()
        )
        found[str(endpoint)] = endpoint
    return list(found.values())


@dataclass
class Known:
    """Real values of the running project, for the README's placeholders and parameters."""

    trace_id: str
    trace_cursor: str
    log_id: str
    dead_letter: str


def concrete(path: str, known: Known) -> list[str]:
    """The path with its placeholders filled in; an optional tail (``[/ID]``) both without and with."""
    optional = re.search(r"\[(/[^\]]+)\]$", path)
    paths = [path[: optional.start()], path[: optional.start()] + optional.group(1)] if optional else [path]
    values = {
        "traces/ID": f"traces/{known.trace_id}",
        "dead-letters/ID": f"dead-letters/{known.dead_letter}",
        "cron/NAME": "cron/Tick",
        "streams/NAME": "streams/notes",
        "streams/<name>": "streams/notes",
        "flows/ID": "flows/default",
        "GROUP": "grp",
        "<groupId>": "grp",
        "/ID": "/n1",
        "<id>": "n1",
    }
    filled = []
    for one in paths:
        for placeholder, value in values.items():
            one = one.replace(placeholder, value)
        filled.append(one)
    return filled


def parameter_sets(params: tuple[str, ...], known: Known) -> list[dict[str, str]]:
    values = {
        "step": "Ping",
        "status": "ok",
        "answered": "4xx,5xx",
        "since": "0",
        "until": str(int(time.time() * 1000) + 60_000),
        "traceId": known.trace_id[:8],
        "text": "ping",
        "limit": "5",
        "cursor": known.trace_cursor,
        "level": "info",
        "runner": "python",
        "q": "pong",
        "before": known.log_id,
        "after": known.log_id,
        "groupId": "g",
        "key": "k",
        "wait": "1",
    }
    # a parameter new to this test gets a dummy value: the endpoints that check theirs say if it is unknown
    every = {name: values.get(name, "1") for name in params}
    if "before" in every and "after" in every:  # documented: not both at once
        forward = {"after": every.pop("after")}
        return [every, forward]
    return [every]


def call(client: httpx.Client, method: str, path: str, params: dict[str, str]) -> httpx.Response:
    if path.endswith("/stream") or path.startswith("/__motia/sse/"):
        with client.stream(method, path, params=params) as response:
            if response.status_code >= 400:  # an error is a JSON body; a live stream is left unread
                response.read()
            return response
    # what each POST takes: an emit, a flow's node positions (none), else any JSON
    bodies = {"/emit": {"topic": "pinged", "data": {}}, "/config": {"config": {}}}
    body = next((sent for end, sent in bodies.items() if path.endswith(end)), {"v": 2})
    return client.request(method, path, params=params, json=body if method in ("POST", "PUT") else None)


def refusal(response: httpx.Response) -> str | None:
    """Why the answer says the README is wrong (no such route, method or parameter), or None."""
    if response.status_code == 405:
        return f"405: {response.text[:200]}"
    text = response.text if not response.headers.get("content-type", "").startswith("text/event") else ""
    if response.status_code == 404 and "no api step handles" in text:
        return f"404, no route: {text[:200]}"
    if response.status_code == 400:
        return f"400: {text[:200]}"
    return None


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[MotiaServer, Known]]:
    project = write_project(
        tmp_path_factory.mktemp("readme-endpoints"), FILES, {"state": {"adapter": "memory"}}
    )
    with MotiaServer(project, mode="dev") as server:
        for _ in range(2):
            assert server.client.get("/ping").status_code == 200
        letters = eventually(lambda: server.client.get("/__motia/dead-letters").json()["deadLetters"])
        traces = server.client.get("/__motia/traces", params={"limit": 1}).json()
        logs = server.client.get("/__motia/logs", params={"limit": 1}).json()["logs"]
        known = Known(
            traces["traces"][0]["traceId"], traces["nextCursor"], str(logs[0]["id"]), str(letters[0]["id"])
        )
        yield server, known


def test_every_motia_endpoint_the_readme_names_is_served(served: tuple[MotiaServer, Known]) -> None:
    server, known = served
    endpoints = readme_endpoints()
    assert len(endpoints) >= 25, [str(e) for e in endpoints]  # the extraction still finds them
    wrong = []
    # deletions last: a dead letter or state item deleted first would 404 the reads after it
    for endpoint in sorted(endpoints, key=lambda e: e.methods == ("DELETE",)):
        for method in sorted(endpoint.methods, key=lambda m: m == "DELETE"):
            for path in concrete(endpoint.path, known):
                for params in parameter_sets(endpoint.params, known):
                    why = refusal(call(server.client, method, path, params))
                    if why:
                        wrong.append(f"{method} {path} {params}: {why}")
    assert not wrong, "\n".join(wrong)


def test_an_endpoint_method_or_parameter_the_server_lacks_is_caught(
    served: tuple[MotiaServer, Known],
) -> None:
    server, known = served
    assert refusal(call(server.client, "GET", "/__motia/trace", {}))
    assert refusal(call(server.client, "PUT", "/__motia/runners", {}))
    assert refusal(call(server.client, "GET", "/__motia/traces", {"stauts": "ok"}))
    assert refusal(call(server.client, "GET", "/__motia/logs/stream", {"grep": "x"}))
    assert not refusal(call(server.client, "GET", f"/__motia/traces/{known.trace_id}", {}))


def test_the_readme_documents_every_parameter_the_traces_and_logs_endpoints_read(
    served: tuple[MotiaServer, Known],
) -> None:
    # the other direction: these endpoints say which parameters they read when given one they do not
    server, _ = served
    documented: dict[str, set[str]] = {}  # a path's parameters, wherever the README names them
    for endpoint in readme_endpoints():
        documented.setdefault(endpoint.path, set()).update(endpoint.params)
    for path in ("/__motia/traces", "/__motia/logs", "/__motia/logs/stream"):
        answer = call(server.client, "GET", path, {"notAParameter": "1"})
        reads = re.search(r"this endpoint reads ([\w, ]+)\)", answer.text)
        assert reads, answer.text
        undocumented = set(reads.group(1).split(", ")) - documented.get(path, set())
        assert not undocumented, f"{path} reads {sorted(undocumented)}, which the README does not list"
