"""``/__motia/state``: the project's state, to browse and fix by hand.

    GET    /__motia/state                              {"groups": [groupId, ...]}
    GET    /__motia/state/items?groupId=G              {"groupId", "items": [{"key", "value"}, ...]}
    DELETE /__motia/state/items?groupId=G              clears the group
    GET    /__motia/state/item?groupId=G&key=K         {"groupId", "key", "value"}, or 404
    PUT    /__motia/state/item?groupId=G&key=K         the body (any JSON) becomes the value
    DELETE /__motia/state/item?groupId=G&key=K         {"groupId", "key", "value": the old one}, or 404

Group and key travel as query parameters, so any string works, slashes included. Writes go through
the same store as the steps' ``state.set``; steps see them at once.
"""

from __future__ import annotations

import orjson
from quart import Quart, Response, request

from supervisor.http._params import BadParameter, endpoint, error
from supervisor.http._quart import json_response
from supervisor.state import StateStore

PREFIX = "/__motia/state"


def register_state(app: Quart, state: StateStore) -> None:
    @app.route(PREFIX, methods=["GET"])
    @endpoint
    async def groups() -> Response:
        return json_response(200, {"groups": await state.groups()})

    @app.route(f"{PREFIX}/items", methods=["GET"])
    @endpoint
    async def items() -> Response:
        group = _required("groupId")
        found = await state.items(group)
        listed = [{"key": key, "value": value} for key, value in found.items()]
        return json_response(200, {"groupId": group, "items": listed})

    @app.route(f"{PREFIX}/items", methods=["DELETE"])
    @endpoint
    async def clear() -> Response:
        group = _required("groupId")
        await state.clear(group)
        return json_response(200, {"groupId": group, "cleared": True})

    @app.route(f"{PREFIX}/item", methods=["GET"])
    @endpoint
    async def get_item() -> Response:
        group, key = _required("groupId"), _required("key")
        return _item(group, key, await state.get(group, key))

    @app.route(f"{PREFIX}/item", methods=["PUT"])
    @endpoint
    async def set_item() -> Response:
        group, key = _required("groupId"), _required("key")
        body = await request.get_data(as_text=False)
        try:
            value = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise BadParameter(f"the body must be the value as JSON: {exc}") from None
        await state.set(group, key, value)
        return json_response(200, {"groupId": group, "key": key, "value": value})

    @app.route(f"{PREFIX}/item", methods=["DELETE"])
    @endpoint
    async def delete_item() -> Response:
        group, key = _required("groupId"), _required("key")
        return _item(group, key, await state.delete(group, key))


def _required(name: str) -> str:
    value = request.args.get(name)
    if not value:
        raise BadParameter(f"the {name} query parameter is required")
    return value


def _item(group: str, key: str, value: object) -> Response:
    """The answer naming one item: its value, or a 404 where there is none (None)."""
    if value is None:
        return error(404, f"no state value {key!r} in group {group!r}")
    return json_response(200, {"groupId": group, "key": key, "value": value})
