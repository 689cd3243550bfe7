// steps/shelter/shelter-board.step.js
const { z } = require('zod')

/** The desk names the board shows, by the desk's prefix. */
const DESK_NAMES = { ts: 'TypeScript', js: 'JavaScript', py: 'Python' }

/** What ShelterIntake emits: the intake entry it stored in the shelter-intake state group. */
const intakeRecordedSchema = z.object({
  petId: z.string(),
  name: z.string(),
  species: z.enum(['dog', 'cat', 'bird', 'other']),
  desk: z.enum(['ts', 'js', 'py']),
  intakeAt: z.number().int(),
})

const config = {
  type: 'event',
  name: 'ShelterBoard',
  description: "Puts each intake on the shelter's live board (the shelterBoard stream)",
  subscribes: ['shelter.intake.recorded'],
  input: intakeRecordedSchema,
  emits: [],
  flows: ['PetShelter'],
}

const handler = async (input, { logger, streams }) => {
  const entry = intakeRecordedSchema.parse(input)
  await streams.shelterBoard.set('intake', entry.petId, {
    message: `${entry.name} the ${entry.species} was taken in at the ${DESK_NAMES[entry.desk]} desk`,
    ...entry,
  })
  logger.info('📋 Shelter board updated', { petId: entry.petId, desk: entry.desk })
}

module.exports = { config, handler, intakeRecordedSchema }
