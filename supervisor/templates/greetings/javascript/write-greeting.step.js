import { z } from 'zod'

export const config = {
  type: 'event',
  name: 'WriteGreeting',
  description: 'Writes the greeting of a name to state',
  subscribes: ['greeting.requested'],
  input: z.object({ name: z.string(), requestedAt: z.string() }),
  emits: [],
  flows: ['greetings'],
}

export const handler = async (input, { logger, state }) => {
  const greeting = {
    name: input.name,
    message: `Hello, ${input.name}!`,
    requestedAt: input.requestedAt,
    writtenBy: 'javascript',
  }
  await state.set('greetings', input.name, greeting)
  logger.info('Greeting written', { name: input.name })
}
