import { z } from 'zod'

export const config = {
  type: 'api',
  name: 'RequestGreeting',
  description: 'Takes a name and hands it to the event step that writes its greeting',
  path: '/greetings',
  method: 'POST',
  bodySchema: z.object({ name: z.string().min(1) }),
  responseSchema: { 202: z.object({ name: z.string(), traceId: z.string() }) },
  emits: ['greeting.requested'],
  flows: ['greetings'],
}

export const handler = async (req, { emit, logger, traceId }) => {
  const { name } = req.body
  logger.info('Greeting requested', { name })
  await emit({ topic: 'greeting.requested', data: { name, requestedAt: new Date().toISOString() } })
  return { status: 202, body: { name, traceId } }
}
