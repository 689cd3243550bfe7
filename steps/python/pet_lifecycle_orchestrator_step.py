# steps/python/pet_lifecycle_orchestrator_step.py
from services.pet_lifecycle import AUTOMATIC_PROGRESSIONS, failed_guard, find_rule
from services.pet_store import pet_store

# The staff-action topic emitted when a pet enters a status.
STAFF_ACTIONS = {
    "under_treatment": "py.treatment.required",
    "recovered": "py.treatment.completed",
    "available": "py.adoption.available",
}

config = {
    "type": "event",
    "name": "PyPetLifecycleOrchestrator",
    "description": "The only writer of pet status: transition table, guards and automatic progressions",
    "subscribes": [
        "py.feeding.reminder.completed",
        "py.pet.status.update.requested",
        "py.health.treatment_required",
        "py.health.no_treatment_needed",
        "py.adoption.needs_data",
        "py.adoption.ready",
    ],
    "emits": ["py.treatment.required", "py.treatment.completed", "py.adoption.available"],
    "flows": ["PyPetManagement"],
}


def _without_none(meta):
    """Log meta as JavaScript prints it: a field whose value is undefined is left out."""
    return {key: value for key, value in meta.items() if value is not None}


async def handler(input_data, context):
    logger, streams, trace_id = context.logger, context.streams, context.trace_id
    pet_id = input_data.get("petId")
    event = input_data.get("event")
    requested_status = input_data.get("requestedStatus")
    logger.info(
        "🔄 Lifecycle orchestrator processing",
        _without_none({"petId": pet_id, "eventType": event, "requestedStatus": requested_status}),
    )

    outcome = {}

    def decide(pet):
        if event == "status.update.requested" and requested_status == pet["status"]:
            outcome["already_there"] = True
            return None
        rule = find_rule(pet, event, requested_status)
        if rule is None:
            outcome["rejection"] = (
                f"Invalid transition: cannot change from {pet['status']} to {_js_text(requested_status)}"
                if event == "status.update.requested"
                else f"No transition rule for {_js_text(event)} from {pet['status']}"
            )
            return None
        guard_failure = failed_guard(rule, pet)
        if guard_failure:
            outcome["rejection"] = guard_failure
            return None
        outcome["rule"] = rule
        changes = {}
        if rule.to is not None and rule.to != pet["status"]:
            changes["status"] = rule.to
        if rule.add_flag is not None and rule.add_flag not in pet["flags"]:
            changes["flags"] = [*pet["flags"], rule.add_flag]
        return changes or None

    result = await pet_store(context.state).update(pet_id, decide)

    if not result:
        logger.error("❌ Pet not found for lifecycle transition", {"petId": pet_id, "eventType": event})
        return
    before, after = result["before"], result["after"]
    rejection = outcome.get("rejection")
    if rejection:
        logger.warn(
            "⚠️ Transition rejected",
            _without_none(
                {
                    "petId": pet_id,
                    "currentStatus": before["status"],
                    "requestedStatus": requested_status,
                    "eventType": event,
                    "reason": rejection,
                }
            ),
        )
        await streams.petCreation.set(
            trace_id,
            "rejected",
            _without_none(
                {
                    "message": f"Transition rejected for {before['name']}: {rejection}",
                    "petId": pet_id,
                    "event": event,
                    "reason": rejection,
                }
            ),
        )
        return
    if outcome.get("already_there") or after is before:
        logger.info(
            "✅ Already in target status", {"petId": pet_id, "status": before["status"], "eventType": event}
        )
        return

    rule = outcome["rule"]
    if len(after["flags"]) > len(before["flags"]):
        logger.info(
            "🏷️ Pet flagged",
            {"petId": pet_id, "flag": rule.add_flag, "eventType": event, "description": rule.description},
        )
        await streams.petCreation.set(
            trace_id,
            f"flag_{rule.add_flag}",
            {
                "message": f"{after['name']} flagged {rule.add_flag}: {rule.description}",
                "petId": pet_id,
                "flag": rule.add_flag,
            },
        )
    if after["status"] != before["status"]:
        await record_transition(context, before, after, event, rule, automatic=False)
        await apply_automatic_progressions(context, after)


def _js_text(value):
    """A value in a JavaScript template literal: ``undefined`` when it is missing."""
    return "undefined" if value is None else value


async def apply_automatic_progressions(context, pet):
    """healthy -> available, ill -> under_treatment, recovered -> healthy (-> available), at once."""
    logger = context.logger
    current = pet
    next_status = AUTOMATIC_PROGRESSIONS.get(current["status"])
    while next_status:
        from_status, to_status = current["status"], next_status
        logger.info(
            "🤖 Processing automatic progression",
            {"petId": pet["id"], "currentStatus": from_status, "nextStatus": to_status},
        )
        found = {}

        def progress(fresh, from_status=from_status, to_status=to_status, found=found):
            found["rule"] = (
                find_rule(fresh, "status.update.requested", to_status)
                if fresh["status"] == from_status
                else None
            )
            return {"status": to_status} if found["rule"] else None

        step = await pet_store(context.state).update(pet["id"], progress)
        if not step or not found.get("rule"):
            logger.warn(
                "⚠️ Automatic progression skipped - pet status changed",
                {
                    "petId": pet["id"],
                    "expectedStatus": from_status,
                    "actualStatus": step["after"]["status"] if step else None,
                },
            )
            return
        await record_transition(
            context, step["before"], step["after"], "status.update.requested", found["rule"], automatic=True
        )
        current = step["after"]
        next_status = AUTOMATIC_PROGRESSIONS.get(current["status"])


async def record_transition(context, before, after, event, rule, automatic):
    from_status, to_status = before["status"], after["status"]
    context.logger.info(
        "✅ Automatic progression completed" if automatic else "✅ Lifecycle transition completed",
        {
            "petId": after["id"],
            "oldStatus": from_status,
            "newStatus": to_status,
            "eventType": event,
            "description": rule.description,
            "automatic": automatic,
        },
    )
    await context.streams.petCreation.set(
        context.trace_id,
        to_status,
        {
            "message": f"Status transition: {from_status} → {to_status}",
            "petId": after["id"],
            "from": from_status,
            "to": to_status,
            "automatic": automatic,
            "timestamp": after["updatedAt"],
        },
    )
    topic = STAFF_ACTIONS.get(to_status)
    if topic:
        data = {
            "petId": after["id"],
            "name": after["name"],
            "status": to_status,
            "previousStatus": from_status,
        }
        await context.emit({"topic": topic, "data": data})
