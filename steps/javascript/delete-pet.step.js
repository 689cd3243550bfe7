// steps/javascript/delete-pet.step.js
const { PURGE_AFTER_MS, petStore } = require('./js-store')

const config = {
  type: 'api',
  name: 'JsDeletePet',
  description: 'Soft delete: the pet stays readable, marked deleted, until the deletion reaper purges it',
  path: '/js/pets/:id',
  method: 'DELETE',
  emits: [],
  flows: ['JsPetManagement'],
}

const handler = async (req, { logger, state }) => {
  const petId = req.pathParams.id
  // Deletion is the one status change made outside the orchestrator (as in the tutorial).
  const result = await petStore(state).update(petId, (pet) => {
    if (pet.status === 'deleted') return null
    const now = Date.now()
    return { status: 'deleted', deletedAt: now, purgeAt: now + PURGE_AFTER_MS }
  })
  if (!result) {
    return { status: 404, body: { message: 'Pet not found', petId } }
  }
  const pet = result.after
  if (result.before.status === 'deleted') {
    logger.info('Pet already deleted', { petId })
  } else {
    logger.info('🗑️ Pet soft deleted', {
      petId,
      previousStatus: result.before.status,
      purgeAt: new Date(pet.purgeAt).toISOString(),
    })
  }
  return { status: 200, body: pet }
}

module.exports = { config, handler }
