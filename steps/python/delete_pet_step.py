# steps/python/delete_pet_step.py
from services.pet_store import PURGE_AFTER_MS, iso_time, now_ms, pet_store

config = {
    "type": "api",
    "name": "PyDeletePet",
    "description": "Soft delete: the pet stays readable, marked deleted, until the deletion reaper purges it",
    "path": "/py/pets/:id",
    "method": "DELETE",
    "emits": [],
    "flows": ["PyPetManagement"],
}


def soft_delete(pet):
    if pet["status"] == "deleted":
        return None
    now = now_ms()
    return {"status": "deleted", "deletedAt": now, "purgeAt": now + PURGE_AFTER_MS}


async def handler(req, context):
    pet_id = req["pathParams"]["id"]
    # Deletion is the one status change made outside the orchestrator (as in the tutorial).
    result = await pet_store(context.state).update(pet_id, soft_delete)
    if not result:
        return {"status": 404, "body": {"message": "Pet not found", "petId": pet_id}}
    pet = result["after"]
    if result["before"]["status"] == "deleted":
        context.logger.info("Pet already deleted", {"petId": pet_id})
    else:
        context.logger.info(
            "🗑️ Pet soft deleted",
            {
                "petId": pet_id,
                "previousStatus": result["before"]["status"],
                "purgeAt": iso_time(pet["purgeAt"]),
            },
        )
    return {"status": 200, "body": pet}
