"""Loading a project's code: discover its files, start each runner they need, validate what they load.

``load_code`` is what ``Runtime`` starts and reloads with (the runners keep running and serve); a
reload starts again only the runners whose code changed and carries the others over.
``load_without_serving`` is the same load for commands that only need to know what the project
contains (``motia build``, type and OpenAPI generation): one runner of each kind, stopped again
before it returns; nothing is served, scheduled or stored. ``load_registry`` is its registry alone.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from supervisor.core._registry import LoadProblem, Registry, build_registry
from supervisor.discovery import Discovery, RunnerKind, discover
from supervisor.protocol import ContextCall, LoadResult
from supervisor.runners import (
    ContextCallError,
    ContextCallHandler,
    PoolSettings,
    RunnerPool,
    RunnerSetupError,
    RunnerSpec,
    prepare_runner,
)
from supervisor.settings import Inspect, Settings

_logger = logging.getLogger("motia.core")

#: the files one runner loads: step files, stream files, hook files (paths relative to the project)
FilesToLoad = tuple[list[str], list[str], list[str]]

#: a runner as messages name it
RUNNER_NAMES = {"node": "node (TypeScript/JavaScript)", "python": "python"}


@dataclass(frozen=True)
class RunnerFailure:
    """A runner that could not start: every step it runs is lost until it is fixed."""

    runner: str
    cause: str
    fix: str


@dataclass
class LoadedCode:
    """What one load produced: the files found, the registry of what loaded, the runners."""

    discovery: Discovery
    registry: Registry
    pools: dict[str, RunnerPool] = field(default_factory=dict)
    #: runner -> how it was started (interpreter, Node), for messages and hints
    specs: dict[str, RunnerSpec] = field(default_factory=dict)
    #: runner -> the files it loads (to start more runners of the same code, e.g. an isolated one)
    files: dict[str, FilesToLoad] = field(default_factory=dict)
    failures: list[RunnerFailure] = field(default_factory=list)
    #: runner -> what it loaded
    results: dict[str, LoadResult] = field(default_factory=dict)
    #: the runners this load started (on a reload, the others were carried over from the previous load)
    started: list[str] = field(default_factory=list)
    #: the project's root, where its package.json and requirements.txt are (for the summary's fixes)
    root: Path | None = None


def new_pool(
    settings: Settings,
    spec: RunnerSpec,
    files: FilesToLoad,
    on_context_call: ContextCallHandler,
    size: int,
    name: str | None = None,
    spares: int = 0,
    inspect: Inspect | None = None,
) -> RunnerPool:
    """A pool of ``size`` runners started by ``spec``, loading ``files`` (steps, streams, hooks),
    and up to ``spares`` more while the event loops of all of them are blocked; ``inspect``: with
    their debuggers on."""
    runner_config = settings.config.runners
    step_files, stream_files, hook_files = files
    return RunnerPool(
        spec,
        settings.project_root,
        settings.runner_log_level,
        on_context_call,
        step_files,
        stream_files,
        PoolSettings(
            size=size,
            memory_limit_mb=runner_config.memory_limit_mb,
            heartbeat_timeout=runner_config.heartbeat_timeout_s,
            spares=spares,
            inspect=inspect,
        ),
        hook_files=hook_files,
        name=name,
    )


async def load_code(
    settings: Settings,
    on_context_call: ContextCallHandler,
    previous: LoadedCode | None = None,
    changed: Collection[str] = (),
) -> LoadedCode:
    """Discover the project's files, start runners for them, validate what they loaded.

    A runner that cannot start costs its own steps, not the others': it becomes a
    ``RunnerFailure`` and a ``LoadProblem`` (so ``motia start`` refuses), and the rest loads.

    With ``previous`` (a reload), a runner that is not in ``changed`` (the runners whose code changed)
    and whose list of files is the same is carried over as it was: its pool keeps running, and what
    it loaded (or why it could not start) stays. Only the others start.
    """
    root = settings.project_root
    discovery = discover(root)
    files: dict[RunnerKind, FilesToLoad] = defaultdict(lambda: ([], [], []))
    for source in discovery.step_files:
        files[source.runner][0].append(source.path)
    for source in discovery.stream_files:
        files[source.runner][1].append(source.path)
    for source in discovery.hook_files:
        files[source.runner][2].append(source.path)

    loaded = LoadedCode(discovery, Registry(), root=root)
    kept: set[str] = set()
    if previous is not None:
        kept = {r for r in files if r not in changed and previous.files.get(r) == files[r]}
        _carry_over(previous, loaded, kept)
    runner_config = settings.config.runners
    runners = [runner for runner in files if runner not in kept]
    loaded.started.extend(runners)
    prepared = await asyncio.gather(
        *(
            asyncio.to_thread(prepare_runner, runner, root, runner_config.python.interpreter)
            for runner in runners
        ),
        return_exceptions=True,
    )
    specs: dict[RunnerKind, RunnerSpec] = {}
    for runner, outcome in zip(runners, prepared, strict=True):
        if isinstance(outcome, RunnerSetupError):
            loaded.failures.append(RunnerFailure(runner, outcome.cause, outcome.fix))
        elif isinstance(outcome, BaseException):
            loaded.failures.append(RunnerFailure(runner, f"could not be prepared: {outcome}", ""))
        else:
            specs[runner] = outcome
    loaded.specs.update({str(name): spec for name, spec in specs.items()})

    loaded.files.update({str(name): runner_files for name, runner_files in files.items()})
    pools: dict[RunnerKind, RunnerPool] = {}
    for runner, spec in specs.items():
        language = runner_config.node if runner == "node" else runner_config.python
        inspect = settings.inspect.get(runner)
        if inspect is not None and previous is not None:
            # A reload's runner takes its predecessor's port over; the debugger re-attaches by itself.
            inspect = dataclasses.replace(inspect, wait=False)
        pools[runner] = new_pool(
            settings,
            spec,
            files[runner],
            on_context_call,
            language.pool_size,
            spares=language.spare_runners,
            inspect=inspect,
        )
    starting = list(pools)
    outcomes = await asyncio.gather(*(pools[name].start() for name in starting), return_exceptions=True)
    for runner, result in zip(starting, outcomes, strict=True):
        if isinstance(result, BaseException):
            cause = str(result)
            loaded.failures.append(RunnerFailure(runner, cause, _start_fix(specs[runner], cause)))
            await pools.pop(runner).stop(0)
        else:
            loaded.results[runner] = result
            _logger.info("%s runner: %s; %s", runner, specs[runner].description, pools[runner].runtime)
    loaded.pools.update({str(name): pool for name, pool in pools.items()})
    results: dict[RunnerKind, LoadResult] = {
        runner: loaded.results[runner] for runner in files if runner in loaded.results
    }
    loaded.registry = build_registry(results, discovery.hook_files, settings.config.api.validate_body)
    loaded.registry.problems[:0] = [
        LoadProblem(f"<{RUNNER_NAMES.get(f.runner, f.runner)} runner>", f"could not start: {f.cause}")
        for f in loaded.failures
    ]
    return loaded


def _carry_over(previous: LoadedCode, loaded: LoadedCode, runners: set[str]) -> None:
    """What ``runners`` had in the previous load: their pools, how they were started, what they loaded."""
    for runner in runners:
        if runner in previous.pools:
            loaded.pools[runner] = previous.pools[runner]
        if runner in previous.specs:
            loaded.specs[runner] = previous.specs[runner]
        if runner in previous.results:
            loaded.results[runner] = previous.results[runner]
    loaded.failures.extend(failure for failure in previous.failures if failure.runner in runners)


def _start_fix(spec: RunnerSpec, cause: str) -> str:
    """What to do about a runner that was started and died before it answered."""
    if spec.runner != "python":
        return "see the runner's output above"
    interpreter = spec.argv[0]
    if "needs debugpy" in cause:
        pip = f"`{interpreter} -m pip install debugpy`"
        return f"install debugpy: `pip install 'motia-supervisor[debug]'`, or {pip}"
    if "need Python 3.10 or newer" in cause:
        return (
            "Python steps need Python 3.10 or newer: recreate the project's virtualenv with one "
            "(delete it, then `motia install --python python3.12`, for example)"
        )
    if "protobuf" in cause:
        return (
            f"the protobuf in {interpreter} is too old for the runner: upgrade it to 3.20 or newer, or "
            "uninstall it (the runner then uses motia's own)"
        )
    return f"check that {interpreter} runs; to (re)create the project's python_modules/, run `motia install`"


async def _refuse_context_calls(call: ContextCall) -> object:
    raise ContextCallError(f"{call.method} is not available: the project is loaded without serving")


def one_runner_each(settings: Settings) -> Settings:
    """``settings`` with one runner of each kind, and no spare: for a load that serves nothing."""
    runners = settings.config.runners
    one_each = runners.model_copy(
        update={
            "node": runners.node.model_copy(update={"pool_size": 1, "spare_runners": 0}),
            "python": runners.python.model_copy(update={"pool_size": 1, "spare_runners": 0}),
        }
    )
    return settings.model_copy(update={"config": settings.config.model_copy(update={"runners": one_each})})


async def load_without_serving(settings: Settings) -> LoadedCode:
    """Load every step, stream and hook file of the project in its runners, then stop the runners.

    One runner of each kind, whatever the pool size configured for serving. Nothing is served,
    scheduled or stored (no ``.motia/`` database is opened); context calls made while files are
    imported are refused. For commands that inspect a project: ``motia build``, type and OpenAPI
    generation. The result's ``pools`` is empty; ``registry`` holds every validated config and every
    problem, ``failures`` the runners that could not start (``summarize`` makes the summary).
    """
    loaded = await load_code(one_runner_each(settings), _refuse_context_calls)
    pools, loaded.pools = loaded.pools, {}
    await asyncio.gather(*(pool.stop(0) for pool in pools.values()), return_exceptions=True)
    return loaded


async def load_registry(settings: Settings) -> Registry:
    """What ``load_without_serving`` loaded: every validated config and every problem."""
    return (await load_without_serving(settings)).registry
