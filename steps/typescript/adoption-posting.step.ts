// steps/typescript/adoption-posting.step.ts
import { EventConfig, Handlers } from 'motia'
import { staffActionEventSchema } from './pet-lifecycle'

export const config: EventConfig = {
  type: 'event',
  name: 'TsAdoptionPosting',
  description: 'Staff action: posts the adoption listing when a pet becomes available',
  subscribes: ['ts.adoption.available'],
  input: staffActionEventSchema,
  emits: [],
  flows: ['TsPetManagement'],
}

export const handler: Handlers['TsAdoptionPosting'] = async (input, { logger, streams, traceId }) => {
  const { petId, name } = input
  logger.info('📢 Adoption listing posted', { petId, name })
  await streams.petCreation.set(traceId, 'adoption_posted', {
    message: `Adoption listing posted for ${name}`,
    petId,
  })
}
