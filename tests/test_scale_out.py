"""Two supervisors on one Redis, end to end, as real processes: the events emitted through both are
each handled, a cron tick fires once across both, a stream client on one sees the writes made
through the other, traces and logs recorded by one are read (and followed live) through the other,
and when one is killed (SIGKILL) in the middle of the load the other handles everything it had."""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.drivers import run_driver
from tests.support.project import write_project
from tests.support.raw_socket import RawSocket
from tests.support.redis_server import RedisServer, redis_server_binary
from tests.support.server import MotiaServer, eventually, free_port, run_motia

pytestmark = pytest.mark.e2e

# The handler appends one line per run to a file both supervisors' runners share: O_APPEND writes
# of a short line do not interleave, so the file counts every run, duplicates included.
HANDLE = """
    const fs = require('fs')
    exports.config = { type: 'event', name: 'Handle', subscribes: ['job'], emits: [] }
    exports.handler = async (input) => {
      await new Promise((resolve) => setTimeout(resolve, input.sleep || 0))
      fs.appendFileSync(process.env.SCALE_OUT_LOG, `${input.n} ${process.env.SUPERVISOR_LABEL}\\n`)
    }
"""

COUNT = """
    exports.config = { type: 'api', name: 'Count', path: '/count', method: 'GET', emits: [] }
    exports.handler = async (_req, { state }) => ({ status: 200, body: { n: (await state.getGroup('g')).length } })
"""

FILES = {
    "steps/handle.step.js": HANDLE,
    "steps/tick.step.js": """
        const fs = require('fs')
        exports.config = { type: 'cron', name: 'Tick', cron: '* * * * * *', emits: [] }
        exports.handler = async () => {
          fs.appendFileSync(process.env.SCALE_OUT_TICKS, `${Date.now()} ${process.env.SUPERVISOR_LABEL}\\n`)
        }
    """,
    "steps/items.stream.js": """
        exports.config = { name: 'items', schema: { type: 'object' }, baseConfig: { storageType: 'default' } }
    """,
    "steps/put.step.js": """
        exports.config = { type: 'api', name: 'Put', path: '/items/:id', method: 'POST', emits: [] }
        exports.handler = async (req, { streams }) => {
          const item = await streams.items.set('g', req.pathParams.id, req.body)
          return { status: 200, body: item }
        }
    """,
}


# A request's trace crosses two steps; each logs which supervisor ran it.
GREET = {
    "steps/hello.step.js": """
        exports.config = { type: 'api', name: 'Hello', path: '/hello', method: 'GET', emits: ['greeted'] }
        exports.handler = async (_req, { emit, logger }) => {
          logger.info(`hello from ${process.env.SUPERVISOR_LABEL}`)
          await emit({ topic: 'greeted', data: {} })
          return { status: 200, body: {} }
        }
    """,
    "steps/greeted.step.js": """
        exports.config = { type: 'event', name: 'Greeted', subscribes: ['greeted'], emits: [] }
        exports.handler = async (_input, { logger }) => {
          logger.info(`greeted on ${process.env.SUPERVISOR_LABEL}`)
        }
    """,
}


class Pair:
    """Supervisors A and B on one project folder and one Redis (and a key prefix of the test's own)."""

    def __init__(self, project: Path, redis_url: str, prefix: str) -> None:
        self.project = project
        self.log = project / "handled.log"
        self.ticks = project / "ticks.log"
        self.servers: dict[str, MotiaServer] = {}
        for label in ("A", "B"):
            env = {
                "MOTIA_REDIS_URL": redis_url,
                "SUPERVISOR_LABEL": label,
                "SCALE_OUT_LOG": str(self.log),
                "SCALE_OUT_TICKS": str(self.ticks),
            }
            self.servers[label] = MotiaServer(project, mode="start", env=env)
        for server in self.servers.values():
            server.wait_ready(timeout=90)

    @property
    def a(self) -> MotiaServer:
        return self.servers["A"]

    @property
    def b(self) -> MotiaServer:
        return self.servers["B"]

    def handled(self) -> list[tuple[int, str]]:
        if not self.log.exists():
            return []
        lines = self.log.read_text().splitlines()
        return [(int(n), label) for n, label in (line.split() for line in lines if line)]

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()


