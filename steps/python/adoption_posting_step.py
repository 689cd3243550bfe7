# steps/python/adoption_posting_step.py
config = {
    "type": "event",
    "name": "PyAdoptionPosting",
    "description": "Staff action: posts the adoption listing when a pet becomes available",
    "subscribes": ["py.adoption.available"],
    "emits": [],
    "flows": ["PyPetManagement"],
}


async def handler(input_data, context):
    pet_id, name = input_data.get("petId"), input_data.get("name")
    context.logger.info("📢 Adoption listing posted", {"petId": pet_id, "name": name})
    await context.streams.petCreation.set(
        context.trace_id,
        "adoption_posted",
        {"message": f"Adoption listing posted for {name}", "petId": pet_id},
    )
