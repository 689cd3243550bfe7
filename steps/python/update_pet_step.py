# steps/python/update_pet_step.py
import json
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema
from services.pet_lifecycle import NEEDS_DATA_FLAG, allowed_staff_targets, invalid_transition_message
from services.pet_store import MAX_SAFE_INTEGER, js_number, js_trim, now_ms, pet_store
from services.types import PetStatus, plain_json_schema


class UpdatePetBody(BaseModel):
    model_config = ConfigDict(json_schema_extra=plain_json_schema)

    name: Annotated[str, Field(pattern=r"\S")] | SkipJsonSchema[None] = None
    species: Literal["dog", "cat", "bird", "other"] | SkipJsonSchema[None] = None
    ageMonths: Annotated[int, Field(ge=0, le=MAX_SAFE_INTEGER)] | SkipJsonSchema[None] = None
    weightKg: Annotated[float, Field(gt=0)] | SkipJsonSchema[None] = None
    symptoms: list[str] | SkipJsonSchema[None] = None
    notes: str | SkipJsonSchema[None] = None
    status: PetStatus | SkipJsonSchema[None] = None


# Fields whose change answers an adoption review's needs_data verdict.
PET_DATA_FIELDS = ("name", "species", "ageMonths", "weightKg", "symptoms")

config = {
    "type": "api",
    "name": "PyUpdatePet",
    "description": (
        "Update pet fields; a status is a staff decision handed to the lifecycle orchestrator (202), "
        "and an invalid transition is refused here (409)"
    ),
    "path": "/py/pets/:id",
    "method": "PUT",
    "bodySchema": UpdatePetBody,
    "emits": ["py.pet.status.update.requested"],
    "flows": ["PyPetManagement"],
}


def _as_json(value):
    """``JSON.stringify(value)``, to compare a field with the record's as the TypeScript app does."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


async def handler(req, context):
    logger = context.logger
    pet_id = req["pathParams"]["id"]
    body = UpdatePetBody.model_validate(req["body"])
    requested_status = body.status
    # The given fields (the status aside), in schema order, as JSON holds them.
    fields = {
        field: getattr(body, field)
        for field in UpdatePetBody.model_fields
        if field != "status" and field in body.model_fields_set and getattr(body, field) is not None
    }
    if "name" in fields:
        fields["name"] = js_trim(fields["name"])
    if "weightKg" in fields:
        fields["weightKg"] = js_number(fields["weightKg"])

    # Decided under the pet's lock, so the checks and the field changes see the same record.
    outcome = {}

    def decide(pet):
        if pet["status"] == "deleted":
            outcome["refusal"] = {
                "status": 409,
                "body": {
                    "message": "Pet is deleted and can no longer be updated",
                    "petId": pet_id,
                    "currentStatus": pet["status"],
                },
            }
            return None
        if requested_status is not None and requested_status != pet["status"]:
            allowed = allowed_staff_targets(pet["status"])
            if requested_status not in allowed:
                outcome["refusal"] = {
                    "status": 409,
                    "body": {
                        "message": invalid_transition_message(pet["status"], requested_status),
                        "petId": pet_id,
                        "from": pet["status"],
                        "to": requested_status,
                        "allowed": allowed,
                    },
                }
                return None
            outcome["status_change"] = (pet["status"], requested_status)
        changes = {field: value for field, value in fields.items() if _as_json(value) != _as_json(pet[field])}
        if any(field in changes for field in PET_DATA_FIELDS) and NEEDS_DATA_FLAG in pet["flags"]:
            changes["flags"] = [flag for flag in pet["flags"] if flag != NEEDS_DATA_FLAG]
        return changes or None

    result = await pet_store(context.state).update(pet_id, decide)

    if not result:
        return {"status": 404, "body": {"message": "Pet not found", "petId": pet_id}}
    refusal = outcome.get("refusal")
    if refusal:
        logger.warn("⚠️ Pet update refused", refusal["body"])
        return refusal
    if result["after"] is not result["before"]:
        logger.info("Pet updated", {"petId": pet_id, "fields": list(fields)})
    status_change = outcome.get("status_change")
    if status_change:
        from_status, to_status = status_change
        logger.info(
            "👤 Staff requesting status change",
            {"petId": pet_id, "currentStatus": from_status, "requestedStatus": to_status},
        )
        await context.emit(
            {
                "topic": "py.pet.status.update.requested",
                "data": {
                    "petId": pet_id,
                    "event": "status.update.requested",
                    "requestedStatus": to_status,
                    "requestedAt": now_ms(),
                },
            }
        )
        return {"status": 202, "body": result["after"]}
    return {"status": 200, "body": result["after"]}
