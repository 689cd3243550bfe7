// steps/typescript/pet-creation.stream.ts
import { StreamConfig } from 'motia'
import { z } from 'zod'

/**
 * One progress update of a pet's workflow. Items are grouped by the trace id of the request that started
 * the work, and each producer writes its own item ids (listed in steps/README.md); besides the message,
 * an item carries the pet id and, for some ids, more (the created record, the profile, the transition).
 */
export const petCreationUpdateSchema = z.looseObject({
  message: z.string(),
  petId: z.string().optional(),
})

export type PetCreationUpdate = z.infer<typeof petCreationUpdateSchema>

export const config: StreamConfig = {
  /** Available as context.streams.petCreation in every step. */
  name: 'petCreation',
  schema: petCreationUpdateSchema,
  baseConfig: {
    storageType: 'default',
  },
}