StartPair = Callable[..., Pair]


@pytest.fixture
def start_pair(tmp_path: Path, redis_server: RedisServer, redis_prefix: str) -> Iterator[StartPair]:
    """Starts A and B on a project of ``files`` (and motia.config.json keys ``config``)."""
    pairs: list[Pair] = []

    def start(files: dict[str, str], config: dict[str, object] | None = None) -> Pair:
        project = write_project(tmp_path, files, {"redis": {"prefix": redis_prefix}, **(config or {})})
        pair = Pair(project, redis_server.url, redis_prefix)
        pairs.append(pair)
        return pair

    yield start
    for pair in pairs:
        pair.stop()


def _emit(server: MotiaServer, n: int, sleep: int = 0) -> None:
    response = server.client.post("/__motia/emit", json={"topic": "job", "data": {"n": n, "sleep": sleep}})
    assert response.status_code == 200, response.text


def test_events_emitted_through_both_supervisors_are_each_handled_once(start_pair: StartPair) -> None:
    pair = start_pair({"steps/handle.step.js": HANDLE})
    events = 1000
    for n in range(events):
        _emit(pair.a if n % 2 == 0 else pair.b, n)
    eventually(lambda: len(pair.handled()) >= events, timeout=120)
    time.sleep(1.0)  # a duplicate would show up by now
    handled = pair.handled()
    runs = Counter(n for n, _ in handled)
    assert set(runs) == set(range(events))
    assert [n for n, count in runs.items() if count > 1] == []
    by = Counter(label for _, label in handled)
    assert set(by) == {"A", "B"}, by  # both supervisors took their share


