import type { EventConfig, Handlers } from 'motia'
import { z } from 'zod'
import { GREETINGS, type Greeting } from './greeting'

export const config: EventConfig = {
  type: 'event',
  name: 'WriteGreeting',
  description: 'Writes the greeting of a name to state',
  subscribes: ['greeting.requested'],
  input: z.object({ name: z.string(), requestedAt: z.string() }),
  emits: [],
  flows: ['greetings'],
}

export const handler: Handlers['WriteGreeting'] = async (input, { logger, state }) => {
  const greeting: Greeting = {
    name: input.name,
    message: `Hello, ${input.name}!`,
    requestedAt: input.requestedAt,
    writtenBy: 'typescript',
  }
  await state.set(GREETINGS, input.name, greeting)
  logger.info('Greeting written', { name: input.name })
}
