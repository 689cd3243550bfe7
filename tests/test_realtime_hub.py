"""The pure parts of supervisor.realtime: client frames, timestamps, the hub's fan-out and order."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import orjson
import pytest

from supervisor.realtime import Identity
from supervisor.realtime._clock import TimestampClock
from supervisor.realtime._connection import QueueSink
from supervisor.realtime._realtime import AccessDenied, Realtime
from supervisor.realtime._websocket import StreamSocketMiddleware
from supervisor.realtime._wire import InvalidClientFrame, Join, Leave, Room, parse_client_frame
from supervisor.streams import MemoryStreamStore, Streams


def frame(kind: str, **data: object) -> str:
    return orjson.dumps({"type": kind, "data": data}).decode()


# ---------------------------------------------------------------- client frames


def test_join_and_leave_frames() -> None:
    join = parse_client_frame(frame("join", streamName="s", groupId="g", id="i", subscriptionId="1"))
    assert join == Join(Room("s", "g", "i"), "1")
    leave = parse_client_frame(frame("leave", streamName="s", groupId="g", subscriptionId="2"))
    assert leave == Leave(Room("s", "g"), "2")


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"type": "subscribe", "data": {}}', "unknown message type 'subscribe'"),
        ('{"type": "join"}', "'data' must be an object"),
        (frame("join", groupId="g", subscriptionId="1"), "'streamName'"),
        (frame("join", streamName="s", subscriptionId="1"), "'groupId'"),
        (frame("join", streamName="s", groupId="g", id=5, subscriptionId="1"), "'id' must be a string"),
        (frame("join", streamName="s", groupId="g"), "'subscriptionId'"),
    ],
)
def test_bad_frames_say_what_is_wrong(raw: str, fragment: str) -> None:
    with pytest.raises(InvalidClientFrame, match=fragment):
        parse_client_frame(raw)


# ---------------------------------------------------------------- timestamps


def test_stamps_increase_per_key_within_one_millisecond() -> None:
    clock = TimestampClock(now_ms=lambda: 1000)
    group, item = Room("s", "g"), Room("s", "g", "a")
    stamps = [clock.stamp(group, item) for _ in range(5)]
    assert stamps == [1000, 1001, 1002, 1003, 1004]
    # another group is not pushed ahead by this one
    assert clock.stamp(Room("s", "other")) == 1000
    # an item stamp also moves its group past it
    assert clock.stamp(group) == 1005


def test_stamps_never_go_back_with_the_wall_clock() -> None:
    now = [5000]
    clock = TimestampClock(now_ms=lambda: now[0])
    first = clock.stamp("k")
    now[0] = 10  # the wall clock jumps back
    assert clock.stamp("k") > first
    assert clock.stamp("other") >= first


def test_pruning_keeps_memory_bounded() -> None:
    now = [0]
    clock = TimestampClock(now_ms=lambda: now[0])
    for n in range(20_000):
        now[0] = n
        clock.stamp(("key", n))
    assert len(clock._last) < 10_000


# ---------------------------------------------------------------- the hub


class Client:
    """A connection on a QueueSink, with its messages decoded."""

    def __init__(self, realtime: Realtime, max_messages: int = 1024) -> None:
        self.sink = QueueSink(max_messages=max_messages)
        self.connection = realtime.hub.connect("test", self.sink)

    async def messages(self) -> list[dict[str, Any]]:
        await asyncio.sleep(0)
        return [orjson.loads(message.payload) for message in await self.sink.take(timeout=0.01)]


@pytest.fixture
def streams() -> Streams:
    return Streams(MemoryStreamStore())


@pytest.fixture
def realtime(streams: Streams) -> Realtime:
    return Realtime(streams, lambda: {"items"})


async def test_sync_then_changes_for_group_and_item(realtime: Realtime, streams: Streams) -> None:
    await streams.set("items", "g", "a", {"title": "one"})
    group, item = Client(realtime), Client(realtime)
    await realtime.hub.join(group.connection, "s1", Room("items", "g"))
    await realtime.hub.join(item.connection, "s2", Room("items", "g", "a"))
    [group_sync] = await group.messages()
    [item_sync] = await item.messages()
    assert group_sync["event"] == {"type": "sync", "data": [{"title": "one", "id": "a"}]}
    assert "id" not in group_sync
    assert item_sync["event"] == {"type": "sync", "data": {"title": "one", "id": "a"}}
    assert item_sync["id"] == "a"

    await streams.set("items", "g", "a", {"title": "two"})
    await streams.set("items", "g", "b", {"title": "new"})
    await streams.send("items", {"groupId": "g", "id": "a"}, {"type": "ping", "data": 1})
    await streams.send("items", {"groupId": "g"}, {"type": "hello"})
    await streams.delete("items", "g", "a")
    group_kinds = [(m.get("id"), m["event"]["type"]) for m in await group.messages()]
    assert group_kinds == [("a", "update"), ("b", "create"), ("a", "event"), (None, "event"), ("a", "delete")]
    item_messages = await item.messages()
    assert [m["event"]["type"] for m in item_messages] == ["update", "event", "delete"]
    assert item_messages[1]["event"] == {"type": "event", "event": {"type": "ping", "data": 1}}


async def test_one_copy_per_connection_watching_item_and_group(realtime: Realtime, streams: Streams) -> None:
    client = Client(realtime)
    await realtime.hub.join(client.connection, "group", Room("items", "g"))
    await realtime.hub.join(client.connection, "item", Room("items", "g", "a"))
    await client.messages()
    await streams.set("items", "g", "a", {"title": "x"})
    assert len(await client.messages()) == 1  # the client hands it to both subscriptions itself


async def test_timestamps_strictly_increase_per_item_and_group(realtime: Realtime, streams: Streams) -> None:
    client = Client(realtime)
    await realtime.hub.join(client.connection, "s", Room("items", "g"))
    for n in range(50):
        await streams.set("items", "g", f"i{n % 3}", {"n": n})
    stamps = [m["timestamp"] for m in await client.messages()]
    assert all(later > earlier for earlier, later in itertools.pairwise(stamps))


async def test_a_change_during_the_snapshot_read_comes_after_the_sync(streams: Streams) -> None:
    reading = asyncio.Event()
    release = asyncio.Event()

    realtime = Realtime(streams, lambda: {"items"})

    async def slow_snapshot(room: Room) -> object:
        reading.set()
        await release.wait()
        return []

    realtime.hub._read_snapshot = slow_snapshot
    client = Client(realtime)
    join = asyncio.create_task(realtime.hub.join(client.connection, "s", Room("items", "g")))
    await reading.wait()
    await streams.set("items", "g", "a", {"title": "during"})
    assert await client.messages() == []  # held behind the sync
    release.set()
    await join
    kinds = [(m["event"]["type"], m["timestamp"]) for m in await client.messages()]
    assert [kind for kind, _ in kinds] == ["sync", "create"]
    assert kinds[1][1] > kinds[0][1]


async def test_leave_and_disconnect_stop_delivery(realtime: Realtime, streams: Streams) -> None:
    client = Client(realtime)
    await realtime.hub.join(client.connection, "s", Room("items", "g"))
    await client.messages()
    assert realtime.hub.leave(client.connection, "s")
    assert not realtime.hub.leave(client.connection, "s")
    await streams.set("items", "g", "a", {"title": "x"})
    assert await client.messages() == []
    realtime.hub.disconnect(client.connection)
    assert realtime.hub.connection_count == 0


async def test_a_client_that_falls_behind_is_cut_off_alone(
    realtime: Realtime, streams: Streams, caplog: pytest.LogCaptureFixture
) -> None:
    slow, fast = Client(realtime, max_messages=5), Client(realtime)
    for client in (slow, fast):
        await realtime.hub.join(client.connection, "s", Room("items", "g"))
    await fast.messages()
    for n in range(20):
        await streams.set("items", "g", "a", {"n": n})
        if n % 5 == 0:
            await fast.messages()  # the fast client keeps reading
    assert slow.connection.cut_off.is_set()
    assert not fast.connection.cut_off.is_set()
    assert "disconnecting stream client test#1" in caplog.text
    await asyncio.sleep(0)  # the hub unsubscribes the slow client just after the write
    assert slow.connection not in realtime.hub._rooms.get(Room("items", "g"), {})


async def test_when_the_server_stops_each_client_gets_what_was_queued_then_its_end(
    realtime: Realtime, streams: Streams
) -> None:
    client = Client(realtime)
    await realtime.hub.join(client.connection, "s", Room("items", "g"))
    await client.messages()  # the sync
    await streams.set("items", "g", "a", {"n": 1})  # queued, not read yet
    realtime.hub.go_away()
    connection = client.connection
    assert (connection.ended.is_set(), connection.going_away, connection.cut_off.is_set()) == (
        True,
        True,
        False,
    )
    await streams.set("items", "g", "b", {"n": 2})  # after the end: not sent
    assert [m["event"]["data"]["n"] for m in await client.messages()] == [1]
    assert await asyncio.wait_for(client.sink.take(), 5) == []  # the end: it waits for nothing more

    late = Client(realtime)  # one that connects while the server stops ends at once
    assert late.connection.ended.is_set() and late.connection.going_away


async def test_resume_replays_missed_messages_or_declines(realtime: Realtime, streams: Streams) -> None:
    first = Client(realtime)
    await realtime.hub.join(first.connection, "s", Room("items", "g"))
    await streams.set("items", "g", "a", {"n": 1})
    seen = await first.messages()
    last = seen[-1]["timestamp"]
    await streams.set("items", "g", "b", {"n": 2})
    await streams.set("items", "g", "a", {"n": 3})

    again = Client(realtime)
    assert realtime.hub.resume(again.connection, "s", Room("items", "g"), int(last))
    assert [m["id"] for m in await again.messages()] == ["b", "a"]
    item_only = Client(realtime)
    assert realtime.hub.resume(item_only.connection, "s", Room("items", "g", "a"), int(last))
    assert [m["id"] for m in await item_only.messages()] == ["a"]
    # from before this process started: cannot be resumed exactly
    assert not realtime.hub.resume(Client(realtime).connection, "s", Room("items", "g"), 1)


async def test_unknown_streams_are_refused(realtime: Realtime) -> None:
    with pytest.raises(AccessDenied, match="no stream named 'nope' \\(streams: items\\)"):
        await realtime.check_access(Room("nope", "g"), Identity())
    await realtime.check_access(Room("items", "g"), Identity())


async def test_every_writer_reaches_subscribers_including_the_supervisor(
    realtime: Realtime, streams: Streams
) -> None:
    # Steps write through context calls, which end in this same Streams service.
    client = Client(realtime)
    await realtime.hub.join(client.connection, "s", Room("items", "g", "a"))
    await client.messages()
    await streams.set("items", "g", "a", {"by": "supervisor"})
    [message] = await client.messages()
    assert message["event"] == {"type": "create", "data": {"by": "supervisor", "id": "a"}}


async def test_a_stopping_server_waits_until_each_stream_socket_sent_its_going_away_close(
    realtime: Realtime,
) -> None:
    """The HTTP server's own shutdown closes the WebSockets still open with its code (uvicorn's
    1012, "service restart"): the stop waits for ours (1001, "going away") to be out first."""
    sent: list[dict[str, Any]] = []
    received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    received.put_nowait({"type": "websocket.connect"})
    accepted = asyncio.Event()

    async def send(message: dict[str, Any]) -> None:
        await asyncio.sleep(0.01)  # a send takes a while, as over a real transport
        sent.append(message)
        if message["type"] == "websocket.accept":
            accepted.set()

    async def app(scope: object, receive: object, send: object) -> None:
        raise AssertionError("the stream socket is served by the middleware")

    scope = {"type": "websocket", "path": "/", "headers": [], "client": ("127.0.0.1", 1)}
    serving = asyncio.create_task(StreamSocketMiddleware(app, realtime)(scope, received.get, send))
    await accepted.wait()
    assert realtime.hub.connection_count == 1
    realtime.hub.go_away()
    assert await realtime.hub.gone(timeout=30)
    assert [m["type"] for m in sent] == ["websocket.accept", "websocket.close"]
    assert sent[-1]["code"] == 1001
    await serving


async def test_a_stopping_server_gives_up_on_a_stream_that_does_not_end(realtime: Realtime) -> None:
    Client(realtime)  # its endpoint never disconnects it
    realtime.hub.go_away()
    assert await realtime.hub.gone(timeout=0.05) is False
