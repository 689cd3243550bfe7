"""One contract for every StreamStore adapter (memory, SQLite, Redis), then the Streams service on top of each."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from supervisor.streams import (
    MemoryStreamStore,
    RedisStreamStore,
    SqliteStreamStore,
    StreamChange,
    Streams,
    StreamStore,
)
from tests.support.adapters import DURABLE_KINDS, AdapterHarness, Adapters

Harness = AdapterHarness[StreamStore]


STREAM_STORES: Adapters[StreamStore] = Adapters(MemoryStreamStore, SqliteStreamStore, RedisStreamStore)
harness = STREAM_STORES.harness_fixture()


@pytest.fixture
def store(harness: Harness) -> StreamStore:
    return harness.adapter


# -- StreamStore contract ----------------------------------------------------------------


async def test_set_returns_item_with_id(store: StreamStore) -> None:
    item = await store.set("todo", "inbox", "t1", {"title": "feed Rex", "done": False})
    assert item == {"title": "feed Rex", "done": False, "id": "t1"}
    assert await store.get("todo", "inbox", "t1") == item


async def test_item_id_wins_over_an_id_in_data(store: StreamStore) -> None:
    item = await store.set("todo", "inbox", "t1", {"id": "other", "x": 1})
    assert item["id"] == "t1"
    assert (await store.get("todo", "inbox", "t1") or {})["id"] == "t1"


@pytest.mark.parametrize("data", [1, "text", [1, 2], None, True])
async def test_non_object_data_is_refused_naming_the_item(store: StreamStore, data: object) -> None:
    with pytest.raises(ValueError, match=r"stream 'todo' group 'inbox' item 't1'.*JSON object"):
        await store.set("todo", "inbox", "t1", data)
    assert await store.get("todo", "inbox", "t1") is None


async def test_missing_item_is_none(store: StreamStore) -> None:
    assert await store.get("todo", "inbox", "none") is None
    assert await store.get_group("todo", "inbox") == []
    assert await store.delete("todo", "inbox", "none") is None


async def test_put_reports_create_then_update(store: StreamStore) -> None:
    assert (await store.put("s", "g", "i", {"v": 1}))[1] is True
    item, created = await store.put("s", "g", "i", {"v": 2})
    assert (item, created) == ({"v": 2, "id": "i"}, False)


async def test_group_lists_in_insertion_order_update_keeps_place(store: StreamStore) -> None:
    for item_id in ("c", "a", "b"):
        await store.set("s", "g", item_id, {"n": item_id})
    await store.set("s", "g", "c", {"n": "C"})
    assert [i["id"] for i in await store.get_group("s", "g")] == ["c", "a", "b"]
    assert (await store.get_group("s", "g"))[0]["n"] == "C"
    await store.delete("s", "g", "c")
    await store.set("s", "g", "c", {"n": "again"})
    assert [i["id"] for i in await store.get_group("s", "g")] == ["a", "b", "c"]


async def test_keys_are_separated_by_stream_and_group(store: StreamStore) -> None:
    await store.set("s1", "g", "i", {"v": 1})
    await store.set("s2", "g", "i", {"v": 2})
    await store.set("s1", "h", "i", {"v": 3})
    assert await store.get_group("s1", "g") == [{"v": 1, "id": "i"}]
    assert await store.delete("s2", "g", "i") == {"v": 2, "id": "i"}
    assert await store.get("s1", "g", "i") == {"v": 1, "id": "i"}
    assert await store.get("s1", "h", "i") == {"v": 3, "id": "i"}


async def test_groups_of_a_stream_are_listed_sorted_with_their_sizes(store: StreamStore) -> None:
    assert await store.groups("s") == {}
    for group, item in [("b", "1"), ("a", "1"), ("b", "2"), ("b", "1")]:
        await store.set("s", group, item, {})
    await store.set("other", "z", "1", {})
    assert await store.groups("s") == {"a": 1, "b": 2}
    assert list(await store.groups("s")) == ["a", "b"]
    await store.delete("s", "a", "1")
    assert await store.groups("s") == {"b": 2}


async def test_returned_items_are_copies(store: StreamStore) -> None:
    data = {"tags": ["a"]}
    item = await store.set("s", "g", "i", data)
    data["tags"].append("b")
    item["tags"].append("c")
    assert await store.get("s", "g", "i") == {"tags": ["a"], "id": "i"}


async def test_concurrent_sets_all_land(store: StreamStore) -> None:
    await asyncio.gather(*(store.set("s", "g", str(i), {"i": i}) for i in range(200)))
    assert len(await store.get_group("s", "g")) == 200


@pytest.mark.parametrize("kind", DURABLE_KINDS)
async def test_durable_items_survive_reopen(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    harness = await STREAM_STORES.open(kind, tmp_path / ".motia" / "motia.db", request)
    await harness.adapter.set("s", "g", "b", {"v": 1})
    await harness.adapter.set("s", "g", "a", {"v": 2})
    store = await harness.reopen()
    try:
        assert await store.get_group("s", "g") == [{"v": 1, "id": "b"}, {"v": 2, "id": "a"}]
    finally:
        await harness.close()


# -- Streams service ---------------------------------------------------------------------


@pytest.fixture
async def streams(store: StreamStore) -> Streams:
    service = Streams(store)
    await service.listening()
    return service


async def test_set_publishes_create_then_update(streams: Streams) -> None:
    seen: list[StreamChange] = []
    streams.subscribe(seen.append)
    await streams.set("todo", "inbox", "t1", {"v": 1})
    await streams.set("todo", "inbox", "t1", {"v": 2})
    assert seen == [
        StreamChange("todo", "inbox", "t1", "create", {"v": 1, "id": "t1"}),
        StreamChange("todo", "inbox", "t1", "update", {"v": 2, "id": "t1"}),
    ]


async def test_delete_publishes_only_when_something_was_removed(streams: Streams) -> None:
    seen: list[StreamChange] = []
    streams.subscribe(seen.append)
    assert await streams.delete("todo", "inbox", "nope") is None
    await streams.set("todo", "inbox", "t1", {"v": 1})
    assert await streams.delete("todo", "inbox", "t1") == {"v": 1, "id": "t1"}
    assert [c.kind for c in seen] == ["create", "delete"]
    assert seen[-1].data == {"v": 1, "id": "t1"}


async def test_reads_pass_through_and_publish_nothing(streams: Streams) -> None:
    seen: list[StreamChange] = []
    streams.subscribe(seen.append)
    await streams.set("s", "g", "i", {"v": 1})
    assert await streams.get("s", "g", "i") == {"v": 1, "id": "i"}
    assert await streams.get_group("s", "g") == [{"v": 1, "id": "i"}]
    assert len(seen) == 1


async def test_send_publishes_an_event_and_stores_nothing(streams: Streams) -> None:
    seen: list[StreamChange] = []
    streams.subscribe(seen.append)
    await streams.send("chat", {"groupId": "room1"}, {"type": "typing", "data": {"user": "ana"}})
    await streams.send("chat", {"groupId": "room1", "id": "m1"}, {"type": "read"})
    assert seen == [
        StreamChange("chat", "room1", None, "event", {"type": "typing", "data": {"user": "ana"}}),
        StreamChange("chat", "room1", "m1", "event", {"type": "read", "data": None}),
    ]
    assert await streams.get_group("chat", "room1") == []


@pytest.mark.parametrize(
    ("channel", "event", "message"),
    [
        ({}, {"type": "x"}, "groupId"),
        ({"groupId": 1}, {"type": "x"}, "groupId"),
        ({"groupId": "g", "id": 2}, {"type": "x"}, "groupId"),
        ({"groupId": "g"}, {"data": 1}, "'type'"),
    ],
)
async def test_send_refuses_malformed_channel_or_event(
    streams: Streams, channel: dict[str, object], event: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        await streams.send("chat", channel, event)


async def test_unsubscribe_stops_delivery(streams: Streams) -> None:
    first: list[StreamChange] = []
    second: list[StreamChange] = []
    unsubscribe = streams.subscribe(first.append)
    streams.subscribe(second.append)
    await streams.set("s", "g", "i", {})
    unsubscribe()
    unsubscribe()  # idempotent
    await streams.set("s", "g", "i", {})
    assert len(first) == 1 and len(second) == 2


async def test_a_listener_may_unsubscribe_itself_while_called(streams: Streams) -> None:
    calls: list[str] = []

    def once(change: StreamChange) -> None:
        calls.append("once")
        unsubscribe()

    unsubscribe = streams.subscribe(once)
    streams.subscribe(lambda change: calls.append("other"))
    await streams.set("s", "g", "i", {})
    await streams.set("s", "g", "i", {})
    assert calls == ["once", "other", "other"]


async def test_a_failing_listener_is_logged_and_breaks_nothing(
    streams: Streams, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[StreamChange] = []

    def broken(change: StreamChange) -> None:
        raise RuntimeError("listener bug")

    streams.subscribe(broken)
    streams.subscribe(seen.append)
    with caplog.at_level(logging.ERROR, logger="motia.streams"):
        item = await streams.set("s", "g", "i", {"v": 1})
    assert item == {"v": 1, "id": "i"}
    assert len(seen) == 1
    assert await streams.get("s", "g", "i") == item
    assert "listener bug" in caplog.text


async def test_a_refused_set_publishes_nothing(streams: Streams) -> None:
    seen: list[StreamChange] = []
    streams.subscribe(seen.append)
    with pytest.raises(ValueError):
        await streams.set("s", "g", "i", [1, 2])
    assert seen == []


def test_stream_change_is_frozen() -> None:
    change = StreamChange("s", "g", "i", "create", {})
    with pytest.raises(AttributeError):
        change.kind = "delete"  # type: ignore[misc]
