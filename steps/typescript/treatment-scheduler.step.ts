// steps/typescript/treatment-scheduler.step.ts
import { EventConfig, Handlers } from 'motia'
import { staffActionEventSchema } from './pet-lifecycle'

export const config: EventConfig = {
  type: 'event',
  name: 'TsTreatmentScheduler',
  description: 'Staff action: books the vet when the orchestrator starts a treatment',
  subscribes: ['ts.treatment.required'],
  input: staffActionEventSchema,
  emits: [],
  flows: ['TsPetManagement'],
}

export const handler: Handlers['TsTreatmentScheduler'] = async (input, { logger, streams, traceId }) => {
  const { petId, name } = input
  logger.info('💊 Treatment scheduled', { petId, name })
  await streams.petCreation.set(traceId, 'treatment_scheduled', {
    message: `Treatment scheduled for ${name} - vet check booked`,
    petId,
  })
}
