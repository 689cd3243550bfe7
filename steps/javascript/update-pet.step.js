// steps/javascript/update-pet.step.js
const { z } = require('zod')
const { allowedStaffTargets, invalidTransitionMessage, NEEDS_DATA_FLAG } = require('./pet-lifecycle')
const { PET_STATUSES, petStore, SPECIES } = require('./js-store')

const updatePetSchema = z.object({
  name: z.string().regex(/\S/, 'Name is required').optional(),
  species: z.enum(SPECIES).optional(),
  ageMonths: z.number().int().min(0).optional(),
  weightKg: z.number().positive().optional(),
  symptoms: z.array(z.string()).optional(),
  notes: z.string().optional(),
  status: z.enum(PET_STATUSES).optional(),
})

/** Fields whose change answers an adoption review's needs_data verdict. */
const PET_DATA_FIELDS = ['name', 'species', 'ageMonths', 'weightKg', 'symptoms']

const config = {
  type: 'api',
  name: 'JsUpdatePet',
  description:
    'Update pet fields; a status is a staff decision handed to the lifecycle orchestrator (202), ' +
    'and an invalid transition is refused here (409)',
  path: '/js/pets/:id',
  method: 'PUT',
  bodySchema: updatePetSchema,
  emits: ['js.pet.status.update.requested'],
  flows: ['JsPetManagement'],
}

const handler = async (req, { emit, logger, state }) => {
  const petId = req.pathParams.id
  const { status: requestedStatus, ...fields } = updatePetSchema.parse(req.body)
  if (fields.name !== undefined) fields.name = fields.name.trim()

  // Decided under the pet's lock, so the checks and the field changes see the same record.
  const outcome = {}
  const result = await petStore(state).update(petId, (pet) => {
    if (pet.status === 'deleted') {
      outcome.refusal = {
        status: 409,
        body: { message: 'Pet is deleted and can no longer be updated', petId, currentStatus: pet.status },
      }
      return null
    }
    if (requestedStatus !== undefined && requestedStatus !== pet.status) {
      const allowed = allowedStaffTargets(pet.status)
      if (!allowed.includes(requestedStatus)) {
        outcome.refusal = {
          status: 409,
          body: {
            message: invalidTransitionMessage(pet.status, requestedStatus),
            petId,
            from: pet.status,
            to: requestedStatus,
            allowed,
          },
        }
        return null
      }
      outcome.statusChange = { from: pet.status, to: requestedStatus }
    }
    const changes = {}
    for (const [field, value] of Object.entries(fields)) {
      if (JSON.stringify(value) !== JSON.stringify(pet[field])) Object.assign(changes, { [field]: value })
    }
    if (PET_DATA_FIELDS.some((field) => field in changes) && pet.flags.includes(NEEDS_DATA_FLAG)) {
      changes.flags = pet.flags.filter((flag) => flag !== NEEDS_DATA_FLAG)
    }
    return Object.keys(changes).length > 0 ? changes : null
  })

  if (!result) {
    return { status: 404, body: { message: 'Pet not found', petId } }
  }
  if (outcome.refusal) {
    logger.warn('⚠️ Pet update refused', outcome.refusal.body)
    return outcome.refusal
  }
  if (result.after !== result.before) {
    logger.info('Pet updated', { petId, fields: Object.keys(fields) })
  }
  if (outcome.statusChange) {
    const { from, to } = outcome.statusChange
    logger.info('👤 Staff requesting status change', { petId, currentStatus: from, requestedStatus: to })
    await emit({
      topic: 'js.pet.status.update.requested',
      data: { petId, event: 'status.update.requested', requestedStatus: to, requestedAt: Date.now() },
    })
    return { status: 202, body: result.after }
  }
  return { status: 200, body: result.after }
}

module.exports = { config, handler, updatePetSchema }
