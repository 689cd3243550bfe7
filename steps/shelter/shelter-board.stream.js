// steps/shelter/shelter-board.stream.js
const { z } = require('zod')

/**
 * One pet on the shelter's intake board: group `intake`, item id = the pet id, written by ShelterBoard
 * for every pet any desk (language) creates.
 */
const shelterBoardEntrySchema = z.object({
  message: z.string(),
  petId: z.string(),
  name: z.string(),
  species: z.string(),
  desk: z.enum(['ts', 'js', 'py']),
  intakeAt: z.number().int(),
})

const config = {
  /** Available as context.streams.shelterBoard in every step. */
  name: 'shelterBoard',
  schema: shelterBoardEntrySchema,
  baseConfig: {
    storageType: 'default',
  },
}

module.exports = { config, shelterBoardEntrySchema }
