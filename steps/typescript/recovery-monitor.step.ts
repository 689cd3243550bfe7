// steps/typescript/recovery-monitor.step.ts
import { EventConfig, Handlers } from 'motia'
import { staffActionEventSchema } from './pet-lifecycle'

export const config: EventConfig = {
  type: 'event',
  name: 'TsRecoveryMonitor',
  description: 'Staff action: follows up on a pet whose treatment is completed',
  subscribes: ['ts.treatment.completed'],
  input: staffActionEventSchema,
  emits: [],
  flows: ['TsPetManagement'],
}

export const handler: Handlers['TsRecoveryMonitor'] = async (input, { logger, streams, traceId }) => {
  const { petId, name } = input
  logger.info('🩺 Recovery follow-up scheduled', { petId, name })
  await streams.petCreation.set(traceId, 'recovery_monitoring', {
    message: `${name} has recovered - follow-up check scheduled`,
    petId,
  })
}
