// steps/javascript/create-pet.step.js
const { z } = require('zod')
const { petStore, SPECIES } = require('./js-store')

const createPetSchema = z.object({
  name: z.string().regex(/\S/, 'Name is required').meta({ examples: ['Luna'] }),
  species: z.enum(SPECIES),
  ageMonths: z.number().int().min(0).meta({ examples: [8] }),
  weightKg: z.number().positive().optional(),
  symptoms: z.array(z.string()).optional(),
})

const config = {
  type: 'api',
  name: 'JsCreatePet',
  description: 'Create a pet; answers the first petCreation stream item while the jobs and agents carry on',
  path: '/js/pets',
  method: 'POST',
  bodySchema: createPetSchema,
  emits: ['js.pet.created', 'js.feeding.reminder.enqueued'],
  flows: ['JsPetManagement', 'PetShelter'],
}

const handler = async (req, { emit, logger, state, streams, traceId }) => {
  const body = createPetSchema.parse(req.body)
  const pet = await petStore(state).create({ ...body, name: body.name.trim() })
  logger.info('🐾 Pet created', { petId: pet.id, name: pet.name, species: pet.species, status: pet.status })

  const created = await streams.petCreation.set(traceId, 'created', {
    message:
      `Pet ${pet.name} (ID: ${pet.id}) created successfully - ` +
      `Species: ${pet.species}, Age: ${pet.ageMonths} months, Status: ${pet.status}`,
    petId: pet.id,
    pet,
  })

  await emit({
    topic: 'js.pet.created',
    data: { petId: pet.id, event: 'pet.created', name: pet.name, species: pet.species },
  })
  await emit({
    topic: 'js.feeding.reminder.enqueued',
    data: { petId: pet.id, enqueuedAt: Date.now() },
  })

  return { status: 201, body: created }
}

module.exports = { config, handler, createPetSchema }