def test_a_cron_every_second_fires_once_per_tick_across_two_supervisors(start_pair: StartPair) -> None:
    # Every run is of a tick due on a whole second between the supervisors' start and its own stamp
    # (the handler's clock, the same as this one): counted against those seconds, runs prove each
    # tick fired once however late a busy machine ran them, and with no timing assumed.
    started_ms = int(time.time() * 1000)
    pair = start_pair({"steps/tick.step.js": FILES["steps/tick.step.js"]})
    both_up_ms = int(time.time() * 1000)

    def stamps() -> list[int]:
        return sorted(int(line.split()[0]) for line in pair.ticks.read_text().splitlines())

    # As many runs while both were up as twice the seconds it took them to start, and 10 at least:
    # had each supervisor fired every tick, the runs would then outnumber the seconds. (At most 30:
    # a start-up slower than 12 s, on a swamped machine, leaves the test weaker, not failing.)
    wanted = min(30, max(10, 2 * -(-(both_up_ms - started_ms) // 1000) + 6))
    eventually(
        lambda: pair.ticks.exists() and len([ms for ms in stamps() if ms >= both_up_ms]) >= wanted,
        timeout=wanted + 30,
    )
    pair.stop()
    runs = stamps()
    seconds = runs[-1] // 1000 - -(-started_ms // 1000) + 1
    assert len(runs) <= seconds, (started_ms, both_up_ms, runs)


def test_a_stream_client_on_one_supervisor_sees_every_write_made_through_the_other(
    start_pair: StartPair,
) -> None:
    pair = start_pair(
        {
            "steps/items.stream.js": FILES["steps/items.stream.js"],
            "steps/put.step.js": FILES["steps/put.step.js"],
        }
    )
    writes = 50

    async def scenario() -> list[dict[str, Any]]:
        client = await RawSocket.open(pair.a.port)
        try:
            client.join("items", "g")
            sync = await client.next()
            assert sync["event"]["type"] == "sync"
            async with httpx.AsyncClient(base_url=pair.b.url, timeout=30) as b:
                for n in range(writes):
                    # every third write through A: both supervisors' writes arrive in order
                    base = pair.a.url if n % 3 == 2 else pair.b.url
                    response = await b.post(f"{base}/items/{n % 5}", json={"n": n})
                    assert response.status_code == 200, response.text
            return [sync] + [await client.next() for _ in range(writes)]
        finally:
            client.close()

    messages = asyncio.run(scenario())
    changes = messages[1:]
    assert [m["event"]["data"]["n"] for m in changes] == list(range(writes))
    assert [m["event"]["type"] for m in changes] == ["create"] * 5 + ["update"] * (writes - 5)
    stamps = [m["timestamp"] for m in messages]
    assert all(b > a for a, b in itertools.pairwise(stamps)), stamps


def test_traces_and_logs_recorded_by_one_supervisor_are_read_and_followed_through_the_other(
    start_pair: StartPair,
) -> None:
    pair = start_pair(GREET)
    response = pair.a.client.get("/hello")
    assert response.status_code == 200, response.text
    trace_id = response.headers["x-trace-id"]

    def finished_on_b() -> dict[str, Any] | None:
        read = pair.b.client.get(f"/__motia/traces/{trace_id}")
        if read.status_code != 200:
            return None
        trace: dict[str, Any] = read.json()
        return trace if trace["status"] == "ok" and len(trace["spans"]) == 2 else None

    trace = eventually(finished_on_b, timeout=30)
    assert [step["name"] for step in trace["steps"]] == ["Hello", "Greeted"]
    assert trace["entry"]["path"] == "/hello"
    logged = [event["message"] for event in trace["events"] if event["type"] == "log"]
    assert "hello from A" in logged
    listed = pair.b.client.get("/__motia/traces", params={"step": "Greeted"}).json()["traces"]
    assert trace_id in [t["traceId"] for t in listed]
    lines = pair.b.client.get("/__motia/logs", params={"q": "hello from A"}).json()["logs"]
    assert [line["traceId"] for line in lines] == [trace_id]

    # A client following logs on A receives the lines B records, as they come: B's line arrives
    # with B's next write, after A's own newer one, and is not taken for one the client already had.
    received: list[dict[str, Any]] = []
    ready = threading.Event()

    def follow() -> None:
        with httpx.stream(
            "GET", f"{pair.a.url}/__motia/logs/stream", params={"q": "hello from"}, timeout=30
        ) as r:
            ready.set()
            for line in r.iter_lines():
                if line.startswith("data: "):
                    received.append(json.loads(line[6:]))
                    if len(received) == 2:
                        return

    follower = threading.Thread(target=follow, daemon=True)
    follower.start()
    assert ready.wait(15)
    assert pair.b.client.get("/hello").status_code == 200
    assert pair.a.client.get("/hello").status_code == 200
    follower.join(30)
    assert sorted(line["message"] for line in received) == ["hello from A", "hello from B"]


def test_each_supervisors_workbench_runners_panel_says_whose_runners_it_lists(
    start_pair: StartPair, chromium: str, client_packages: Path
) -> None:
    """Both supervisors name their runners node-0: A's panel and B's each say which supervisor (its
    pid and host) they list, so a user with both open does not take one's runners for the other's."""
    pair = start_pair(GREET, {"workbench": True})
    artifacts = str(Path(__file__).resolve().parent.parent / "test-artifacts")
    said = {}
    for label, server in pair.servers.items():
        listed = server.client.get("/__motia/runners").json()
        assert listed["supervisor"]["pid"] == server.proc.pid, listed
        seen = run_driver(
            client_packages, "workbench-runners-driver.mjs", chromium, server.url, artifacts, "1"
        )
        assert "failure" not in seen, seen["failure"]
        assert list(seen["runners"]) == ["node-0"]
        said[label] = seen["runnersOf"]
    for label, server in pair.servers.items():
        assert f"pid {server.proc.pid} on " in said[label], said
    assert said["A"] != said["B"]


# POST /hello emits 'greeted'; Greeted logs (info and warn) which supervisor runs it and updates the
# request's stream item five times, long enough for a Workbench to read it while it runs.
FOLLOWED = {
    "steps/hello.step.js": """
        exports.config = {
          type: 'api', name: 'Hello', path: '/hello', method: 'POST', emits: ['greeted'], flows: ['greet'],
        }
        exports.handler = async (_req, { emit, logger, streams, traceId }) => {
          logger.info(`hello from ${process.env.SUPERVISOR_LABEL}`)
          const item = await streams.items.set(traceId, 'item', { n: 0 })
          await emit({ topic: 'greeted', data: { traceId } })
          return { status: 200, body: item }
        }
    """,
    "steps/greeted.step.js": """
        exports.config = { type: 'event', name: 'Greeted', subscribes: ['greeted'], emits: [], flows: ['greet'] }
        exports.handler = async ({ traceId }, { logger, streams }) => {
          for (let n = 1; n <= 5; n++) {
            await new Promise((resolve) => setTimeout(resolve, 1500))
            logger.info(`greeted ${n} on ${process.env.SUPERVISOR_LABEL}`)
            logger.warn(`warn greeted ${n} on ${process.env.SUPERVISOR_LABEL}`)
            await streams.items.set(traceId, 'item', { n })
          }
        }
    """,
    "steps/items.stream.js": FILES["steps/items.stream.js"],
}


def test_a_workbench_on_one_supervisor_follows_what_the_other_runs(
    start_pair: StartPair, chromium: str, client_packages: Path
) -> None:
    """A's Workbench, its requests' event steps run on B: the trace's timeline grows while B runs it,
    the Endpoints panel shows B's updates of the answer's stream item, the Logs panel's live tail
    shows B's lines through its filters, and an edit and a delete in A's State panel show in B's."""
    # one event at a time on each: a request's event runs on B when A is busy
    pair = start_pair(FOLLOWED, {"workbench": True, "events": {"concurrency": 1}})
    for key in ("one", "two"):
        put = pair.a.client.put(
            "/__motia/state/item", params={"groupId": "shared", "key": key}, json={"v": 1}
        )
        assert put.status_code < 300, put.text
    artifacts = str(Path(__file__).resolve().parent.parent / "test-artifacts")
    seen = run_driver(
        client_packages, "workbench-scale-out-driver.mjs", chromium, pair.a.url, pair.b.url, artifacts
    )
    assert "failure" not in seen, seen["failure"]
    assert seen["consoleErrors"] == []

    # read while Greeted ran on B: B's lines came in over several reads, before it settled
    running = [read for read in seen["trace"] if read["status"] == "running"]
    on_b = [sum("greeted" in line and line.endswith("on B") for line in read["lines"]) for read in running]
    assert len({count for count in on_b if count > 0}) >= 2, seen["trace"]
    assert seen["trace"][-1]["status"] == "ok"
    assert "warn greeted 5 on B" in seen["trace"][-1]["lines"]
    # which supervisor's runner ran each span and logged each line (both name theirs node-0), as
    # GET /__motia/runners says of itself: in the API, the span's details and motia traces ID
    of_a, of_b = (server.client.get("/__motia/runners").json()["supervisor"] for server in (pair.a, pair.b))
    trace = pair.a.client.get(f"/__motia/traces/{seen['traceId']}").json()
    assert [(span["step"], span["supervisor"]) for span in trace["spans"]] == [
        ("Hello", of_a),
        ("Greeted", of_b),
    ]
    lines = [event for event in trace["events"] if event["type"] == "log" and event["runner"]]
    assert {(line["step"], line["supervisor"]["pid"]) for line in lines} == {
        ("Hello", of_a["pid"]),
        ("Greeted", of_b["pid"]),
    }
    assert seen["ranOn"].endswith(f"of the supervisor pid {of_b['pid']} on {of_b['host']}"), seen["ranOn"]
    told = run_motia("traces", seen["traceId"], "-p", str(pair.a.port), cwd=pair.a.project)
    assert f"of supervisor pid {of_b['pid']} on {of_b['host']}" in told.stdout, told.stdout + told.stderr

    assert seen["endpoint"] == [{"kind": "written", "n": 0}] + [
        {"kind": "update", "n": n} for n in range(1, 6)
    ]

    assert {(line["level"], line["step"].split(" ")[0]) for line in seen["logs"]} == {("warn", "Greeted")}
    assert {f"warn greeted {n} on B" for n in range(1, 6)} <= {line["message"] for line in seen["logs"]}
    # B's runner is named with its supervisor in A's panel and `motia logs` on A (both call theirs
    # node-0); A's own runner as `motia dev` prints it
    b_runner = f"(node-0@{of_b['host']}:{of_b['pid']})"
    assert {line["step"] for line in seen["logs"]} <= {f"Greeted {b_runner}", "Greeted (node-0)"}, seen[
        "logs"
    ]
    assert all(
        line["step"] == f"Greeted {b_runner}" for line in seen["logs"] if line["message"].endswith("on B")
    )
    printed = run_motia(
        "logs", "--step", "Greeted", "--grep", "on B", "-n", "5", "-p", str(pair.a.port), cwd=pair.a.project
    )
    assert printed.stdout.count(b_runner) == 5, printed.stdout + printed.stderr

    assert seen["stateEdited"] == [["one", {"v": 2}], ["two", {"v": 1}]]
    assert seen["stateDeleted"] == [["one", {"v": 2}]]

    # once every trace settled, A and B list the same traces in the same order, page by page,
    # whatever the filter
    eventually(lambda: _listed(pair.a, {"status": "running"}) == [], timeout=120)
    for filters in ({}, {"status": "ok"}, {"step": "Greeted"}, {"text": "POST /hello"}, {"answered": "2xx"}):
        listed = _listed(pair.a, filters)
        assert len(listed) >= 3 and listed == _listed(pair.b, filters), filters


def test_a_span_lost_with_its_supervisor_ends_on_a_workbench_of_the_other(
    start_pair: StartPair, chromium: str, client_packages: Path, redis_prefix: str
) -> None:
    """B killed while it ran a request's Greeted, A's Workbench open on the flow: once A has marked
    the span lost and run the event again to its end, the flow's nodes go out (a lost span used to
    never end: its node stayed lit), the API and ``motia traces ID`` end the lost span at its last
    record (it had no end), and the trace's timeline draws the lost span to there,
    not to the moment the page read it (the axis stretched to then, the spans that ran squeezed to
    the left however long ago the trace settled)."""
    redis = {"prefix": redis_prefix, "consumerTimeoutSeconds": 2}  # B's claim is A's 2 s after
    pair = start_pair(FOLLOWED, {"workbench": True, "events": {"concurrency": 1}, "redis": redis})
    artifacts = str(Path(__file__).resolve().parent.parent / "test-artifacts")
    seen = run_driver(
        client_packages, "workbench-lost-span-driver.mjs", chromium, pair.a.url, artifacts, "greet",
        str(pair.b.proc.pid),
    )  # fmt: skip
    assert "failure" not in seen, seen["failure"]
    assert seen["consoleErrors"] == []
    trace = pair.a.client.get(f"/__motia/traces/{seen['traceId']}").json()
    assert [span["status"] for span in trace["spans"]] == ["ok", "lost", "ok"]
    # the API ends the lost span at its last record (what the timeline draws), as `motia traces ID` says
    lost = trace["spans"][1]
    records = [event for event in trace["events"] if event["spanId"] == lost["spanId"]]
    last = max(event["time"] + (event.get("durationMs") or 0) for event in records)
    assert lost["endedAt"] == last and lost["durationMs"] == last - lost["startedAt"] > 0, lost
    told = run_motia("traces", seen["traceId"], "-p", str(pair.a.port), cwd=pair.a.project)
    [line] = [line for line in told.stdout.splitlines() if line.rstrip().endswith("lost")]
    assert "…" not in line and " s  lost" in line, told.stdout + told.stderr
    assert seen["lit"] == []
    hello, gone, retaken = seen["bars"]
    assert [hello["status"], gone["status"], retaken["status"]] == ["ok", "lost", "ok"]
    # the axis ends with the span that ended last (the one A ran), the lost one well before it
    assert retaken["right"] >= 0.99, seen
    assert gone["right"] < retaken["right"], seen


def _listed(server: MotiaServer, filters: dict[str, str]) -> list[dict[str, Any]]:
    """Every trace ``server`` lists under ``filters``, newest first, read two to a page."""
    traces: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params = {**filters, "limit": "2", **({"cursor": cursor} if cursor else {})}
        page = server.client.get("/__motia/traces", params=params).json()
        traces += page["traces"]
        cursor = page["nextCursor"]
        if not cursor:
            return traces


def test_killing_one_supervisor_mid_load_loses_no_event(start_pair: StartPair) -> None:
    # A short consumer timeout: the survivor takes the dead one's claimed events over within seconds.
    # Few handlers at a time, each 100 ms: the backlog outlasts the emits, so A dies mid-load.
    config = {"redis": {"consumerTimeoutSeconds": 2}, "events": {"concurrency": 4}}
    pair = start_pair({"steps/handle.step.js": HANDLE}, config)
    events = 1000
    for n in range(events):
        _emit(pair.a if n % 2 == 0 else pair.b, n, sleep=100)
    pair.a.proc.kill()  # SIGKILL: no shutdown, nothing handed back
    pair.a.proc.wait(timeout=10)
    assert len({n for n, _ in pair.handled()}) < events, "the load was over before the kill"
    eventually(lambda: {n for n, _ in pair.handled()} == set(range(events)), timeout=240)
    runs = Counter(n for n, _ in pair.handled())
    # duplicates only of what A was running when it died (its 4 handlers' claims, and as many
    # isolated re-runs at most)
    duplicates = [n for n, count in runs.items() if count > 1]
    assert len(duplicates) <= 8, duplicates


def test_redis_lost_while_running_answers_503_then_recovers(tmp_path: Path) -> None:
    binary = redis_server_binary()
    redis = RedisServer(tmp_path / "redis", binary)
    project = write_project(
        tmp_path / "project", {"steps/count.step.js": COUNT, "steps/handle.step.js": HANDLE}
    )
    server = MotiaServer(project, mode="start", env={"MOTIA_REDIS_URL": redis.url})
    try:
        server.wait_ready(timeout=90)
        assert server.client.get("/count").status_code == 200
        redis.stop()
        # the first request may be the one that finds Redis gone: it answers 503 too
        response = eventually(lambda: (r := server.client.get("/count")).status_code == 503 and r, timeout=20)
        assert response.headers["retry-after"] == "1"
        assert "Redis at redis://127.0.0.1" in response.json()["message"]
        health = server.client.get("/__motia/health")
        # a load balancer's health check takes it out of the rotation meanwhile
        assert (health.status_code, health.json()["status"]) == (503, "degraded")
        assert "Redis at redis://127.0.0.1" in health.json()["message"]
        assert server.client.post("/__motia/emit", json={"topic": "job", "data": {}}).status_code == 503
        redis = RedisServer(tmp_path / "redis", binary, port=redis.port)
        eventually(lambda: server.client.get("/count").status_code == 200, timeout=30)
        health = server.client.get("/__motia/health")
        assert (health.status_code, health.json()["status"]) == (200, "ok")
        assert "lost the connection to Redis" in server.output
        assert "reconnected to Redis" in server.output
    finally:
        server.stop()
        redis.stop()


def test_a_redis_that_stops_answering_ends_requests_in_a_503_naming_it_then_serves_again(
    tmp_path: Path,
) -> None:
    """SIGSTOP: the process lives and its port accepts, nothing answers; SIGCONT: the same server, back."""
    redis = RedisServer(tmp_path / "redis", redis_server_binary())
    project = write_project(tmp_path / "project", {"steps/count.step.js": COUNT})
    server = MotiaServer(project, mode="start", env={"MOTIA_REDIS_URL": redis.url})
    try:
        server.wait_ready(timeout=90)
        assert server.client.get("/count").status_code == 200
        redis.pause()
        try:
            # within the watcher's 10 s PING (after at most its 2 s between probes), not forever
            response = server.client.get("/count", timeout=60)
            assert response.status_code == 503, response.text
            assert response.headers["retry-after"] == "1"
            message = response.json()["message"]
            assert f"Redis at {redis.url}" in message, message
            assert "no answer to a PING within 10s" in message, message
            health = server.client.get("/__motia/health")
            assert (health.status_code, health.json()["status"]) == (503, "degraded")
        finally:
            redis.resume()
        eventually(lambda: server.client.get("/count").status_code == 200, timeout=30)
        assert "no answer to a PING within 10s" in server.output
        assert "reconnected to Redis" in server.output
    finally:
        server.stop()
        redis.stop()


def test_an_unreachable_redis_at_start_is_one_clear_error(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"steps/count.step.js": COUNT})
    port = free_port()
    done = run_motia(
        "start", "--project", str(project), "-p", str(free_port()),
        cwd=project, env={"MOTIA_REDIS_URL": f"redis://:secret@127.0.0.1:{port}/0"},
    )  # fmt: skip
    assert done.returncode == 1
    output = done.stdout + done.stderr
    assert f"cannot reach Redis at redis://:***@127.0.0.1:{port}/0" in output
    assert "MOTIA_REDIS_URL" in output
    assert "secret" not in output
    assert "Traceback" not in output
