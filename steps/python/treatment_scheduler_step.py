# steps/python/treatment_scheduler_step.py
config = {
    "type": "event",
    "name": "PyTreatmentScheduler",
    "description": "Staff action: books the vet when the orchestrator starts a treatment",
    "subscribes": ["py.treatment.required"],
    "emits": [],
    "flows": ["PyPetManagement"],
}


async def handler(input_data, context):
    pet_id, name = input_data.get("petId"), input_data.get("name")
    context.logger.info("💊 Treatment scheduled", {"petId": pet_id, "name": name})
    await context.streams.petCreation.set(
        context.trace_id,
        "treatment_scheduled",
        {"message": f"Treatment scheduled for {name} - vet check booked", "petId": pet_id},
    )
