import { z } from 'zod'

/** State group `greetings`, one entry per name. */
export const GREETINGS = 'greetings'

export const greetingSchema = z.object({
  name: z.string(),
  message: z.string(),
  requestedAt: z.string(),
  writtenBy: z.string(),
})

export type Greeting = z.infer<typeof greetingSchema>
