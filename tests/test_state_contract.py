"""One contract for every StateStore adapter (memory, SQLite, Redis)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from supervisor.state import MemoryStateStore, RedisStateStore, SqliteStateStore, StateStore
from supervisor.storage import SqliteDatabase
from tests.support.adapters import DURABLE_KINDS, AdapterHarness, Adapters
from tests.support.sqlite_writes import record_write_threads, until_a_write_runs_on_the_loop

Harness = AdapterHarness[StateStore]


STATE_STORES: Adapters[StateStore] = Adapters(MemoryStateStore, SqliteStateStore, RedisStateStore)
harness = STATE_STORES.harness_fixture()


@pytest.fixture
def store(harness: Harness) -> StateStore:
    return harness.adapter


async def test_missing_key_is_none(store: StateStore) -> None:
    assert await store.get("g", "nope") is None
    assert await store.get_group("nope") == []
    assert await store.items("nope") == {}


async def test_set_returns_value_and_get_reads_it(store: StateStore) -> None:
    value = {"name": "Rex", "tags": ["dog", "good"], "age": 3, "weight": 12.5, "ok": True, "x": None}
    assert await store.set("pets", "1", value) == value
    assert await store.get("pets", "1") == value


@pytest.mark.parametrize(
    "value", [0, -7, 2**62, 1.5, "", "héllo ✓", True, False, [], {}, [1, [2, {"a": None}]]]
)
async def test_every_json_kind_round_trips(store: StateStore, value: object) -> None:
    await store.set("g", "k", value)
    assert await store.get("g", "k") == value
    assert type(await store.get("g", "k")) is type(value)


async def test_stored_values_are_isolated_from_callers(store: StateStore) -> None:
    value = {"list": [1]}
    await store.set("g", "k", value)
    value["list"].append(2)
    got = await store.get("g", "k")
    assert got == {"list": [1]}
    got["list"].append(3)
    assert await store.get("g", "k") == {"list": [1]}


async def test_overwrite_keeps_insertion_position(store: StateStore) -> None:
    for key in "abc":
        await store.set("g", key, key)
    await store.set("g", "a", "A")
    assert await store.get_group("g") == ["A", "b", "c"]
    assert await store.items("g") == {"a": "A", "b": "b", "c": "c"}
    assert list((await store.items("g")).keys()) == ["a", "b", "c"]


async def test_delete_returns_old_value_and_reinsert_goes_last(store: StateStore) -> None:
    for key in "abc":
        await store.set("g", key, {"k": key})
    assert await store.delete("g", "a") == {"k": "a"}
    assert await store.delete("g", "a") is None
    assert await store.get("g", "a") is None
    await store.set("g", "a", {"k": "a2"})
    assert list((await store.items("g")).keys()) == ["b", "c", "a"]


async def test_groups_are_independent_and_listed_sorted(store: StateStore) -> None:
    await store.set("zeta", "k", 1)
    await store.set("alpha", "k", 2)
    await store.set("mid", "k", 3)
    assert await store.groups() == ["alpha", "mid", "zeta"]
    await store.clear("mid")
    assert await store.get("mid", "k") is None
    assert await store.get("alpha", "k") == 2
    assert await store.groups() == ["alpha", "zeta"]
    await store.delete("zeta", "k")
    assert await store.groups() == ["alpha"]
    await store.clear("never-existed")


async def test_same_key_in_two_groups(store: StateStore) -> None:
    await store.set("a", "k", 1)
    await store.set("b", "k", 2)
    assert (await store.get("a", "k"), await store.get("b", "k")) == (1, 2)


async def test_unserializable_value_is_refused_with_its_name(store: StateStore) -> None:
    with pytest.raises(TypeError, match=r"state value trips/t1"):
        await store.set("trips", "t1", {"when": object()})
    assert await store.get("trips", "t1") is None


async def test_concurrent_writes_all_land(store: StateStore) -> None:
    await asyncio.gather(*(store.set("g", str(i), i) for i in range(300)))
    assert await store.items("g") == {str(i): i for i in range(300)}


async def test_clearing_a_large_group_on_sqlite_commits_off_the_event_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An idle writer commits a small write on the caller's thread, the event loop's; clearing a group
    deletes as many rows as the group holds and goes to the writer thread instead."""
    db = await SqliteDatabase.open(tmp_path / ".motia" / "motia.db")
    store = SqliteStateStore(db)
    ran_on = record_write_threads(monkeypatch)
    loop_thread = threading.get_ident()
    try:
        await asyncio.gather(*(store.set("big", str(n), {"payload": "x" * 200}) for n in range(5_000)))
        await store.set("other", "k", 1)
        await until_a_write_runs_on_the_loop(lambda: store.set("small", "k", 1), ran_on)

        del ran_on[:]
        await asyncio.sleep(0.01)  # a loop turn of its own, as the small write had
        await store.clear("big")
        assert ran_on and loop_thread not in ran_on
        assert await store.items("big") == {}
        assert await store.groups() == ["other", "small"]
    finally:
        await db.close()


@pytest.mark.parametrize("kind", DURABLE_KINDS)
async def test_durable_state_survives_reopen(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    harness = await STATE_STORES.open(kind, tmp_path / ".motia" / "motia.db", request)
    await harness.adapter.set("g", "b", {"v": 1})
    await harness.adapter.set("g", "a", [1, 2])
    await harness.adapter.set("h", "x", "y")
    await harness.adapter.delete("h", "x")
    store = await harness.reopen()
    try:
        assert await store.items("g") == {"b": {"v": 1}, "a": [1, 2]}
        assert await store.groups() == ["g"]
    finally:
        await harness.close()
