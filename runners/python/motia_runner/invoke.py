"""Calling user handlers: arity, sync vs async, middleware, pydantic input."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import functools
import inspect
import threading
import typing
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from motia_runner import jsonutil
from motia_runner.context import Context
from motia_runner.loader import LoadedStep
from motia_runner.messages import pb
from motia_runner.request import ApiRequest

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def _safe_cache(fn: Callable[[Callable[..., Any]], Any]) -> Callable[[Callable[..., Any]], Any]:
    """lru_cache that falls back to calling through for unhashable callables."""
    cached = functools.lru_cache(maxsize=4096)(fn)

    @functools.wraps(fn)
    def wrapper(target: Callable[..., Any]) -> Any:
        try:
            return cached(target)
        except TypeError:
            return fn(target)

    return wrapper


@_safe_cache
def positional_arity(fn: Callable[..., Any]) -> int | None:
    """How many positional arguments ``fn`` accepts (None: any number)."""
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters):
        return None
    return sum(1 for p in parameters if p.kind in _POSITIONAL)


@_safe_cache
def is_async(fn: Callable[..., Any]) -> bool:
    if inspect.iscoroutinefunction(fn):
        return True
    call = getattr(fn, "__call__", None)  # noqa: B004 - callable objects with an async __call__
    return not inspect.isfunction(fn) and not inspect.ismethod(fn) and inspect.iscoroutinefunction(call)


@_safe_cache
def input_model(fn: Callable[..., Any]) -> type | None:
    """The pydantic model the first parameter of ``fn`` is annotated with, if any."""
    try:
        first = next(p for p in inspect.signature(fn).parameters.values() if p.kind in _POSITIONAL)
    except (StopIteration, TypeError, ValueError):
        return None
    annotation: Any = first.annotation
    if isinstance(annotation, str) or annotation is inspect.Parameter.empty:
        try:
            annotation = typing.get_type_hints(fn).get(first.name)
        except Exception:
            return None
    return annotation if jsonutil.is_pydantic_model_class(annotation) else None


class Encoded(NamedTuple):
    """An InvokeResult's content: the result as JSON, and an api response's bytes body apart."""

    result_json: bytes
    body: bytes | None = None


def encode_response(response: Any) -> Encoded:
    """An api response whose body is bytes sends the bytes as they are, beside the JSON."""
    if isinstance(response, dict):
        body = response.get("body")
        if isinstance(body, bytes | bytearray | memoryview):
            rest = {key: value for key, value in response.items() if key != "body"}
            return Encoded(jsonutil.dumps(rest), bytes(body))
    return Encoded(jsonutil.dumps(response))


def validate_input(model: type, data: Any) -> Any:
    validate = getattr(model, "model_validate", None)
    if callable(validate):
        return validate(data)
    return model.parse_obj(data)  # type: ignore[attr-defined]  # pydantic v1


class Invoker:
    def __init__(self, loop: asyncio.AbstractEventLoop, executor: concurrent.futures.Executor) -> None:
        self._loop = loop
        self._executor = executor

    async def call(self, fn: Callable[..., Any], args: Sequence[Any]) -> Any:
        """Call with as many positional args as ``fn`` takes; sync functions run in a worker thread."""
        arity = positional_arity(fn)
        if arity is not None:
            args = args[:arity]
        if is_async(fn):
            return await fn(*args)
        context = contextvars.copy_context()
        result = await self._loop.run_in_executor(self._executor, context.run, fn, *args)
        if inspect.isawaitable(result):
            result = await result
        return result

    async def run(self, step: LoadedStep, kind: int, payload: Any, ctx: Context) -> Encoded:
        """Run the step for one invocation; returns result_json and an api response's binary body."""
        handler = step.handler
        if handler is None:
            raise RuntimeError(f"step {step.name!r} ({step.file}) has no handler")
        if kind == pb.TRIGGER_KIND_API:
            request, validate_body = ApiRequest.from_payload(payload)
            response = await self._api_chain(step, handler, request, ctx, validate_body)
            return encode_response(response)
        if kind == pb.TRIGGER_KIND_EVENT:
            model = input_model(handler)
            data = validate_input(model, payload) if model is not None else payload
            await self.call(handler, (data, ctx))
            return Encoded(b"null")
        if kind == pb.TRIGGER_KIND_CRON:
            await self.call(handler, (ctx,))
            return Encoded(b"null")
        raise ValueError(f"unknown trigger kind {kind}")

    async def run_hook(
        self, hook: Callable[..., Any], payload: Any, ctx: Context, *, as_bool: bool = False
    ) -> bytes:
        """``authenticate(request, ctx)`` or ``canAccess(subscription, auth_context, ctx)``: the payload
        is the argument list; objects among them also allow attribute access. Returns result_json;
        ``as_bool``: the answer's truth value (Motia reads canAccess's answer with ``bool(...)``)."""
        args = payload if isinstance(payload, list) else [payload]
        args = [ApiRequest(arg) if isinstance(arg, dict) else arg for arg in args]
        result = await self.call(hook, (*args, ctx))
        return jsonutil.dumps(bool(result) if as_bool else result)

    async def _api_chain(
        self,
        step: LoadedStep,
        handler: Callable[..., Any],
        request: ApiRequest,
        ctx: Context,
        validate_body: bool,
    ) -> Any:
        chain = step.middleware

        async def run_from(index: int) -> Any:
            if index == len(chain):
                # Validation sits where the chain ends: it sees the body as the middleware left it,
                # and a rejection goes back up through the middleware as the handler's response would.
                if validate_body:
                    rejection = await ctx.runner_call("api.validateBody", request.get("body"))
                    if rejection is not None:
                        return rejection
                return await self.call(handler, (request, ctx))
            return await self.call(chain[index], (request, ctx, self._next_fn(run_from, index + 1)))

        return await run_from(0)

    def _next_fn(self, run_from: Callable[[int], Any], index: int) -> Callable[[], Any]:
        loop = self._loop
        loop_thread = threading.get_ident()

        def next_fn(*_: Any) -> Any:
            """In async middleware: an awaitable. In sync middleware (worker thread): the response."""
            if threading.get_ident() == loop_thread:
                return run_from(index)
            return asyncio.run_coroutine_threadsafe(run_from(index), loop).result()

        return next_fn


async def settle(ctx: Context) -> None:
    """Wait until every context call the invocation started so far is answered."""
    waiting = [call.on_loop() for call in ctx.started_calls if not call.done()]
    if waiting:
        await asyncio.gather(*waiting, return_exceptions=True)
