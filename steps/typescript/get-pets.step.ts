// steps/typescript/get-pets.step.ts
import { ApiRouteConfig, Handlers } from 'motia'
import { petStore } from './ts-store'

export const config: ApiRouteConfig = {
  type: 'api',
  name: 'TsGetPets',
  description: 'List every pet, soft-deleted ones included, oldest first',
  path: '/ts/pets',
  method: 'GET',
  emits: [],
  flows: ['TsPetManagement'],
}

export const handler: Handlers['TsGetPets'] = async (_req, { logger, state }) => {
  const pets = await petStore(state).list()
  logger.info('Retrieved all pets', { count: pets.length })
  return { status: 200, body: pets }
}
