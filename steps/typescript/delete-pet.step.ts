// steps/typescript/delete-pet.step.ts
import { ApiRouteConfig, Handlers } from 'motia'
import { PURGE_AFTER_MS, petStore } from './ts-store'

export const config: ApiRouteConfig = {
  type: 'api',
  name: 'TsDeletePet',
  description: 'Soft delete: the pet stays readable, marked deleted, until the deletion reaper purges it',
  path: '/ts/pets/:id',
  method: 'DELETE',
  emits: [],
  flows: ['TsPetManagement'],
}

export const handler: Handlers['TsDeletePet'] = async (req, { logger, state }) => {
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
      purgeAt: new Date(pet.purgeAt!).toISOString(),
    })
  }
  return { status: 200, body: pet }
}
