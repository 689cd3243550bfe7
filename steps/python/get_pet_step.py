# steps/python/get_pet_step.py
from services.pet_store import pet_store

config = {
    "type": "api",
    "name": "PyGetPet",
    "description": "Get one pet by id",
    "path": "/py/pets/:id",
    "method": "GET",
    "emits": [],
    "flows": ["PyPetManagement"],
}


async def handler(req, context):
    pet_id = req["pathParams"]["id"]
    pet = await pet_store(context.state).get(pet_id)
    if not pet:
        context.logger.warn("Pet not found", {"petId": pet_id})
        return {"status": 404, "body": {"message": "Pet not found", "petId": pet_id}}
    return {"status": 200, "body": pet}
