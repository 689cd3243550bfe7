// steps/typescript/get-pet-stream.step.ts
import { ApiRouteConfig, Handlers } from 'motia'

export const config: ApiRouteConfig = {
  type: 'api',
  name: 'TsGetPetStream',
  description: 'Read the petCreation stream of one request: every update its trace produced, in order',
  path: '/ts/streams/:traceId',
  method: 'GET',
  emits: [],
  flows: ['TsPetManagement'],
}

export const handler: Handlers['TsGetPetStream'] = async (req, { streams }) => {
  const streamId = req.pathParams.traceId
  const updates = await streams.petCreation.getGroup(streamId)
  return { status: 200, body: { streamId, updates } }
}
