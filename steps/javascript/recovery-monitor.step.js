// steps/javascript/recovery-monitor.step.js

const config = {
  type: 'event',
  name: 'JsRecoveryMonitor',
  description: 'Staff action: follows up on a pet whose treatment is completed',
  subscribes: ['js.treatment.completed'],
  emits: [],
  flows: ['JsPetManagement'],
}

const handler = async (input, { logger, streams, traceId }) => {
  const { petId, name } = input
  logger.info('🩺 Recovery follow-up scheduled', { petId, name })
  await streams.petCreation.set(traceId, 'recovery_monitoring', {
    message: `${name} has recovered - follow-up check scheduled`,
    petId,
  })
}

module.exports = { config, handler }
