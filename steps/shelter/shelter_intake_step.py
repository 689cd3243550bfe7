# steps/shelter/shelter_intake_step.py
import time
from typing import Literal

from pydantic import BaseModel

# The desks that take pets in: each language's copy of the app, by the state group its pets live in.
DESKS = ("ts", "js", "py")


class PetCreated(BaseModel):
    """What every desk's CreatePet emits on <lang>.pet.created (steps/README.md, Topics)."""

    petId: str
    event: Literal["pet.created"]
    name: str
    species: Literal["dog", "cat", "bird", "other"]


config = {
    "type": "event",
    "name": "ShelterIntake",
    "description": "Records every new pet, whichever desk (language) created it, in the shelter's intake",
    "subscribes": ["ts.pet.created", "js.pet.created", "py.pet.created"],
    "input": PetCreated,
    "emits": ["shelter.intake.recorded"],
    "flows": ["PetShelter"],
}


async def handler(input_data, context):
    created = PetCreated.model_validate(input_data)
    state, logger = context.state, context.logger
    # The event does not say which desk sent it; the pet's record does, in that desk's state group.
    desk = None
    for candidate in DESKS:
        if await state.get(f"{candidate}-pets", created.petId) is not None:
            desk = candidate
            break
    if desk is None:
        logger.error("❌ Shelter intake failed - pet not found at any desk", {"petId": created.petId})
        return

    entry = {
        "petId": created.petId,
        "name": created.name,
        "species": created.species,
        "desk": desk,
        "intakeAt": int(time.time() * 1000),
    }
    # One key per pet: concurrent intakes never write the same entry, so no read-modify-write.
    await state.set("shelter-intake", created.petId, entry)
    logger.info("🏠 Shelter intake recorded", {"petId": created.petId, "name": created.name, "desk": desk})
    await context.emit({"topic": "shelter.intake.recorded", "data": entry})
