// steps/javascript/get-pet-stream.step.js

const config = {
  type: 'api',
  name: 'JsGetPetStream',
  description: 'Read the petCreation stream of one request: every update its trace produced, in order',
  path: '/js/streams/:traceId',
  method: 'GET',
  emits: [],
  flows: ['JsPetManagement'],
}

const handler = async (req, { streams }) => {
  const streamId = req.pathParams.traceId
  const updates = await streams.petCreation.getGroup(streamId)
  return { status: 200, body: { streamId, updates } }
}

module.exports = { config, handler }
