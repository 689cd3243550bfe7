// steps/typescript/ai-profile-enrichment.step.ts
import { EventConfig, Handlers, Logger } from 'motia'
import { z } from 'zod'
import { announceFallback, chatJson, openAiClient } from './openai-client'
import { petStore, type Pet, type PetProfile } from './ts-store'

export const petCreatedSchema = z.object({
  petId: z.string(),
  event: z.literal('pet.created'),
  name: z.string(),
  species: z.string(),
})

/** The profile fields, in the order their progress is streamed, with the words the messages use. */
const PROFILE_FIELDS: [keyof PetProfile, string][] = [
  ['bio', 'bio'],
  ['breedGuess', 'breed guess'],
  ['temperamentTags', 'temperament tags'],
  ['adopterHints', 'adopter hints'],
]

export const config: EventConfig = {
  type: 'event',
  name: 'TsAiProfileEnrichment',
  description: 'AI agent: writes the adoption profile of a new pet and streams its progress',
  subscribes: ['ts.pet.created'],
  input: petCreatedSchema,
  emits: [],
  flows: ['TsPetManagement'],
}

export const handler: Handlers['TsAiProfileEnrichment'] = async (input, { logger, state, streams, traceId }) => {
  const { petId, name } = input
  logger.info('🤖 AI Profile Enrichment started', { petId, name, species: input.species })
  await streams.petCreation.set(traceId, 'enrichment_started', { message: `AI enrichment started for ${name}`, petId })

  const store = petStore(state)
  const pet = await store.get(petId)
  if (!pet) {
    logger.error('❌ AI Profile Enrichment failed - pet not found', { petId })
    return
  }
  const { profile, source } = await generateProfile(pet, logger)
  if (!(await store.update(petId, () => ({ profile })))) {
    logger.error('❌ AI Profile Enrichment failed - pet not found', { petId })
    return
  }
  logger.info('✅ AI Profile Enrichment completed', {
    petId,
    source,
    profile: { ...profile, bio: `${profile.bio.substring(0, 50)}...` },
  })

  for (const [field, words] of PROFILE_FIELDS) {
    await streams.petCreation.set(traceId, `progress_${field}`, { message: `Generated ${words} for ${name}`, petId })
  }
  await streams.petCreation.set(traceId, 'completed', {
    message:
      source === 'openai'
        ? `AI enrichment completed for ${name}`
        : `AI enrichment completed with fallback profile for ${name}`,
    petId,
    profile,
  })
}

type GeneratedProfile = { profile: PetProfile; source: 'openai' | 'fallback' }

async function generateProfile(pet: Pet, logger: Logger): Promise<GeneratedProfile> {
  const openai = openAiClient()
  if (!openai) {
    announceFallback(logger)
    return { profile: fallbackProfile(pet), source: 'fallback' }
  }
  try {
    const answer = await chatJson(openai, PROFILE_SYSTEM_PROMPT, profilePrompt(pet), 0.7)
    return { profile: asProfile(answer), source: 'openai' }
  } catch (error) {
    logger.warn('⚠️ AI profile generation failed, using fallback profile', {
      petId: pet.id,
      error: error instanceof Error ? error.message : String(error),
    })
    return { profile: fallbackProfile(pet), source: 'fallback' }
  }
}

const PROFILE_SYSTEM_PROMPT =
  'You are a pet adoption specialist who creates compelling, accurate pet profiles. ' +
  'Always respond with valid JSON only.'

function profilePrompt(pet: Pet): string {
  const details = {
    name: pet.name,
    species: pet.species,
    ageMonths: pet.ageMonths,
    weightKg: pet.weightKg,
    symptoms: pet.symptoms,
  }
  return [
    'Generate a pet profile for adoption purposes.',
    'Pet details (JSON):',
    JSON.stringify(details, null, 2),
    'Respond with a JSON object with these fields:',
    '- bio: a warm, engaging 2-3 sentence description that would appeal to potential adopters',
    '- breedGuess: your best guess at the breed or breed mix (specific but realistic)',
    '- temperamentTags: an array of 3-5 personality traits (e.g. "friendly", "energetic", "calm")',
    '- adopterHints: practical advice for potential adopters (family type, living situation, care needs)',
    'Keep it positive, realistic, and adoption-focused.',
  ].join('\n')
}

/** The model's answer as a profile, or an error saying what is wrong with it. */
function asProfile(answer: unknown): PetProfile {
  const value = (answer ?? {}) as Record<string, unknown>
  const { bio, breedGuess, temperamentTags, adopterHints } = value
  const isText = (item: unknown): item is string => typeof item === 'string' && item.trim() !== ''
  if (!isText(bio) || !isText(breedGuess) || !isText(adopterHints)) {
    throw new Error('the profile needs non-empty bio, breedGuess and adopterHints strings')
  }
  if (!Array.isArray(temperamentTags) || temperamentTags.length === 0 || !temperamentTags.every(isText)) {
    throw new Error('the profile needs temperamentTags as a non-empty array of strings')
  }
  return { bio, breedGuess, temperamentTags, adopterHints }
}

export function fallbackProfile(pet: Pick<Pet, 'name' | 'species'>): PetProfile {
  return {
    bio: `${pet.name} is a lovely ${pet.species} with a unique personality, ready to find their forever home.`,
    breedGuess: pet.species === 'dog' ? 'Mixed Breed' : pet.species === 'cat' ? 'Domestic Shorthair' : 'Mixed Breed',
    temperamentTags: ['friendly', 'adaptable'],
    adopterHints: `${pet.name} is looking for a patient and loving family.`,
  }
}
