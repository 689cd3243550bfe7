"""The running application: what the runners loaded (the registry), and the runtime that wires
discovery, runners, storage, the event bus, cron and realtime together."""

from supervisor.core._blame import attempt_lost_to
from supervisor.core._context_calls import ContextCalls
from supervisor.core._hooks import HOOK_TIMEOUT_S, RunnerAccessPolicy
from supervisor.core._registry import LoadProblem, Registry, Step, build_registry
from supervisor.core._runtime import HandlerFailed, Runtime, StartupError
from supervisor.core._schemas import FieldError, SchemaValidator, body_rejection, compile_schema
from supervisor.core._trace import new_trace_id

__all__ = [
    "HOOK_TIMEOUT_S",
    "ContextCalls",
    "FieldError",
    "HandlerFailed",
    "LoadProblem",
    "Registry",
    "RunnerAccessPolicy",
    "Runtime",
    "SchemaValidator",
    "StartupError",
    "Step",
    "attempt_lost_to",
    "body_rejection",
    "build_registry",
    "compile_schema",
    "new_trace_id",
]
