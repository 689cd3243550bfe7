"""Shared type definitions of the Python pet-management app (the TypeScript types, as TypedDicts)."""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

Species = Literal["dog", "cat", "bird", "other"]

PetStatus = Literal[
    "new",
    "in_quarantine",
    "healthy",
    "available",
    "pending",
    "adopted",
    "ill",
    "under_treatment",
    "recovered",
    "deleted",
]

LifecycleEvent = Literal[
    "feeding.reminder.completed",
    "status.update.requested",
    "health.treatment_required",
    "health.no_treatment_needed",
    "adoption.needs_data",
    "adoption.ready",
]

AgentType = Literal["health-review", "adoption-review"]


class PetProfile(TypedDict):
    bio: str
    breedGuess: str
    temperamentTags: list[str]
    adopterHints: str


class Pet(TypedDict):
    """The pet record; every field is always present, in this order."""

    id: str
    name: str
    species: Species
    ageMonths: int
    status: PetStatus
    createdAt: int
    updatedAt: int
    weightKg: float | None
    symptoms: list[str]
    notes: str | None
    nextFeedingAt: int | None
    deletedAt: int | None
    purgeAt: int | None
    profile: PetProfile | None
    flags: list[str]


class NewPet(TypedDict):
    name: str
    species: Species
    ageMonths: int
    weightKg: NotRequired[float]
    symptoms: NotRequired[list[str]]


class PetChanges(TypedDict, total=False):
    """The fields a writer may change; id and createdAt never change, updatedAt is set by ``update``."""

    name: str
    species: Species
    ageMonths: int
    status: PetStatus
    weightKg: float | None
    symptoms: list[str]
    notes: str | None
    nextFeedingAt: int | None
    deletedAt: int | None
    purgeAt: int | None
    profile: PetProfile | None
    flags: list[str]


class PetUpdate(TypedDict):
    """What ``PetStore.update`` answers: the record before and after (the same object when unchanged)."""

    before: Pet
    after: Pet


class StaffActionEvent(TypedDict):
    """What the orchestrator's staff-action topics carry (treatment.required/completed,
    adoption.available).
    """

    petId: str
    name: str
    status: PetStatus
    previousStatus: PetStatus


class AgentContext(TypedDict):
    petId: str
    name: str
    species: str
    ageMonths: int
    weightKg: float | None
    symptoms: list[str]
    profile: PetProfile | None
    flags: list[str]
    currentStatus: PetStatus


class AgentDecision(TypedDict):
    chosenEmit: str
    rationale: str


class DecisionArtifact(TypedDict):
    petId: str
    agentType: AgentType
    timestamp: int
    inputs: AgentContext
    availableEmits: list[str]
    parsedDecision: AgentDecision
    emitFired: str
    source: Literal["openai", "fallback"]
    model: str | None
    success: Literal[True]


class CachedDecision(TypedDict):
    cacheKey: str
    artifact: DecisionArtifact


def plain_json_schema(schema: dict[str, Any]) -> None:
    """``json_schema_extra`` for request bodies: drops pydantic's titles and defaults, so a body model's
    JSON Schema is exactly the one steps/README.md gives (and the runtime's validation errors are too).
    """
    schema.pop("title", None)
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)
        prop.pop("default", None)
