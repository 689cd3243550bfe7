// steps/javascript/treatment-scheduler.step.js

const config = {
  type: 'event',
  name: 'JsTreatmentScheduler',
  description: 'Staff action: books the vet when the orchestrator starts a treatment',
  subscribes: ['js.treatment.required'],
  emits: [],
  flows: ['JsPetManagement'],
}

const handler = async (input, { logger, streams, traceId }) => {
  const { petId, name } = input
  logger.info('💊 Treatment scheduled', { petId, name })
  await streams.petCreation.set(traceId, 'treatment_scheduled', {
    message: `Treatment scheduled for ${name} - vet check booked`,
    petId,
  })
}

module.exports = { config, handler }
