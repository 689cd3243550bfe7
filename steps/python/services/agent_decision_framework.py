"""Decision-making agents: the model (or, without an API key, a fixed rule set) picks one of the emits an
agent declares; the decision artifact is cached per pet and decision input, and the chosen emit goes to
the orchestrator.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Literal, cast

from services.openai_client import announce_fallback, chat_json, model_name, openai_client
from services.pet_store import js_trim, now_ms, pet_store
from services.types import (
    AgentContext,
    AgentDecision,
    AgentType,
    CachedDecision,
    DecisionArtifact,
    LifecycleEvent,
    Pet,
    PetStatus,
)

DECISIONS_GROUP = "py-agent-decisions"


@dataclass(frozen=True)
class EmitDefinition:
    id: str
    topic: str
    event: LifecycleEvent
    description: str
    orchestrator_effect: str


HEALTH_REVIEW_EMITS: list[EmitDefinition] = [
    EmitDefinition(
        id="emit.health.treatment_required",
        topic="py.health.treatment_required",
        event="health.treatment_required",
        description="Pet requires medical treatment due to health concerns",
        orchestrator_effect="in_quarantine, healthy or available -> ill -> under_treatment",
    ),
    EmitDefinition(
        id="emit.health.no_treatment_needed",
        topic="py.health.no_treatment_needed",
        event="health.no_treatment_needed",
        description="Pet is healthy and requires no medical intervention",
        orchestrator_effect="in_quarantine -> healthy -> available; healthy or available stay",
    ),
]

ADOPTION_REVIEW_EMITS: list[EmitDefinition] = [
    EmitDefinition(
        id="emit.adoption.needs_data",
        topic="py.adoption.needs_data",
        event="adoption.needs_data",
        description="Pet needs additional data (weight, health clearance or profile) before adoption",
        orchestrator_effect="status unchanged, flag needs_data added",
    ),
    EmitDefinition(
        id="emit.adoption.ready",
        topic="py.adoption.ready",
        event="adoption.ready",
        description="Pet is ready for adoption",
        orchestrator_effect="healthy -> available (refused while flagged needs_data)",
    ),
]


@dataclass(frozen=True)
class ReviewDefinition:
    agent_type: AgentType
    label: str
    emits: list[EmitDefinition]
    allowed_statuses: list[PetStatus]


@dataclass(frozen=True)
class Decision:
    parsed_decision: AgentDecision
    source: Literal["openai", "fallback"]
    model: str | None


def build_agent_context(pet: Pet) -> AgentContext:
    return {
        "petId": pet["id"],
        "name": pet["name"],
        "species": pet["species"],
        "ageMonths": pet["ageMonths"],
        "weightKg": pet["weightKg"],
        "symptoms": pet["symptoms"],
        "profile": pet["profile"],
        "flags": pet["flags"],
        "currentStatus": pet["status"],
    }


def canonical_json(value: Any) -> str:
    """JSON with object keys sorted at every level and no whitespace."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def decision_cache_key(agent_type: str, context: AgentContext) -> str:
    """The cache key of a decision: agent, pet, and a hash of the pet data the decision is about.

    Status and flags are left out: they are workflow state that the decision itself changes, so a repeated
    review after its own effect still finds the cached decision.
    """
    decision_inputs = {key: value for key, value in context.items() if key not in ("currentStatus", "flags")}
    digest = hashlib.sha256(canonical_json(decision_inputs).encode("utf-8")).hexdigest()
    return f"{agent_type}:{context['petId']}:{digest}"


def fallback_decision(agent_type: str, context: AgentContext) -> AgentDecision:
    """The deterministic decision used when no model is configured."""
    symptoms = ", ".join(context["symptoms"])
    if agent_type == "health-review":
        if context["symptoms"]:
            return {
                "chosenEmit": "emit.health.treatment_required",
                "rationale": (
                    f"Rule-based fallback: reported symptoms ({symptoms}) need veterinary treatment."
                ),
            }
        return {
            "chosenEmit": "emit.health.no_treatment_needed",
            "rationale": "Rule-based fallback: no symptoms reported, so no treatment is needed.",
        }
    if context["symptoms"]:
        return {
            "chosenEmit": "emit.adoption.needs_data",
            "rationale": (
                f"Rule-based fallback: reported symptoms ({symptoms}) need a vet clearance before adoption."
            ),
        }
    missing = [
        field
        for field, absent in (
            ("weightKg", context["weightKg"] is None),
            ("profile", context["profile"] is None),
        )
        if absent
    ]
    if missing:
        return {
            "chosenEmit": "emit.adoption.needs_data",
            "rationale": f"Rule-based fallback: missing {', '.join(missing)}.",
        }
    return {
        "chosenEmit": "emit.adoption.ready",
        "rationale": "Rule-based fallback: weight, profile and health data are complete.",
    }


def decision_prompt(agent_type: str, emits: list[EmitDefinition], context: AgentContext) -> tuple[str, str]:
    system = (
        f"You are the {agent_type} agent of a pet shelter. Choose exactly one of the available emits for the "
        "pet described by the user and explain why. Respond with a JSON object only: "
        '{"chosenEmit": "<one of the emit ids>", "rationale": "<one or two sentences>"}.'
    )
    user = "\n".join(
        [
            f"Agent: {agent_type}",
            "Available emits:",
            *(f"- {emit.id}: {emit.description} (effect: {emit.orchestrator_effect})" for emit in emits),
            "Pet context (JSON):",
            json.dumps(context, indent=2, ensure_ascii=False),
        ]
    )
    return system, user


