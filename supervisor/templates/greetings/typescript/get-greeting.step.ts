import type { ApiRouteConfig, Handlers } from 'motia'
import { z } from 'zod'
import { GREETINGS, greetingSchema, type Greeting } from './greeting'

export const config: ApiRouteConfig = {
  type: 'api',
  name: 'GetGreeting',
  description: 'Reads the greeting written for a name',
  path: '/greetings/:name',
  method: 'GET',
  responseSchema: { 200: greetingSchema, 404: z.object({ message: z.string() }) },
  emits: [],
  flows: ['greetings'],
}

export const handler: Handlers['GetGreeting'] = async (req, { state }) => {
  const { name } = req.pathParams
  const greeting = await state.get<Greeting>(GREETINGS, name)
  if (!greeting) {
    return { status: 404, body: { message: `No greeting for ${name} yet` } }
  }
  return { status: 200, body: greeting }
}
