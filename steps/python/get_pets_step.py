# steps/python/get_pets_step.py
from services.pet_store import pet_store

config = {
    "type": "api",
    "name": "PyGetPets",
    "description": "List every pet, soft-deleted ones included, oldest first",
    "path": "/py/pets",
    "method": "GET",
    "emits": [],
    "flows": ["PyPetManagement"],
}


async def handler(req, context):
    pets = await pet_store(context.state).list()
    context.logger.info("Retrieved all pets", {"count": len(pets)})
    return {"status": 200, "body": pets}
