# steps/python/create_pet_step.py
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema
from services.pet_store import MAX_SAFE_INTEGER, js_number, js_trim, now_ms, pet_store
from services.types import plain_json_schema


class CreatePetBody(BaseModel):
    model_config = ConfigDict(json_schema_extra=plain_json_schema)

    name: str = Field(pattern=r"\S", examples=["Luna"])
    species: Literal["dog", "cat", "bird", "other"]
    ageMonths: int = Field(ge=0, le=MAX_SAFE_INTEGER, examples=[8])
    weightKg: Annotated[float, Field(gt=0)] | SkipJsonSchema[None] = None
    symptoms: list[str] | SkipJsonSchema[None] = None


config = {
    "type": "api",
    "name": "PyCreatePet",
    "description": (
        "Create a pet; answers the first petCreation stream item while the jobs and agents carry on"
    ),
    "path": "/py/pets",
    "method": "POST",
    "bodySchema": CreatePetBody,
    "emits": ["py.pet.created", "py.feeding.reminder.enqueued"],
    "flows": ["PyPetManagement", "PetShelter"],
}


async def handler(req, context):
    body = CreatePetBody.model_validate(req["body"])
    new_pet = {"name": js_trim(body.name), "species": body.species, "ageMonths": body.ageMonths}
    if body.weightKg is not None:
        new_pet["weightKg"] = js_number(body.weightKg)
    if body.symptoms is not None:
        new_pet["symptoms"] = body.symptoms
    pet = await pet_store(context.state).create(new_pet)
    context.logger.info(
        "🐾 Pet created",
        {"petId": pet["id"], "name": pet["name"], "species": pet["species"], "status": pet["status"]},
    )

    created = await context.streams.petCreation.set(
        context.trace_id,
        "created",
        {
            "message": (
                f"Pet {pet['name']} (ID: {pet['id']}) created successfully - "
                f"Species: {pet['species']}, Age: {pet['ageMonths']} months, Status: {pet['status']}"
            ),
            "petId": pet["id"],
            "pet": pet,
        },
    )

    await context.emit(
        {
            "topic": "py.pet.created",
            "data": {
                "petId": pet["id"],
                "event": "pet.created",
                "name": pet["name"],
                "species": pet["species"],
            },
        }
    )
    await context.emit(
        {
            "topic": "py.feeding.reminder.enqueued",
            "data": {"petId": pet["id"], "enqueuedAt": now_ms()},
        }
    )

    return {"status": 201, "body": created}
