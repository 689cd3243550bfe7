// steps/javascript/adoption-posting.step.js

const config = {
  type: 'event',
  name: 'JsAdoptionPosting',
  description: 'Staff action: posts the adoption listing when a pet becomes available',
  subscribes: ['js.adoption.available'],
  emits: [],
  flows: ['JsPetManagement'],
}

const handler = async (input, { logger, streams, traceId }) => {
  const { petId, name } = input
  logger.info('📢 Adoption listing posted', { petId, name })
  await streams.petCreation.set(traceId, 'adoption_posted', {
    message: `Adoption listing posted for ${name}`,
    petId,
  })
}

module.exports = { config, handler }
