"""The stream wire format Motia's clients speak: parsing client frames, building server messages.

Pure: no I/O, no event loop. Client -> server frames::

    {"type": "join" | "leave", "data": {"streamName", "groupId", "id"?, "subscriptionId"}}

Server -> client messages (one JSON text frame each)::

    {"timestamp", "streamName", "groupId", "id"?, "event": {"type": "sync" | "create" | "update"
     | "delete", "data": ...}}
    ... "event": {"type": "event", "event": {"type": <custom>, "data": ...}}
    ... "event": {"type": "error", "data": {"code", "message"}}

The clients route a message by (streamName, groupId, id) and drop any whose timestamp is not newer
than the last they applied, which is why every message carries one (see ``_clock``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, TypeAlias

import orjson

from supervisor.storage import JsonValue
from supervisor.streams import StreamChange

# Error codes in ``event.data.code``. Clients test for STREAM_ACCESS_DENIED to tell that a
# subscription will receive nothing, so every refused or failed join uses it.
ACCESS_DENIED: Final = "STREAM_ACCESS_DENIED"
INVALID_MESSAGE: Final = "INVALID_MESSAGE"


@dataclass(frozen=True, slots=True)
class Room:
    """What a subscription watches: a whole group (``item_id`` None) or one item of it."""

    stream: str
    group_id: str
    item_id: str | None = None

    def group(self) -> Room:
        return self if self.item_id is None else Room(self.stream, self.group_id)

    def __str__(self) -> str:
        where = f"{self.stream}/{self.group_id}"
        return where if self.item_id is None else f"{where}/{self.item_id}"


@dataclass(frozen=True, slots=True)
class Join:
    room: Room
    subscription_id: str


@dataclass(frozen=True, slots=True)
class Leave:
    room: Room
    subscription_id: str


ClientFrame: TypeAlias = Join | Leave


class InvalidClientFrame(Exception):
    """A client frame that cannot be acted on; answered with an error event, the socket stays open.

    ``room`` is set when the frame named one, so the error reaches that subscription on the client.
    """

    def __init__(self, message: str, room: Room | None = None, code: str = INVALID_MESSAGE) -> None:
        super().__init__(message)
        self.code = code
        self.room = room


def text_frame(payload: bytes) -> bytes:
    """An unmasked, final, uncompressed WebSocket text frame (RFC 6455 section 5.2).

    Server frames are not masked, so one message is framed once and the same bytes go to every
    connection it is sent to (see ``_direct``).
    """
    length = len(payload)
    if length < 126:
        header = bytes((0x81, length))
    elif length < 1 << 16:
        header = bytes((0x81, 126)) + length.to_bytes(2, "big")
    else:
        header = bytes((0x81, 127)) + length.to_bytes(8, "big")
    return header + payload


class ServerMessage:
    """One message, encoded once and shared by every connection it goes to.

    ``kind`` is the event type (sync, create, update, delete, event, error), the SSE event name;
    ``payload`` is the JSON (UTF-8), ``frame`` the same as a complete WebSocket text frame.
    """

    __slots__ = ("frame", "kind", "payload", "timestamp")

    def __init__(self, timestamp: int, kind: str, payload: bytes) -> None:
        self.timestamp = timestamp
        self.kind = kind
        self.payload = payload
        self.frame = text_frame(payload)

    @property
    def text(self) -> str:
        return self.payload.decode()

    def __repr__(self) -> str:
        return f"<ServerMessage {self.kind} @{self.timestamp}>"


def parse_client_frame(raw: str | bytes) -> ClientFrame:
    try:
        frame = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidClientFrame(f"frame is not valid JSON: {exc}") from None
    if not isinstance(frame, dict):
        raise InvalidClientFrame(f"frame must be a JSON object, got {type(frame).__name__}")
    kind = frame.get("type")
    if kind not in ("join", "leave"):
        raise InvalidClientFrame(f"unknown message type {kind!r}: expected 'join' or 'leave'")
    data = frame.get("data")
    if not isinstance(data, dict):
        raise InvalidClientFrame(f"{kind}: 'data' must be an object with streamName, groupId, subscriptionId")
    room = _room(kind, data)
    subscription_id = data.get("subscriptionId")
    if not isinstance(subscription_id, str) or not subscription_id:
        raise InvalidClientFrame(f"{kind}: 'subscriptionId' must be a non-empty string", room)
    return Join(room, subscription_id) if kind == "join" else Leave(room, subscription_id)


def _room(kind: str, data: dict[str, object]) -> Room:
    stream, group_id, item_id = data.get("streamName"), data.get("groupId"), data.get("id")
    if not isinstance(stream, str) or not stream:
        raise InvalidClientFrame(f"{kind}: 'streamName' must be a non-empty string")
    if not isinstance(group_id, str) or not group_id:
        raise InvalidClientFrame(f"{kind}: 'groupId' must be a non-empty string")
    # The clients leave ``id`` out for a group; null and "" are read the same way.
    if item_id is not None and not isinstance(item_id, str):
        raise InvalidClientFrame(f"{kind}: 'id' must be a string when given", Room(stream, group_id))
    return Room(stream, group_id, item_id or None)


def change_message(change: StreamChange, timestamp: int) -> ServerMessage:
    if change.kind == "event":
        event: dict[str, JsonValue] = {"type": "event", "event": change.data}
        kind = "event"
    else:
        event = {"type": change.kind, "data": change.data}
        kind = change.kind
    room = Room(change.stream, change.group_id, change.item_id)
    return ServerMessage(timestamp, kind, _encode(room, timestamp, event))


def sync_message(room: Room, data: JsonValue, timestamp: int) -> ServerMessage:
    """The current value on join: the item (or null) for an item room, the item list for a group."""
    return ServerMessage(timestamp, "sync", _encode(room, timestamp, {"type": "sync", "data": data}))


def error_message(room: Room | None, code: str, message: str, timestamp: int) -> ServerMessage:
    event: dict[str, JsonValue] = {"type": "error", "data": {"code": code, "message": message}}
    return ServerMessage(timestamp, "error", _encode(room, timestamp, event))


def _encode(room: Room | None, timestamp: int, event: dict[str, JsonValue]) -> bytes:
    message: dict[str, JsonValue] = {"timestamp": timestamp}
    if room is not None:
        message["streamName"] = room.stream
        message["groupId"] = room.group_id
        if room.item_id is not None:
            message["id"] = room.item_id
    message["event"] = event
    return orjson.dumps(message)
