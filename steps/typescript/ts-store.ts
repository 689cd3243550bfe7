// steps/typescript/ts-store.ts
// The pet records of the TypeScript app, kept in the framework's state (group `ts-pets`, one key per
// pet id), so they are durable, traced and readable from every language.
import type { InternalStateManager } from 'motia'
import { randomUUID } from 'node:crypto'

export const PETS_GROUP = 'ts-pets'

export const SPECIES = ['dog', 'cat', 'bird', 'other'] as const
export type Species = (typeof SPECIES)[number]

export const PET_STATUSES = [
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
] as const
export type PetStatus = (typeof PET_STATUSES)[number]

export type PetProfile = {
  bio: string
  breedGuess: string
  temperamentTags: string[]
  adopterHints: string
}

export type Pet = {
  id: string
  name: string
  species: Species
  ageMonths: number
  status: PetStatus
  createdAt: number
  updatedAt: number
  weightKg: number | null
  symptoms: string[]
  notes: string | null
  nextFeedingAt: number | null
  deletedAt: number | null
  purgeAt: number | null
  profile: PetProfile | null
  flags: string[]
}

export type NewPet = {
  name: string
  species: Species
  ageMonths: number
  weightKg?: number
  symptoms?: string[]
}

/** The fields a writer may change; id and createdAt never change, updatedAt is set by `update`. */
export type PetChanges = Partial<Omit<Pet, 'id' | 'createdAt' | 'updatedAt'>>

export const DAY_MS = 24 * 60 * 60 * 1000
export const PURGE_AFTER_MS = 30 * DAY_MS

// State has no atomic read-modify-write, and the feeding job, the enrichment agent, the orchestrator
// and the API all update the same record concurrently. Every update of one pet therefore runs under a
// per-pet lock. The lock lives in this module, so it covers every TypeScript step of the runner process
// (the node runner pool has one process by default; see steps/README.md).
const locks = new Map<string, Promise<void>>()

async function withPetLock<T>(petId: string, work: () => Promise<T>): Promise<T> {
  const previous = locks.get(petId) ?? Promise.resolve()
  let release!: () => void
  const current = new Promise<void>((resolve) => (release = resolve))
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
export function isDueForPurge(pet: Pet, now: number): boolean {
  return pet.status === 'deleted' && pet.purgeAt !== null && pet.purgeAt <= now
}

/** Orders pets by creation time, then id, so every listing is deterministic. */
function byCreation(a: Pet, b: Pet): number {
  return a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

export function petStore(state: InternalStateManager) {
  return {
    async create(input: NewPet): Promise<Pet> {
      const now = Date.now()
      const pet: Pet = {
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

    async get(petId: string): Promise<Pet | null> {
      return (await state.get<Pet>(PETS_GROUP, petId)) ?? null
    },

    async list(): Promise<Pet[]> {
      const pets = await state.getGroup<Pet>(PETS_GROUP)
      return pets.sort(byCreation)
    },

    /**
     * Applies the changes `decide` returns for the current record, atomically for this pet.
     * `decide` sees the freshest record; returning null leaves it untouched. Resolves to the
     * record before and after, or null when the pet does not exist.
     */
    async update(
      petId: string,
      decide: (pet: Pet) => PetChanges | null,
    ): Promise<{ before: Pet; after: Pet } | null> {
      return withPetLock(petId, async () => {
        const before = await state.get<Pet>(PETS_GROUP, petId)
        if (!before) return null
        const changes = decide(before)
        if (!changes) return { before, after: before }
        const after: Pet = { ...before, ...changes, updatedAt: Date.now() }
        await state.set(PETS_GROUP, petId, after)
        return { before, after }
      })
    },

    /** Permanently removes the record; true when it existed. */
    async remove(petId: string): Promise<boolean> {
      return withPetLock(petId, async () => (await state.delete(PETS_GROUP, petId)) != null)
    },
  }
}

export type PetStore = ReturnType<typeof petStore>
