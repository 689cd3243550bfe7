# steps/python/deletion_reaper.cron_step.py
from services.agent_decision_framework import DECISIONS_GROUP, cached_decisions_for
from services.pet_store import is_due_for_purge, iso_time, now_ms, pet_store

config = {
    "type": "cron",
    "name": "PyDeletionReaper",
    "description": "Daily job that permanently removes soft-deleted pets whose purge date has passed",
    "cron": "0 2 * * *",  # daily at 2:00 AM
    "emits": [],
    "flows": ["PyPetManagement"],
}


async def handler(context):
    logger, state = context.logger, context.state
    logger.info("🔄 Deletion Reaper started - scanning for pets to purge")
    store = pet_store(state)
    now = now_ms()
    pets = await store.list()
    due = [pet for pet in pets if is_due_for_purge(pet, now)]

    purged_count = 0
    for pet in due:
        if await store.remove(pet["id"]):
            purged_count += 1
            for decision in await cached_decisions_for(state, pet["id"]):
                await state.delete(DECISIONS_GROUP, decision["cacheKey"])
            logger.info(
                "💀 Pet permanently purged",
                {
                    "petId": pet["id"],
                    "name": pet["name"],
                    "deletedAt": iso_time(pet["deletedAt"]),
                    "purgeAt": iso_time(pet["purgeAt"]),
                },
            )
        else:
            logger.warn("⚠️ Failed to purge pet", {"petId": pet["id"], "name": pet["name"]})

    logger.info(
        "✅ Deletion Reaper completed",
        {"totalScanned": len(pets), "purgedCount": purged_count, "failedCount": len(due) - purged_count},
    )
