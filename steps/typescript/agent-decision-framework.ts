// steps/typescript/agent-decision-framework.ts
// Decision-making agents: the model (or, without an API key, a fixed rule set) picks one of the emits an
// agent declares; the decision artifact is cached per pet and decision input, and the chosen emit goes
// to the orchestrator.
import type { ApiResponse, FlowContext, InternalStateManager, Logger } from 'motia'
import { createHash } from 'node:crypto'
import type { LifecycleEvent } from './pet-lifecycle'
import { announceFallback, chatJson, modelName, openAiClient } from './openai-client'
import { petStore, type Pet, type PetProfile, type PetStatus } from './ts-store'

export const DECISIONS_GROUP = 'ts-agent-decisions'

export type AgentType = 'health-review' | 'adoption-review'

export type EmitDefinition<TTopic extends string = string> = {
  id: string
  topic: TTopic
  event: LifecycleEvent
  description: string
  orchestratorEffect: string
}

export const HEALTH_REVIEW_EMITS: EmitDefinition<'ts.health.treatment_required' | 'ts.health.no_treatment_needed'>[] = [
  {
    id: 'emit.health.treatment_required',
    topic: 'ts.health.treatment_required',
    event: 'health.treatment_required',
    description: 'Pet requires medical treatment due to health concerns',
    orchestratorEffect: 'in_quarantine, healthy or available -> ill -> under_treatment',
  },
  {
    id: 'emit.health.no_treatment_needed',
    topic: 'ts.health.no_treatment_needed',
    event: 'health.no_treatment_needed',
    description: 'Pet is healthy and requires no medical intervention',
    orchestratorEffect: 'in_quarantine -> healthy -> available; healthy or available stay',
  },
]

export const ADOPTION_REVIEW_EMITS: EmitDefinition<'ts.adoption.needs_data' | 'ts.adoption.ready'>[] = [
  {
    id: 'emit.adoption.needs_data',
    topic: 'ts.adoption.needs_data',
    event: 'adoption.needs_data',
    description: 'Pet needs additional data (weight, health clearance or profile) before adoption',
    orchestratorEffect: 'status unchanged, flag needs_data added',
  },
  {
    id: 'emit.adoption.ready',
    topic: 'ts.adoption.ready',
    event: 'adoption.ready',
    description: 'Pet is ready for adoption',
    orchestratorEffect: 'healthy -> available (refused while flagged needs_data)',
  },
]

export type ReviewDefinition<TTopic extends string = string> = {
  agentType: AgentType
  label: string
  emits: EmitDefinition<TTopic>[]
  allowedStatuses: PetStatus[]
}

export type AgentContext = {
  petId: string
  name: string
  species: string
  ageMonths: number
  weightKg: number | null
  symptoms: string[]
  profile: PetProfile | null
  flags: string[]
  currentStatus: PetStatus
}

export type AgentDecision = { chosenEmit: string; rationale: string }

/** What a decision emits to the orchestrator. */
export type DecisionEvent = { petId: string; event: LifecycleEvent; agentDecision: AgentDecision; decidedAt: number }

export type DecisionArtifact = {
  petId: string
  agentType: AgentType
  timestamp: number
  inputs: AgentContext
  availableEmits: string[]
  parsedDecision: AgentDecision
  emitFired: string
  source: 'openai' | 'fallback'
  model: string | null
  success: true
}

export type CachedDecision = { cacheKey: string; artifact: DecisionArtifact }

export function buildAgentContext(pet: Pet): AgentContext {
  return {
    petId: pet.id,
    name: pet.name,
    species: pet.species,
    ageMonths: pet.ageMonths,
    weightKg: pet.weightKg,
    symptoms: pet.symptoms,
    profile: pet.profile,
    flags: pet.flags,
    currentStatus: pet.status,
  }
}

/** JSON with object keys sorted at every level and no whitespace. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`
  }
  return JSON.stringify(value)
}

/**
 * The cache key of a decision: agent, pet, and a hash of the pet data the decision is about. Status and
 * flags are left out: they are workflow state that the decision itself changes, so a repeated review
 * after its own effect still finds the cached decision.
 */
export function decisionCacheKey(agentType: AgentType, context: AgentContext): string {
  const { currentStatus: _status, flags: _flags, ...decisionInputs } = context
  const digest = createHash('sha256').update(canonicalJson(decisionInputs)).digest('hex')
  return `${agentType}:${context.petId}:${digest}`
}

/** The deterministic decision used when no model is configured. */
export function fallbackDecision(agentType: AgentType, context: AgentContext): AgentDecision {
  const symptoms = context.symptoms.join(', ')
  if (agentType === 'health-review') {
    return context.symptoms.length > 0
      ? {
          chosenEmit: 'emit.health.treatment_required',
          rationale: `Rule-based fallback: reported symptoms (${symptoms}) need veterinary treatment.`,
        }
      : {
          chosenEmit: 'emit.health.no_treatment_needed',
          rationale: 'Rule-based fallback: no symptoms reported, so no treatment is needed.',
        }
  }
  if (context.symptoms.length > 0) {
    return {
      chosenEmit: 'emit.adoption.needs_data',
      rationale: `Rule-based fallback: reported symptoms (${symptoms}) need a vet clearance before adoption.`,
    }
  }
  const missing = [context.weightKg === null ? 'weightKg' : null, context.profile === null ? 'profile' : null]
    .filter((field): field is string => field !== null)
  if (missing.length > 0) {
    return { chosenEmit: 'emit.adoption.needs_data', rationale: `Rule-based fallback: missing ${missing.join(', ')}.` }
  }
  return {
    chosenEmit: 'emit.adoption.ready',
    rationale: 'Rule-based fallback: weight, profile and health data are complete.',
  }
}

