"""``/__motia/dead-letters``: list, inspect, replay and purge the events that failed for good.

Every answer is JSON; an id that is not a dead letter answers 404. ``?step=NAME``
narrows the list, replay-all and purge-all to one subscriber step; one that matched no dead letter
and names no step of the project answers 404 naming the closest step (a typo, not "none yet").
"""

from __future__ import annotations

from typing import Any

from quart import Quart, Response, request

from supervisor.http._backend import Backend
from supervisor.http._params import SQLITE_MAX, error, is_digits, text, unheard_of_step
from supervisor.http._quart import json_response
from supervisor.queue import DeadLetter, UnknownDeliveryError

PREFIX = "/__motia/dead-letters"


def register_dead_letters(app: Quart, runtime: Backend) -> None:
    @app.route(PREFIX, methods=["GET"])
    async def list_dead_letters() -> Response:
        limit = request.args.get("limit")
        if limit is not None and not (is_digits(limit) and int(limit) > 0):
            return error(400, f"limit must be a positive integer (got {limit!r})")
        if limit is not None and not _is_id(limit):  # past SQLite's integers, a query would fail
            return error(400, f"limit is out of range (got {limit!r})")
        entries = await runtime.dead_letters(text("step"), int(limit) if limit else None)
        unheard = unheard_of_step(text("step"), bool(entries), runtime.registry.steps)
        return unheard or json_response(200, {"deadLetters": [_describe(entry) for entry in entries]})

    @app.route(f"{PREFIX}/replay", methods=["POST"])
    async def replay_all() -> Response:
        step = text("step")
        # a letter whose step is not loaded now would fail again at once, a new letter in its place:
        # kept, as a single replay of it is refused (``_step_not_loaded``)
        letters = await runtime.dead_letters(step, None)
        subscribers = {entry.subscriber for entry in letters}
        kept = {subscriber for subscriber in subscribers if not _loaded(runtime, subscriber)}
        if kept:
            loaded = sorted(subscribers - kept)
            replayed = sum([await runtime.replay_dead_letters(subscriber) for subscriber in loaded])
        else:
            replayed = await runtime.replay_dead_letters(step)
        unheard = unheard_of_step(step, replayed > 0 or bool(kept), runtime.registry.steps)
        kept_count = sum(entry.subscriber in kept for entry in letters)
        answer = {"replayed": replayed, "kept": kept_count, "keptSteps": sorted(kept)}
        return unheard or json_response(200, answer)

    @app.route(PREFIX, methods=["DELETE"])
    async def purge_all() -> Response:
        purged = await runtime.purge_dead_letters(text("step"))
        unheard = unheard_of_step(text("step"), purged > 0, runtime.registry.steps)
        return unheard or json_response(200, {"purged": purged})

    @app.route(f"{PREFIX}/<ident>", methods=["GET"])
    async def inspect_one(ident: str) -> Response:
        entry = await runtime.dead_letter(int(ident)) if _is_id(ident) else None
        if entry is None:
            return _unknown(ident)
        return json_response(200, _describe(entry))

    @app.route(f"{PREFIX}/<ident>/replay", methods=["POST"])
    async def replay_one(ident: str) -> Response:
        if not _is_id(ident):
            return _unknown(ident)
        entry = await runtime.dead_letter(int(ident))
        if entry is None:
            return _unknown(ident)
        unloaded = _step_not_loaded(runtime, entry)
        if unloaded:
            return error(409, unloaded)
        try:
            delivery = await runtime.replay_dead_letter(int(ident))
        except UnknownDeliveryError:
            return _unknown(ident)
        replayed = {"deadLetterId": int(ident), "deliveryId": delivery.id, "step": delivery.subscriber}
        return json_response(200, {"replayed": {**replayed, "topic": delivery.topic}})

    @app.route(f"{PREFIX}/<ident>", methods=["DELETE"])
    async def purge_one(ident: str) -> Response:
        if not _is_id(ident):
            return _unknown(ident)
        try:
            await runtime.purge_dead_letter(int(ident))
        except UnknownDeliveryError:
            return _unknown(ident)
        return json_response(200, {"purged": 1})


def _is_id(ident: str) -> bool:
    """Whether ``ident`` can be a dead letter's id (a SQLite integer), before it reaches a query."""
    return is_digits(ident) and int(ident) <= SQLITE_MAX


def _step_not_loaded(runtime: Backend, entry: DeadLetter) -> str | None:
    """Why ``entry`` cannot be replayed, when its step is no event step loaded now (renamed, removed or
    failing to load since it failed): replayed, it was accepted and failed at once, a new dead letter
    in its place saying only that the step was not loaded. None when it can be."""
    if _loaded(runtime, entry.subscriber):
        return None
    subscribed = sorted(other.name for other in runtime.registry.subscribers.get(entry.topic, ()))
    now = (
        f"steps subscribed to {entry.topic!r} now: {', '.join(subscribed)}"
        if subscribed
        else (f"no step subscribes to {entry.topic!r} now")
    )
    return (
        f"dead letter {entry.id} is for step {entry.subscriber!r}, which is not loaded (renamed, removed,"
        f" or failing to load since): kept, as a replay would fail at once; {now}"
    )


def _loaded(runtime: Backend, subscriber: str) -> bool:
    """Whether ``subscriber`` is an event step loaded now: its dead letters can be replayed."""
    step = runtime.registry.steps.get(subscriber)
    return step is not None and step.config.type == "event"


def _describe(entry: DeadLetter) -> dict[str, Any]:
    return {
        "id": entry.id,
        "topic": entry.topic,
        "subscriber": entry.subscriber,
        "data": entry.data,
        "traceId": entry.trace_id,
        "messageGroupId": entry.message_group_id,
        "attempts": entry.attempts,
        "error": entry.last_error,
        "failedAt": entry.failed_at,
    }


def _unknown(ident: str) -> Response:
    return error(404, f"no dead letter with id {ident!r}")
