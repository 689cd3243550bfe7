"""Dead letters: list, replay and purge over HTTP and through the real ``motia dlq`` CLI."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.project import write_project
from tests.support.server import REPO_ROOT, MotiaServer, eventually, motia_argv

pytestmark = pytest.mark.e2e

FILES = {
    # Fails until someone flips the switch; no retries, so one failure is a dead letter.
    "steps/fragile.step.js": """
        exports.config = {
          type: 'event', name: 'Fragile', subscribes: ['fragile'], emits: [],
          infrastructure: { queue: { maxRetries: 0 } },
        }
        exports.handler = async (input, { state, traceId }) => {
          if (!(await state.get('switch', 'fixed'))) throw new Error('not fixed yet')
          await state.set('processed', traceId, input)
        }
    """,
    "steps/doomed.step.js": """
        exports.config = {
          type: 'event', name: 'Doomed', subscribes: ['doomed'], emits: [],
          infrastructure: { queue: { maxRetries: 0 } },
        }
        exports.handler = async () => { throw new Error('doomed\\nfor good') }
    """,
    "steps/fix.step.js": """
        exports.config = { type: 'api', name: 'Fix', path: '/fix', method: 'POST', emits: [] }
        exports.handler = async (req, { state }) => {
          await state.set('switch', 'fixed', true)
          return { status: 200, body: {} }
        }
    """,
    "steps/processed.step.js": """
        exports.config = { type: 'api', name: 'Processed', path: '/processed/:trace', method: 'GET', emits: [] }
        exports.handler = async (req, { state }) =>
          ({ status: 200, body: { value: await state.get('processed', req.pathParams.trace) } })
    """,
}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[MotiaServer]:
    with MotiaServer(write_project(tmp_path, FILES)) as running:
        yield running


def dlq(server: MotiaServer, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        motia_argv("dlq", *args, "-p", str(server.port)),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def emit(server: MotiaServer, topic: str, data: Any) -> str:
    response = server.client.post("/__motia/emit", json={"topic": topic, "data": data})
    assert response.status_code == 200, response.text
    trace_id: str = response.json()["traceId"]
    return trace_id


def listed(server: MotiaServer, *args: str) -> list[dict[str, Any]]:
    done = dlq(server, "list", "--json", *args)
    assert done.returncode == 0, done.stderr
    letters: list[dict[str, Any]] = json.loads(done.stdout)["deadLetters"]
    return letters


def processed(server: MotiaServer, trace_id: str) -> Any:
    return server.client.get(f"/processed/{trace_id}").json()["value"]


def test_dlq_lists_replays_and_purges_through_the_cli(server: MotiaServer) -> None:
    first = emit(server, "fragile", {"n": 1})
    second = emit(server, "fragile", {"n": 2})
    doomed = emit(server, "doomed", {})
    letters = eventually(lambda: len(listed(server)) == 3 and listed(server))
    by_trace = {letter["traceId"]: letter for letter in letters}
    assert by_trace[first]["subscriber"] == "Fragile"
    assert by_trace[first]["error"].endswith("not fixed yet")
    # the two fail concurrently, so the order they were dead-lettered in (the listing's) is theirs
    fragile = [letter["traceId"] for letter in listed(server, "--step", "Fragile")]
    assert sorted(fragile) == sorted([first, second])
    assert len(listed(server, "--limit", "1")) == 1

    table = dlq(server, "list")
    assert table.returncode == 0, table.stderr
    header, *rows = table.stdout.splitlines()
    assert header.split()[:4] == ["ID", "STEP", "TOPIC", "ATTEMPTS"]
    assert len(rows) == 3
    doomed_row = next(row for row in rows if row.startswith(str(by_trace[doomed]["id"]) + " "))
    assert "Doomed" in doomed_row and "doomed for good" in doomed_row  # one line per letter

    server.client.post("/fix")
    one = dlq(server, "replay", str(by_trace[first]["id"]))
    assert one.returncode == 0, one.stderr
    assert f"replayed dead letter {by_trace[first]['id']} as delivery" in one.stdout
    assert eventually(lambda: processed(server, first)) == {"n": 1}
    rest = dlq(server, "replay", "--all", "--step", "Fragile")
    assert (rest.returncode, rest.stdout.strip()) == (0, "replayed 1 dead letter(s)")
    assert eventually(lambda: processed(server, second)) == {"n": 2}
    assert [letter["traceId"] for letter in listed(server)] == [doomed]

    purged = dlq(server, "purge", "--all")
    assert (purged.returncode, purged.stdout.strip()) == (0, "purged 1 dead letter(s)")
    assert dlq(server, "list").stdout.strip() == "no dead letters"

    again = emit(server, "doomed", {})
    (letter,) = eventually(lambda: listed(server))
    assert letter["traceId"] == again
    single = dlq(server, "purge", str(letter["id"]))
    assert (single.returncode, single.stdout.strip()) == (0, f"purged dead letter {letter['id']}")
    assert listed(server) == []


def test_unknown_dead_letters_answer_404_and_the_cli_says_so(server: MotiaServer) -> None:
    client = server.client
    for method, path in [
        ("POST", "/__motia/dead-letters/4242/replay"),
        ("POST", "/__motia/dead-letters/abc/replay"),
        ("DELETE", "/__motia/dead-letters/4242"),
    ]:
        response = client.request(method, path)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["error"] == "Not Found"
        assert "no dead letter with id" in response.json()["message"]
    assert client.post("/__motia/dead-letters/replay").json() == {"replayed": 0, "kept": 0, "keptSteps": []}
    assert client.delete("/__motia/dead-letters").json() == {"purged": 0}
    for limit, wrong in (
        ("x", "must be a positive integer"),
        ("0", "must be a positive integer"),
        (str(2**63), "is out of range"),
    ):
        refused = client.get("/__motia/dead-letters", params={"limit": limit})
        assert refused.status_code == 400
        assert refused.json()["message"] == f"limit {wrong} (got {limit!r})"
    cli_refused = dlq(server, "list", "--limit", "0")
    assert (cli_refused.returncode, cli_refused.stderr.strip()) == (
        1,
        "motia dlq list: limit must be a positive integer (got '0')",
    )

    replay = dlq(server, "replay", "4242")
    assert replay.returncode == 1
    assert "motia dlq replay: no dead letter with id '4242'" in replay.stderr
    purge = dlq(server, "purge", "4242")
    assert purge.returncode == 1 and "no dead letter with id" in purge.stderr
    usage = dlq(server, "replay")
    assert usage.returncode == 2 and "give dead letter ids or --all" in usage.stderr
    for command in ("replay", "purge"):  # a trace id pasted instead of a dead letter's
        pasted = dlq(server, command, "01a22f67-8402-75cc-82c6-fdf9e45c7172")
        assert pasted.returncode == 2
        assert (
            "'01a22f67-8402-75cc-82c6-fdf9e45c7172' is not a dead letter id: ids are the numbers in the "
            "first column of `motia dlq list`"
        ) in pasted.stderr


def test_a_step_filter_naming_no_step_is_refused_naming_the_closest_through_the_cli(
    server: MotiaServer,
) -> None:
    """``--step`` of ``motia dlq``, ``traces`` and ``logs`` misspelt said so (exit 1, the closest step
    named) rather than listing nothing; a step of the project that has nothing listed still lists
    nothing, and the HTTP API answers the same 404."""

    def motia(*args: str) -> subprocess.CompletedProcess[str]:
        argv = motia_argv(*args, "-p", str(server.port))
        return subprocess.run(argv, cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)

    said = "no step named 'Fragil', in the project or in what it recorded; did you mean 'Fragile'?"
    for command in (
        ["dlq", "list"],
        ["dlq", "replay", "--all"],
        ["dlq", "purge", "--all"],
        ["traces"],
        ["logs"],
    ):
        refused = motia(*command, "--step", "Fragil")
        name = " ".join(command[:2] if command[0] == "dlq" else command[:1])
        assert (refused.returncode, refused.stderr.strip()) == (1, f"motia {name}: {said}"), command
    unlike = motia("dlq", "list", "--step", "Zzz")
    assert unlike.returncode == 1
    assert unlike.stderr.strip().endswith("the steps: Doomed, Fix, Fragile, Processed")

    known = motia("dlq", "list", "--step", "Fragile")
    assert (known.returncode, known.stdout.strip()) == (0, "no dead letters")
    assert motia("traces", "--step", "Fix").stdout.strip() == "no traces"
    answer = server.client.get("/__motia/dead-letters", params={"step": "Fragil"})
    assert (answer.status_code, answer.json()["message"]) == (404, said)
    assert server.client.get("/__motia/logs", params={"step": "Fragil"}).status_code == 404


def test_a_step_filter_naming_no_step_is_refused_by_a_live_stream_and_on_a_later_page_too(
    server: MotiaServer,
) -> None:
    """``motia logs -f -n 0 --step Fragil`` (the live stream alone) is refused at once as the first
    page is, rather than waiting silently, and so are later pages (``cursor=``, ``before=``,
    ``after=``) of traces and logs; a later page of a step of the project that is empty answers 200
    empty, and a step no longer in the project is known by what was recorded of it: its empty pages
    and its live stream are not refused."""
    client = server.client
    said = "no step named 'Fragil', in the project or in what it recorded; did you mean 'Fragile'?"

    def motia(*args: str) -> subprocess.CompletedProcess[str]:
        argv = motia_argv(*args, "-p", str(server.port))
        return subprocess.run(argv, cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)

    def answer(path: str, **params: str | int) -> tuple[int, Any]:
        got = client.get(path, params=params)
        return got.status_code, got.json()

    following = motia("logs", "-f", "-n", "0", "--step", "Fragil")  # waited for ever (the timeout)
    assert (following.returncode, following.stderr) == (1, f"motia logs: {said}\n")  # as `motia logs` says it
    assert answer("/__motia/logs/stream", step="Fragil") == (404, {"error": "Not Found", "message": said})

    # traces of Fix, then of Doomed: newest first, a page past Doomed's two and one of Fix's is
    # followed by a page with the other of Fix's, and none of Doomed's
    for step, start in (("Fix", lambda: client.post("/fix")), ("Doomed", lambda: emit(server, "doomed", {}))):
        for _ in range(2):
            start()
        eventually(lambda: len(answer("/__motia/traces", step=step)[1]["traces"]) == 2)  # noqa: B023
    cursor = answer("/__motia/traces", limit=3)[1]["nextCursor"]
    ids = [line["id"] for line in answer("/__motia/logs", limit=1000)[1]["logs"]]
    # the project's steps: one never ran, one ran before (whose failures may still be logging)
    for path, later, steps in (
        ("/__motia/traces", {"cursor": cursor}, ("Processed", "Doomed")),
        ("/__motia/logs", {"before": min(ids)}, ("Processed", "Doomed")),
        ("/__motia/logs", {"after": max(ids)}, ("Processed",)),
    ):
        assert answer(path, step="Fragil", **later) == (404, {"error": "Not Found", "message": said})
        for known in steps:
            status, body = answer(path, step=known, **later)
            assert (status, body.get("traces", body.get("logs"))) == (200, []), (path, later, known)
    assert len(answer("/__motia/traces", step="Fix", cursor=cursor)[1]["traces"]) == 1

    (server.project / "steps" / "doomed.step.js").unlink()
    eventually(lambda: "Doomed" not in {step["name"] for step in answer("/__motia/steps")[1]["steps"]})
    for path, later in (
        ("/__motia/traces", {"cursor": cursor}),
        ("/__motia/traces", {"status": "ok"}),  # a first page the other filters emptied
        ("/__motia/logs", {"before": min(ids)}),
        ("/__motia/logs", {"level": "critical"}),
    ):
        status, body = answer(path, step="Doomed", **later)
        assert (status, body.get("traces", body.get("logs"))) == (200, []), (path, later)
    with client.stream("GET", "/__motia/logs/stream", params={"step": "Doomed"}) as stream:
        assert stream.status_code == 200


def test_a_dead_letter_whose_step_is_no_longer_loaded_is_kept_and_its_replay_says_why(tmp_path: Path) -> None:
    """Under ``motia dev``, Doomed's dead letter, then Doomed renamed Fated in its file (as ugc-workflow's
    VisionAnalysisStep was, to fix it before a replay): the replay was accepted ("replayed dead letter
    3") and failed at once, a new dead letter in its place. It is refused, naming the step, and the
    steps subscribed to its topic now; the letter stays as it was. Named back, it replays."""
    project = write_project(tmp_path, {"steps/doomed.step.js": FILES["steps/doomed.step.js"]})
    with MotiaServer(project, mode="dev") as server:
        emit(server, "doomed", {"n": 1})
        (letter,) = eventually(lambda: listed(server))
        step_file = project / "steps" / "doomed.step.js"
        original = step_file.read_text()
        step_file.write_text(original.replace("name: 'Doomed'", "name: 'Fated'"))
        eventually(
            lambda: "Fated" in {step["name"] for step in server.client.get("/__motia/steps").json()["steps"]}
        )

        refused = dlq(server, "replay", str(letter["id"]))
        assert refused.returncode == 1 and refused.stdout == ""
        assert f"dead letter {letter['id']} is for step 'Doomed', which is not loaded" in refused.stderr
        assert "steps subscribed to 'doomed' now: Fated" in refused.stderr
        assert listed(server) == [letter]
        # replaying them all keeps it too, and says so
        every = dlq(server, "replay", "--all")
        assert every.returncode == 0, every.stderr
        assert every.stdout == "replayed 0 dead letter(s); kept 1 whose step is not loaded: Doomed\n"
        assert listed(server) == [letter]

        step_file.write_text(original)
        eventually(
            lambda: "Doomed" in {step["name"] for step in server.client.get("/__motia/steps").json()["steps"]}
        )
        replayed = dlq(server, "replay", str(letter["id"]))
        assert replayed.returncode == 0, replayed.stderr
        assert f"replayed dead letter {letter['id']} as delivery" in replayed.stdout


#: a failure's message as long as a library's (chromadb's connection error is 230 characters)
FAILED = "fetch failed: make sure the server is running and try again, then check your settings"

CAUSED = {
    "steps/caused.step.ts": """
        export const config = {
          type: 'event', name: 'CausedTs', subscribes: ['caused.ts'], emits: [],
          infrastructure: { queue: { maxRetries: 0 } },
        }
        export const handler = async () => {
          const reason = new Error('getaddrinfo ENOTFOUND api.example.test')
          throw new TypeError('FAILED', { cause: reason })
        }
    """,
    "steps/caused.step.js": """
        exports.config = {
          type: 'event', name: 'CausedJs', subscribes: ['caused.js'], emits: [],
          infrastructure: { queue: { maxRetries: 0 } },
        }
        exports.handler = async () => {
          const reason = new Error('getaddrinfo ENOTFOUND api.example.test')
          throw new TypeError('FAILED', { cause: reason })
        }
    """,
    "steps/caused_step.py": """
        config = {
            "type": "event", "name": "CausedPy", "subscribes": ["caused.py"], "emits": [],
            "infrastructure": {"queue": {"maxRetries": 0}},
        }
        async def handler(input, context):
            try:
                raise OSError("getaddrinfo ENOTFOUND api.example.test")
            except OSError as reason:
                raise TypeError("FAILED") from reason
    """,
}


@pytest.fixture(scope="module")
def caused_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotiaServer]:
    files = {path: text.replace("FAILED", FAILED) for path, text in CAUSED.items()}
    with MotiaServer(write_project(tmp_path_factory.mktemp("caused"), files)) as running:
        yield running


@pytest.mark.parametrize(("lang", "cause"), [("ts", "Error"), ("js", "Error"), ("py", "OSError")])
def test_a_dead_letters_error_names_the_innermost_cause_of_the_failure(
    caused_server: MotiaServer, lang: str, cause: str
) -> None:
    """Node's fetch fails with "fetch failed", what failed (the host it could not resolve) only in the
    error's cause: a dead letter, whose one line is what `motia dlq list` and the Workbench show,
    read "HandlerFailed: TypeError: fetch failed" and nothing more (a Motia example's letters, with
    no network). Its line names the innermost cause, in every language."""
    emitted = caused_server.client.post("/__motia/emit", json={"topic": f"caused.{lang}", "data": {}})
    assert emitted.status_code == 200

    def letter() -> dict[str, Any] | None:
        letters = caused_server.client.get("/__motia/dead-letters").json()["deadLetters"]
        return next((found for found in letters if found["topic"] == f"caused.{lang}"), None)

    error = eventually(letter)["error"]
    said = f"(caused by {cause}: getaddrinfo ENOTFOUND api.example.test)"
    assert error == f"HandlerFailed: TypeError: {FAILED} {said}"
    # motia dlq list cuts a long line in its message, not its cause
    [line] = [line for line in dlq(caused_server, "list").stdout.splitlines() if f"caused.{lang}" in line]
    assert "HandlerFailed: TypeError: fetch" in line and line.endswith(f"... {said}"), line
