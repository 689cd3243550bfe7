// steps/typescript/create-pet.step.ts
import { ApiRouteConfig, Handlers } from 'motia'
import { z } from 'zod'
import { petStore, SPECIES } from './ts-store'

export const createPetSchema = z.object({
  name: z.string().regex(/\S/, 'Name is required').meta({ examples: ['Luna'] }),
  species: z.enum(SPECIES),
  ageMonths: z.number().int().min(0).meta({ examples: [8] }),
  weightKg: z.number().positive().optional(),
  symptoms: z.array(z.string()).optional(),
})

export const config: ApiRouteConfig = {
  type: 'api',
  name: 'TsCreatePet',
  description: 'Create a pet; answers the first petCreation stream item while the jobs and agents carry on',
  path: '/ts/pets',
  method: 'POST',
  bodySchema: createPetSchema,
  emits: ['ts.pet.created', 'ts.feeding.reminder.enqueued'],
  flows: ['TsPetManagement', 'PetShelter'],
}

export const handler: Handlers['TsCreatePet'] = async (req, { emit, logger, state, streams, traceId }) => {
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
    topic: 'ts.pet.created',
    data: { petId: pet.id, event: 'pet.created', name: pet.name, species: pet.species },
  })
  await emit({
    topic: 'ts.feeding.reminder.enqueued',
    data: { petId: pet.id, enqueuedAt: Date.now() },
  })

  return { status: 201, body: created }
}
