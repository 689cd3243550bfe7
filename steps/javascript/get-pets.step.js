// steps/javascript/get-pets.step.js
const { petStore } = require('./js-store')

const config = {
  type: 'api',
  name: 'JsGetPets',
  description: 'List every pet, soft-deleted ones included, oldest first',
  path: '/js/pets',
  method: 'GET',
  emits: [],
  flows: ['JsPetManagement'],
}

const handler = async (_req, { logger, state }) => {
  const pets = await petStore(state).list()
  logger.info('Retrieved all pets', { count: pets.length })
  return { status: 200, body: pets }
}

module.exports = { config, handler }
