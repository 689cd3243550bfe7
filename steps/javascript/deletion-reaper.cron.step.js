// steps/javascript/deletion-reaper.cron.step.js
const { cachedDecisionsFor, DECISIONS_GROUP } = require('./agent-decision-framework')
const { isDueForPurge, petStore } = require('./js-store')

const config = {
  type: 'cron',
  name: 'JsDeletionReaper',
  description: 'Daily job that permanently removes soft-deleted pets whose purge date has passed',
  cron: '0 2 * * *', // daily at 2:00 AM
  emits: [],
  flows: ['JsPetManagement'],
}

const handler = async ({ logger, state }) => {
  logger.info('🔄 Deletion Reaper started - scanning for pets to purge')
  const store = petStore(state)
  const now = Date.now()
  const pets = await store.list()
  const due = pets.filter((pet) => isDueForPurge(pet, now))

  let purgedCount = 0
  for (const pet of due) {
    if (await store.remove(pet.id)) {
      purgedCount++
      for (const decision of await cachedDecisionsFor(state, pet.id)) {
        await state.delete(DECISIONS_GROUP, decision.cacheKey)
      }
      logger.info('💀 Pet permanently purged', {
        petId: pet.id,
        name: pet.name,
        deletedAt: new Date(pet.deletedAt).toISOString(),
        purgeAt: new Date(pet.purgeAt).toISOString(),
      })
    } else {
      logger.warn('⚠️ Failed to purge pet', { petId: pet.id, name: pet.name })
    }
  }

  logger.info('✅ Deletion Reaper completed', {
    totalScanned: pets.length,
    purgedCount,
    failedCount: due.length - purgedCount,
  })
}

module.exports = { config, handler }