export function decisionPrompt(agentType: AgentType, emits: EmitDefinition[], context: AgentContext) {
  const system =
    `You are the ${agentType} agent of a pet shelter. Choose exactly one of the available emits for the pet ` +
    'described by the user and explain why. Respond with a JSON object only: ' +
    '{"chosenEmit": "<one of the emit ids>", "rationale": "<one or two sentences>"}.'
  const user = [
    `Agent: ${agentType}`,
    'Available emits:',
    ...emits.map((emit) => `- ${emit.id}: ${emit.description} (effect: ${emit.orchestratorEffect})`),
    'Pet context (JSON):',
    JSON.stringify(context, null, 2),
  ].join('\n')
  return { system, user }
}

/** Asks the model (or the fallback) for a decision; throws when the model fails or answers nonsense. */
export async function callAgentDecision(
  agentType: AgentType,
  context: AgentContext,
  emits: EmitDefinition[],
  logger: Logger,
): Promise<Pick<DecisionArtifact, 'parsedDecision' | 'source' | 'model'>> {
  const openai = openAiClient()
  if (!openai) {
    announceFallback(logger)
    return { parsedDecision: fallbackDecision(agentType, context), source: 'fallback', model: null }
  }
  const { system, user } = decisionPrompt(agentType, emits, context)
  const answer = (await chatJson(openai, system, user, 0)) as Partial<AgentDecision> | null
  const chosenEmit = answer?.chosenEmit
  const rationale = answer?.rationale
  if (typeof chosenEmit !== 'string' || !emits.some((emit) => emit.id === chosenEmit)) {
    throw new Error(`the model chose ${JSON.stringify(chosenEmit)}, not one of ${emits.map((e) => e.id).join(', ')}`)
  }
  if (typeof rationale !== 'string' || rationale.trim() === '') {
    throw new Error('the model gave no rationale')
  }
  return { parsedDecision: { chosenEmit, rationale }, source: 'openai', model: modelName() }
}

/** Every cached decision about one pet (each with its state key). */
export async function cachedDecisionsFor(state: InternalStateManager, petId: string): Promise<CachedDecision[]> {
  const entries = await state.getGroup<CachedDecision>(DECISIONS_GROUP)
  return entries.filter((entry) => entry.artifact.petId === petId)
}

/** The whole review endpoint: guard, cache, decide, remember, emit, answer the artifact. */
export async function runReview<TTopic extends string>(
  review: ReviewDefinition<TTopic>,
  petId: string,
  { emit, logger, state }: FlowContext<{ topic: NoInfer<TTopic>; data: DecisionEvent }>,
): Promise<ApiResponse> {
  const pet = await petStore(state).get(petId)
  if (!pet) {
    return { status: 404, body: { message: 'Pet not found', petId } }
  }
  logger.info(`🤖 ${review.label} agent triggered`, { petId, currentStatus: pet.status, symptoms: pet.symptoms })

  if (!review.allowedStatuses.includes(pet.status)) {
    return {
      status: 409,
      body: {
        message: `${review.label} can only be performed on pets that are ${review.allowedStatuses.join(', ')}`,
        petId,
        currentStatus: pet.status,
        allowedStatuses: review.allowedStatuses,
      },
    }
  }

  const context = buildAgentContext(pet)
  const cacheKey = decisionCacheKey(review.agentType, context)
  const cached = await state.get<CachedDecision>(DECISIONS_GROUP, cacheKey)
  if (cached) {
    logger.info(`🔄 Idempotent ${review.agentType} - returning cached decision`, {
      petId,
      chosenEmit: cached.artifact.parsedDecision.chosenEmit,
      timestamp: cached.artifact.timestamp,
    })
    return { status: 200, body: { ...cached.artifact, cached: true } }
  }

  let decision: Awaited<ReturnType<typeof callAgentDecision>>
  try {
    decision = await callAgentDecision(review.agentType, context, review.emits, logger)
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    logger.error(`❌ ${review.label} agent decision failed`, { petId, error: message })
    return { status: 502, body: { message: 'Agent decision failed', error: message, petId } }
  }

  const chosen = review.emits.find((definition) => definition.id === decision.parsedDecision.chosenEmit)!
  const artifact: DecisionArtifact = {
    petId,
    agentType: review.agentType,
    timestamp: Date.now(),
    inputs: context,
    availableEmits: review.emits.map((definition) => definition.id),
    parsedDecision: decision.parsedDecision,
    emitFired: chosen.topic,
    source: decision.source,
    model: decision.model,
    success: true,
  }
  await state.set<CachedDecision>(DECISIONS_GROUP, cacheKey, { cacheKey, artifact })

  await emit({
    topic: chosen.topic,
    data: { petId, event: chosen.event, agentDecision: artifact.parsedDecision, decidedAt: artifact.timestamp },
  })
  logger.info(`✅ ${review.label} emit fired`, {
    petId,
    chosenEmit: chosen.id,
    topic: chosen.topic,
    source: artifact.source,
    rationale: artifact.parsedDecision.rationale,
  })
  return { status: 200, body: { ...artifact, cached: false } }
}
