// steps/typescript/get-pet.step.ts
import { ApiRouteConfig, Handlers } from 'motia'
import { petStore } from './ts-store'

export const config: ApiRouteConfig = {
  type: 'api',
  name: 'TsGetPet',
  description: 'Get one pet by id',
  path: '/ts/pets/:id',
  method: 'GET',
  emits: [],
  flows: ['TsPetManagement'],
}

export const handler: Handlers['TsGetPet'] = async (req, { logger, state }) => {
  const petId = req.pathParams.id
  const pet = await petStore(state).get(petId)
  if (!pet) {
    logger.warn('Pet not found', { petId })
    return { status: 404, body: { message: 'Pet not found', petId } }
  }
  return { status: 200, body: pet }
}
