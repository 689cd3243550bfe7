// steps/javascript/get-pet.step.js
const { petStore } = require('./js-store')

const config = {
  type: 'api',
  name: 'JsGetPet',
  description: 'Get one pet by id',
  path: '/js/pets/:id',
  method: 'GET',
  emits: [],
  flows: ['JsPetManagement'],
}

const handler = async (req, { logger, state }) => {
  const petId = req.pathParams.id
  const pet = await petStore(state).get(petId)
  if (!pet) {
    logger.warn('Pet not found', { petId })
    return { status: 404, body: { message: 'Pet not found', petId } }
  }
  return { status: 200, body: pet }
}

module.exports = { config, handler }
