# steps/python/set_next_feeding_reminder.job_step.py
from services.pet_store import DAY_MS, iso_time, js_head, now_ms, pet_store

WELCOME_NOTES = "Welcome to our pet store! We'll take great care of this pet."

config = {
    "type": "event",
    "name": "PySetNextFeedingReminder",
    "description": (
        "Background job: welcome notes and the next feeding time, then quarantine via the orchestrator"
    ),
    "subscribes": ["py.feeding.reminder.enqueued"],
    "emits": ["py.feeding.reminder.completed"],
    "flows": ["PyPetManagement"],
}


async def handler(input_data, context):
    logger, streams, trace_id = context.logger, context.streams, context.trace_id
    pet_id, enqueued_at = input_data["petId"], input_data["enqueuedAt"]
    logger.info("🔄 Setting next feeding reminder", {"petId": pet_id, "enqueuedAt": enqueued_at})

    next_feeding_at = now_ms() + DAY_MS
    result = await pet_store(context.state).update(
        pet_id, lambda _pet: {"notes": WELCOME_NOTES, "nextFeedingAt": next_feeding_at}
    )
    if not result:
        logger.error("❌ Failed to set feeding reminder - pet not found", {"petId": pet_id})
        return
    pet = result["after"]
    logger.info(
        "✅ Next feeding reminder set",
        {
            "petId": pet_id,
            "notes": f"{js_head(pet['notes'], 50)}...",
            "nextFeedingAt": iso_time(next_feeding_at),
        },
    )

    await streams.petCreation.set(
        trace_id, "quarantine", {"message": f"Pet {pet['name']} entered quarantine period", "petId": pet_id}
    )
    if not pet["symptoms"]:
        await streams.petCreation.set(
            trace_id,
            "health_check",
            {"message": f"Health check passed for {pet['name']} - no symptoms found", "petId": pet_id},
        )
        await streams.petCreation.set(
            trace_id,
            "health_status",
            {"message": f"{pet['name']} is healthy and ready for adoption! ✅", "petId": pet_id},
        )
    else:
        await streams.petCreation.set(
            trace_id,
            "health_check",
            {
                "message": (
                    f"Health check failed for {pet['name']} - symptoms detected: {', '.join(pet['symptoms'])}"
                ),
                "petId": pet_id,
            },
        )
        await streams.petCreation.set(
            trace_id,
            "health_status",
            {"message": f"{pet['name']} needs medical treatment ❌", "petId": pet_id},
        )

    # The orchestrator, the only writer of status, moves the pet from new to in_quarantine.
    completed_at = now_ms()
    await context.emit(
        {
            "topic": "py.feeding.reminder.completed",
            "data": {
                "petId": pet_id,
                "event": "feeding.reminder.completed",
                "completedAt": completed_at,
                "processingTimeMs": completed_at - enqueued_at,
            },
        }
    )
