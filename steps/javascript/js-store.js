// steps/javascript/js-store.js
// The pet records of the JavaScript app, kept in the framework's state (group `js-pets`, one key per
// pet id), so they are durable, traced and readable from every language.
const { randomUUID } = require('node:crypto')

const PETS_GROUP = 'js-pets'

const SPECIES = ['dog', 'cat', 'bird', 'other']

const PET_STATUSES = [
  'new',
  'in_quarantine',
  'healthy',
  'available',
  'pending',
  'adopted',
  'ill',
  'under_treatment',
  'recovered',
  'deleted',
]

const DAY_MS = 24 * 60 * 60 * 1000
const PURGE_AFTER_MS = 30 * DAY_MS

// State has no atomic read-modify-write, and the feeding job, the enrichment agent, the orchestrator
// and the API all update the same record concurrently. Every update of one pet therefore runs under a
// per-pet lock. The lock lives in this module, so it covers every JavaScript step of the runner process
// (the node runner pool has one process by default; see steps/README.md).
const locks = new Map()

async function withPetLock(petId, work) {
  const previous = locks.get(petId) ?? Promise.resolve()
  let release
  const current = new Promise((resolve) => (release = resolve))
  const tail = previous.then(() => current)
  locks.set(petId, tail)
  await previous
  try {
    return await work()
  } finally {
    release()
    if (locks.get(petId) === tail) locks.delete(petId)
  }
}

/** A soft-deleted pet whose purge date has passed: the deletion reaper removes it for good. */
function isDueForPurge(pet, now) {
  return pet.status === 'deleted' && pet.purgeAt !== null && pet.purgeAt <= now
}

/** Orders pets by creation time, then id, so every listing is deterministic. */
function byCreation(a, b) {
  return a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

function petStore(state) {
  return {
    async create(input) {
      const now = Date.now()
      const pet = {
        id: randomUUID(),
        name: input.name,
        species: input.species,
        ageMonths: input.ageMonths,
        status: 'new',
        createdAt: now,
        updatedAt: now,
        weightKg: input.weightKg ?? null,
        symptoms: input.symptoms ?? [],
        notes: null,
        nextFeedingAt: null,
        deletedAt: null,
        purgeAt: null,
        profile: null,
        flags: [],
      }
      await state.set(PETS_GROUP, pet.id, pet)
      return pet
    },

    async get(petId) {
      return (await state.get(PETS_GROUP, petId)) ?? null
    },

    async list() {
      const pets = await state.getGroup(PETS_GROUP)
      return pets.sort(byCreation)
    },

    /**
     * Applies the changes `decide` returns for the current record, atomically for this pet.
     * `decide` sees the freshest record; returning null leaves it untouched. Resolves to the
     * record before and after, or null when the pet does not exist.
     */
    async update(petId, decide) {
      return withPetLock(petId, async () => {
        const before = await state.get(PETS_GROUP, petId)
        if (!before) return null
        const changes = decide(before)
        if (!changes) return { before, after: before }
        const after = { ...before, ...changes, updatedAt: Date.now() }
        await state.set(PETS_GROUP, petId, after)
        return { before, after }
      })
    },

    /** Permanently removes the record; true when it existed. */
    async remove(petId) {
      return withPetLock(petId, async () => (await state.delete(PETS_GROUP, petId)) != null)
    },
  }
}

module.exports = { PETS_GROUP, SPECIES, PET_STATUSES, DAY_MS, PURGE_AFTER_MS, isDueForPurge, petStore }
