// steps/javascript/pet-creation.stream.js
const { z } = require('zod')

/**
 * One progress update of a pet's workflow. Items are grouped by the trace id of the request that started
 * the work, and each producer writes its own item ids (listed in steps/README.md); besides the message,
 * an item carries the pet id and, for some ids, more (the created record, the profile, the transition).
 */
const petCreationUpdateSchema = z.looseObject({
  message: z.string(),
  petId: z.string().optional(),
})

const config = {
  /** Available as context.streams.petCreation in every step. */
  name: 'petCreation',
  schema: petCreationUpdateSchema,
  baseConfig: {
    storageType: 'default',
  },
}

module.exports = { config, petCreationUpdateSchema }
