"""Query parameters of the ``/__motia`` endpoints, read the same way everywhere: a malformed one
answers 400 naming the parameter and what it should be (see ``endpoint``)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Awaitable, Callable, Collection, Sequence
from functools import wraps
from typing import Any, TypeVar

from quart import Response, request

from supervisor.http._quart import to_quart
from supervisor.http._response import HttpResponse
from supervisor.tracing import TracingOff, runner_holds

T = TypeVar("T")
#: the largest SQLite integer: a number past it is refused before it reaches a query
SQLITE_MAX = 2**63 - 1


class BadParameter(Exception):
    pass


def is_digits(raw: str) -> bool:
    """Whether ``raw`` is ASCII digits only: ``str.isdigit`` also takes digits ``int`` cannot read ("²")."""
    return raw.isascii() and raw.isdigit()


def only(*names: str) -> None:
    """Refuses a parameter the endpoint does not read: a misspelt filter (``stauts=error``) would
    otherwise be ignored, and the answer look filtered when it is not."""
    unknown = [name for name in request.args if name not in names]
    if unknown:
        raise BadParameter(f"unknown parameter {unknown[0]!r} (this endpoint reads {', '.join(names)})")


def text(name: str) -> str | None:
    """The parameter, or None when absent or empty."""
    return request.args.get(name) or None


def count(name: str, default: int, maximum: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not is_digits(raw) or not 1 <= int(raw) <= maximum:
        raise BadParameter(f"{name} must be an integer from 1 to {maximum} (got {raw!r})")
    return int(raw)


def integer(name: str) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise BadParameter(f"{name} must be an integer (got {raw!r})") from None
    if not -SQLITE_MAX <= value <= SQLITE_MAX:  # past SQLite's integers, a query would fail
        raise BadParameter(f"{name} is out of range (got {raw!r})")
    return value


def epoch_ms(name: str) -> float | None:
    """A time given in epoch milliseconds (what the API answers with), as epoch seconds."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    try:
        return float(raw) / 1000
    except ValueError:
        raise BadParameter(f"{name} must be a time in epoch milliseconds (got {raw!r})") from None


def choice(name: str, allowed: Sequence[str]) -> str | None:
    raw = request.args.get(name) or None
    if raw is not None and raw not in allowed:
        raise BadParameter(f"{name} must be one of {', '.join(allowed)} (got {raw!r})")
    return raw


def unheard_of_step(step: str | None, found: bool, steps: Collection[str]) -> Response | None:
    """A 404 for a ``step`` filter that matched nothing and names no step of the project, naming the
    closest step (or all of them): a misspelt step (``--step Nope``) would otherwise read as "nothing
    yet". None otherwise. Only an empty answer is refused, as a step removed from the project still
    names what was recorded of it (an old trace, its log lines, a dead letter kept in the queue's
    file from before): those stay listable."""
    if step is None or found or step in steps:
        return None
    close = difflib.get_close_matches(step, steps, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"the steps: {', '.join(sorted(steps)) or 'none'}"
    return error(404, f"no step named {step!r}, in the project or in what it recorded; {hint}")


def unheard_of_runner(
    runner: str, runners: Collection[str], to_come: Collection[str] = ()
) -> Response | None:
    """A 404 for a ``runner`` filter that matched nothing, of no line recorded either, that names none
    of ``runners`` (the kinds, node and python, and the ids of the runners running now) nor the
    beginning of one's id (``runner_holds``), naming the closest (or all of them): a misspelt runner
    (``--runner nodes``) would otherwise read as "nothing yet". None otherwise. ``to_come``: the ids
    the project's runners can take later (``node-spare`` before a spare starts: a listing finds no
    lines of it yet, a live follow waits for them), attached ones numbered on from the first."""
    if any(runner_holds(known, runner) for known in (*runners, *to_come)):
        return None
    attached = _ATTACHED_ID.fullmatch(runner)
    if attached is not None and f"{attached[1]}1" in to_come:
        return None
    names = list(dict.fromkeys((*runners, *to_come)))
    close = difflib.get_close_matches(runner, names, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"the runners: {', '.join(sorted(names))}"
    running = "none running now or to come" if to_come else "none running now"
    return error(404, f"no runner named {runner!r}: no kind of runner, {running}, none recorded; {hint}")


#: an attached runner's id (``node-attached-3``): numbered from 1 as runners attach, without end
_ATTACHED_ID = re.compile(r"(.+-attached-)[1-9][0-9]*")


def error(status: int, message: str, **extra: Any) -> Response:
    """The one error shape (``HttpResponse.error``, ``extra`` fields beside its message) as a quart
    response."""
    return to_quart(HttpResponse.error(status, message, **extra))


TRACING_OFF = (
    'traces and logs are not recorded: "tracing": {"enabled": false} in motia.config.json (or MOTIA_TRACING)'
)


def endpoint(handler: Callable[..., Awaitable[Response]]) -> Callable[..., Awaitable[Response]]:
    """The endpoint answers 400 with the message of any ``BadParameter`` it raises, and 404 when it
    needs traces or logs and they are not recorded."""

    @wraps(handler)
    async def wrapped(*args: Any, **kwargs: Any) -> Response:
        try:
            return await handler(*args, **kwargs)
        except BadParameter as exc:
            return error(400, str(exc))
        except TracingOff:
            return error(404, TRACING_OFF)

    return wrapped
