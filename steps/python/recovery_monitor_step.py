# steps/python/recovery_monitor_step.py
config = {
    "type": "event",
    "name": "PyRecoveryMonitor",
    "description": "Staff action: follows up on a pet whose treatment is completed",
    "subscribes": ["py.treatment.completed"],
    "emits": [],
    "flows": ["PyPetManagement"],
}


async def handler(input_data, context):
    pet_id, name = input_data.get("petId"), input_data.get("name")
    context.logger.info("🩺 Recovery follow-up scheduled", {"petId": pet_id, "name": name})
    await context.streams.petCreation.set(
        context.trace_id,
        "recovery_monitoring",
        {"message": f"{name} has recovered - follow-up check scheduled", "petId": pet_id},
    )
