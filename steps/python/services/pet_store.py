"""The pet records of the Python app, kept in the framework's state (group ``py-pets``, one key per pet
id), so they are durable, traced and readable from every language.

Also the few helpers that make Python print what the TypeScript reference prints (``Date.now()``,
``toISOString()``, ``trim()``, ``substring()``, JSON numbers).
"""

from __future__ import annotations

import asyncio
import datetime
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, cast, get_args

from services.types import NewPet, Pet, PetChanges, PetStatus, PetUpdate

PETS_GROUP = "py-pets"

SPECIES = ("dog", "cat", "bird", "other")

PET_STATUSES: tuple[str, ...] = get_args(PetStatus)

DAY_MS = 24 * 60 * 60 * 1000
PURGE_AFTER_MS = 30 * DAY_MS

# The largest integer a JSON number of the other languages holds exactly (Number.MAX_SAFE_INTEGER).
MAX_SAFE_INTEGER = 9007199254740991


# ---------------------------------------------------------------- what JavaScript would print


def now_ms() -> int:
    """``Date.now()``: epoch milliseconds."""
    return time.time_ns() // 1_000_000


def iso_time(ms: int | float) -> str:
    """``new Date(ms).toISOString()``, e.g. ``2024-01-01T00:00:00.000Z``."""
    millis = int(ms)
    moment = datetime.datetime.fromtimestamp(millis // 1000, tz=datetime.UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{millis % 1000:03d}Z"


# String.prototype.trim() strips WhiteSpace and LineTerminator code points (not quite str.strip()'s set).
_JS_WHITESPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"  # noqa: E501


def js_trim(text: str) -> str:
    """``text.trim()``."""
    return text.strip(_JS_WHITESPACE)


def js_head(text: str, length: int) -> str:
    """``text.substring(0, length)``: JavaScript counts UTF-16 code units (a pair is never split here)."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > length:
            return text[:index]
    return text


def js_number(value: Any) -> Any:
    """A JSON number as JavaScript holds it: an integral float is an integer (``30.0`` prints ``30``)."""
    if isinstance(value, float) and value.is_integer() and abs(value) <= MAX_SAFE_INTEGER:
        return int(value)
    return value


# ---------------------------------------------------------------- the per-pet lock

# State has no atomic read-modify-write, and the feeding job, the enrichment agent, the orchestrator and
# the API all update the same record concurrently. Every update of one pet therefore runs under a per-pet
# lock. The lock lives in this module, so it covers every Python step of the runner process (every
# handler of the app is ``async def`` and runs on the runner's one event loop; the python runner pool has
# one process by default; see steps/README.md).
_locks: dict[str, asyncio.Lock] = {}
_holders: dict[str, int] = {}


@asynccontextmanager
async def pet_lock(pet_id: str) -> AsyncIterator[None]:
    lock = _locks.get(pet_id)
    if lock is None:
        lock = _locks[pet_id] = asyncio.Lock()
    _holders[pet_id] = _holders.get(pet_id, 0) + 1
    try:
        async with lock:
            yield
    finally:
        _holders[pet_id] -= 1
        if _holders[pet_id] == 0:
            del _holders[pet_id]
            del _locks[pet_id]


# ---------------------------------------------------------------- the store


def is_due_for_purge(pet: Pet, now: int) -> bool:
    """A soft-deleted pet whose purge date has passed: the deletion reaper removes it for good."""
    return pet["status"] == "deleted" and pet["purgeAt"] is not None and pet["purgeAt"] <= now


def _by_creation(pet: Pet) -> tuple[int, str]:
    """Orders pets by creation time, then id, so every listing is deterministic."""
    return (pet["createdAt"], pet["id"])


class PetStore:
    def __init__(self, state: Any) -> None:
        self._state = state

    async def create(self, data: NewPet) -> Pet:
        now = now_ms()
        pet: Pet = {
            "id": str(uuid.uuid4()),
            "name": data["name"],
            "species": data["species"],
            "ageMonths": data["ageMonths"],
            "status": "new",
            "createdAt": now,
            "updatedAt": now,
            "weightKg": data.get("weightKg"),
            "symptoms": data.get("symptoms") or [],
            "notes": None,
            "nextFeedingAt": None,
            "deletedAt": None,
            "purgeAt": None,
            "profile": None,
            "flags": [],
        }
        await self._state.set(PETS_GROUP, pet["id"], pet)
        return pet

    async def get(self, pet_id: str) -> Pet | None:
        return cast("Pet | None", await self._state.get(PETS_GROUP, pet_id))

    async def list(self) -> list[Pet]:
        pets = cast("list[Pet]", await self._state.get_group(PETS_GROUP) or [])
        return sorted(pets, key=_by_creation)

    async def update(self, pet_id: str, decide: Callable[[Pet], PetChanges | None]) -> PetUpdate | None:
        """Applies the changes ``decide`` returns for the current record, atomically for this pet.

        ``decide`` sees the freshest record; returning None leaves it untouched. Answers
        the record before and after (the same object when unchanged), or None when the pet does not exist.
        """
        async with pet_lock(pet_id):
            before = cast("Pet | None", await self._state.get(PETS_GROUP, pet_id))
            if not before:
                return None
            changes = decide(before)
            if changes is None:
                return {"before": before, "after": before}
            after = cast("Pet", {**before, **changes, "updatedAt": now_ms()})
            await self._state.set(PETS_GROUP, pet_id, after)
            return {"before": before, "after": after}

    async def remove(self, pet_id: str) -> bool:
        """Permanently removes the record; True when it existed."""
        async with pet_lock(pet_id):
            return await self._state.delete(PETS_GROUP, pet_id) is not None


def pet_store(state: Any) -> PetStore:
    return PetStore(state)