def _js_stringify(answer: Any, key: str) -> str:
    """``JSON.stringify(answer?.[key])`` inside a template: ``undefined`` when there is no such field."""
    if not isinstance(answer, dict) or key not in answer:
        return "undefined"
    return json.dumps(answer[key], separators=(",", ":"), ensure_ascii=False)


async def call_agent_decision(
    agent_type: str, context: AgentContext, emits: list[EmitDefinition], logger: Any
) -> Decision:
    """Asks the model (or the fallback) for a decision; raises when the model fails or answers nonsense."""
    openai = openai_client()
    if openai is None:
        announce_fallback(logger)
        return Decision(fallback_decision(agent_type, context), "fallback", None)
    system, user = decision_prompt(agent_type, emits, context)
    answer = await chat_json(openai, system, user, 0)
    chosen_emit = answer.get("chosenEmit") if isinstance(answer, dict) else None
    rationale = answer.get("rationale") if isinstance(answer, dict) else None
    if not isinstance(chosen_emit, str) or not any(emit.id == chosen_emit for emit in emits):
        ids = ", ".join(emit.id for emit in emits)
        raise ValueError(f"the model chose {_js_stringify(answer, 'chosenEmit')}, not one of {ids}")
    if not isinstance(rationale, str) or js_trim(rationale) == "":
        raise ValueError("the model gave no rationale")
    return Decision({"chosenEmit": chosen_emit, "rationale": rationale}, "openai", model_name())


async def cached_decisions_for(state: Any, pet_id: str) -> list[CachedDecision]:
    """Every cached decision about one pet (each with its state key)."""
    entries = cast("list[CachedDecision]", await state.get_group(DECISIONS_GROUP) or [])
    return [entry for entry in entries if entry["artifact"]["petId"] == pet_id]


async def run_review(review: ReviewDefinition, pet_id: str, ctx: Any) -> dict[str, Any]:
    """The whole review endpoint: guard, cache, decide, remember, emit, answer the artifact."""
    logger, state = ctx.logger, ctx.state
    pet = await pet_store(state).get(pet_id)
    if not pet:
        return {"status": 404, "body": {"message": "Pet not found", "petId": pet_id}}
    logger.info(
        f"🤖 {review.label} agent triggered",
        {"petId": pet_id, "currentStatus": pet["status"], "symptoms": pet["symptoms"]},
    )

    if pet["status"] not in review.allowed_statuses:
        allowed = ", ".join(review.allowed_statuses)
        return {
            "status": 409,
            "body": {
                "message": f"{review.label} can only be performed on pets that are {allowed}",
                "petId": pet_id,
                "currentStatus": pet["status"],
                "allowedStatuses": review.allowed_statuses,
            },
        }

    context = build_agent_context(pet)
    cache_key = decision_cache_key(review.agent_type, context)
    cached = cast("CachedDecision | None", await state.get(DECISIONS_GROUP, cache_key))
    if cached:
        logger.info(
            f"🔄 Idempotent {review.agent_type} - returning cached decision",
            {
                "petId": pet_id,
                "chosenEmit": cached["artifact"]["parsedDecision"]["chosenEmit"],
                "timestamp": cached["artifact"]["timestamp"],
            },
        )
        return {"status": 200, "body": {**cached["artifact"], "cached": True}}

    try:
        decision = await call_agent_decision(review.agent_type, context, review.emits, logger)
    except Exception as error:
        message = str(error)
        logger.error(f"❌ {review.label} agent decision failed", {"petId": pet_id, "error": message})
        return {
            "status": 502,
            "body": {"message": "Agent decision failed", "error": message, "petId": pet_id},
        }

    chosen = next(emit for emit in review.emits if emit.id == decision.parsed_decision["chosenEmit"])
    artifact: DecisionArtifact = {
        "petId": pet_id,
        "agentType": review.agent_type,
        "timestamp": now_ms(),
        "inputs": context,
        "availableEmits": [emit.id for emit in review.emits],
        "parsedDecision": decision.parsed_decision,
        "emitFired": chosen.topic,
        "source": decision.source,
        "model": decision.model,
        "success": True,
    }
    cached_decision: CachedDecision = {"cacheKey": cache_key, "artifact": artifact}
    await state.set(DECISIONS_GROUP, cache_key, cached_decision)

    await ctx.emit(
        {
            "topic": chosen.topic,
            "data": {
                "petId": pet_id,
                "event": chosen.event,
                "agentDecision": artifact["parsedDecision"],
                "decidedAt": artifact["timestamp"],
            },
        }
    )
    logger.info(
        f"✅ {review.label} emit fired",
        {
            "petId": pet_id,
            "chosenEmit": chosen.id,
            "topic": chosen.topic,
            "source": artifact["source"],
            "rationale": artifact["parsedDecision"]["rationale"],
        },
    )
    return {"status": 200, "body": {**artifact, "cached": False}}
