"""The running application: what the runners loaded (the registry), and the runtime that wires
discovery, runners, storage, the event bus, cron and realtime together."""

from typing import TYPE_CHECKING

from supervisor.core._blame import attempt_lost_to
from supervisor.core._context_calls import ContextCalls
from supervisor.core._flows import flows, load_problems, step_nodes
from supervisor.core._load_summary import Failure, LoadSummary, Tally, load_fix, summarize
from supervisor.core._loading import (
    LoadedCode,
    RunnerFailure,
    load_code,
    load_registry,
    load_without_serving,
)
from supervisor.core._registry import LoadProblem, Registry, Step, build_registry
from supervisor.core._schemas import (
    FieldError,
    SchemaValidator,
    body_rejection,
    compile_schema,
    describe_errors,
)
from supervisor.core._single_run import Operation, SingleRun, SingleRunError, run_once
from supervisor.core._timeouts import log_timed_out
from supervisor.core._trace import new_trace_id
from supervisor.lazy import lazy_exports

if TYPE_CHECKING:
    from supervisor.core._hooks import HOOK_TIMEOUT_S, RunnerAccessPolicy
    from supervisor.core._runtime import HandlerFailed, Runtime, StartupError

#: what the runtime brings with it (the realtime service, quart): imported when first used, so that
#: commands that only load a project (build, generate-types, generate openapi) start faster
__getattr__ = lazy_exports(
    __name__,
    {
        "HOOK_TIMEOUT_S": "_hooks",
        "RunnerAccessPolicy": "_hooks",
        "HandlerFailed": "_runtime",
        "Runtime": "_runtime",
        "StartupError": "_runtime",
    },
)


__all__ = [
    "HOOK_TIMEOUT_S",
    "ContextCalls",
    "Failure",
    "FieldError",
    "HandlerFailed",
    "LoadProblem",
    "LoadSummary",
    "LoadedCode",
    "Operation",
    "Registry",
    "RunnerAccessPolicy",
    "RunnerFailure",
    "Runtime",
    "SchemaValidator",
    "SingleRun",
    "SingleRunError",
    "StartupError",
    "Step",
    "Tally",
    "attempt_lost_to",
    "body_rejection",
    "build_registry",
    "compile_schema",
    "describe_errors",
    "flows",
    "load_code",
    "load_fix",
    "load_problems",
    "load_registry",
    "load_without_serving",
    "log_timed_out",
    "new_trace_id",
    "run_once",
    "step_nodes",
    "summarize",
]
