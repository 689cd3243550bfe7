// steps/typescript/pet-lifecycle-orchestrator.step.ts
import { EventConfig, FlowContext, Handlers } from 'motia'
import { z } from 'zod'
import {
  AUTOMATIC_PROGRESSIONS,
  failedGuard,
  findRule,
  LIFECYCLE_EVENTS,
  type LifecycleEvent,
  type StaffActionEvent,
  type TransitionRule,
} from './pet-lifecycle'
import { PET_STATUSES, petStore, type Pet, type PetChanges, type PetStatus } from './ts-store'

/** Every lifecycle event: the pet, what happened and, for staff requests, the status asked for. Each
 * producer adds its own fields (timestamps, the agent's decision), which the orchestrator ignores. */
export const lifecycleInputSchema = z.looseObject({
  petId: z.string(),
  event: z.enum(LIFECYCLE_EVENTS),
  requestedStatus: z.enum(PET_STATUSES).optional(),
})

type StaffActionTopic = 'ts.treatment.required' | 'ts.treatment.completed' | 'ts.adoption.available'
type OrchestratorContext = FlowContext<{ topic: StaffActionTopic; data: StaffActionEvent }>

/** The staff-action topic emitted when a pet enters a status. */
const STAFF_ACTIONS: Partial<Record<PetStatus, StaffActionTopic>> = {
  under_treatment: 'ts.treatment.required',
  recovered: 'ts.treatment.completed',
  available: 'ts.adoption.available',
}

export const config: EventConfig = {
  type: 'event',
  name: 'TsPetLifecycleOrchestrator',
  description: 'The only writer of pet status: transition table, guards and automatic progressions',
  subscribes: [
    'ts.feeding.reminder.completed',
    'ts.pet.status.update.requested',
    'ts.health.treatment_required',
    'ts.health.no_treatment_needed',
    'ts.adoption.needs_data',
    'ts.adoption.ready',
  ],
  input: lifecycleInputSchema,
  emits: ['ts.treatment.required', 'ts.treatment.completed', 'ts.adoption.available'],
  flows: ['TsPetManagement'],
}

export const handler: Handlers['TsPetLifecycleOrchestrator'] = async (input, ctx) => {
  const { petId, event, requestedStatus } = input
  const { logger, state, streams, traceId } = ctx
  logger.info('🔄 Lifecycle orchestrator processing', { petId, eventType: event, requestedStatus })

  const store = petStore(state)
  const outcome: { rule?: TransitionRule; rejection?: string; alreadyThere?: boolean } = {}
  const result = await store.update(petId, (pet) => {
    if (event === 'status.update.requested' && requestedStatus === pet.status) {
      outcome.alreadyThere = true
      return null
    }
    const rule = findRule(pet, event, requestedStatus)
    if (!rule) {
      outcome.rejection =
        event === 'status.update.requested'
          ? `Invalid transition: cannot change from ${pet.status} to ${requestedStatus}`
          : `No transition rule for ${event} from ${pet.status}`
      return null
    }
    const guardFailure = failedGuard(rule, pet)
    if (guardFailure) {
      outcome.rejection = guardFailure
      return null
    }
    outcome.rule = rule
    const changes: PetChanges = {}
    if (rule.to !== undefined && rule.to !== pet.status) changes.status = rule.to
    if (rule.addFlag !== undefined && !pet.flags.includes(rule.addFlag)) changes.flags = [...pet.flags, rule.addFlag]
    return Object.keys(changes).length > 0 ? changes : null
  })

  if (!result) {
    logger.error('❌ Pet not found for lifecycle transition', { petId, eventType: event })
    return
  }
  const { before, after } = result
  if (outcome.rejection) {
    logger.warn('⚠️ Transition rejected', {
      petId,
      currentStatus: before.status,
      requestedStatus,
      eventType: event,
      reason: outcome.rejection,
    })
    await streams.petCreation.set(traceId, 'rejected', {
      message: `Transition rejected for ${before.name}: ${outcome.rejection}`,
      petId,
      event,
      reason: outcome.rejection,
    })
    return
  }
  if (outcome.alreadyThere || after === before) {
    logger.info('✅ Already in target status', { petId, status: before.status, eventType: event })
    return
  }

  const rule = outcome.rule!
  if (after.flags.length > before.flags.length) {
    logger.info('🏷️ Pet flagged', { petId, flag: rule.addFlag, eventType: event, description: rule.description })
    await streams.petCreation.set(traceId, `flag_${rule.addFlag}`, {
      message: `${after.name} flagged ${rule.addFlag}: ${rule.description}`,
      petId,
      flag: rule.addFlag,
    })
  }
  if (after.status !== before.status) {
    await recordTransition(ctx, before, after, event, rule, false)
    await applyAutomaticProgressions(ctx, after)
  }
}

/** healthy -> available, ill -> under_treatment, recovered -> healthy (-> available), at once. */
async function applyAutomaticProgressions(ctx: OrchestratorContext, pet: Pet): Promise<void> {
  const { logger, state } = ctx
  let current = pet
  for (let next = AUTOMATIC_PROGRESSIONS[current.status]; next; next = AUTOMATIC_PROGRESSIONS[current.status]) {
    const from = current.status
    const to: PetStatus = next
    logger.info('🤖 Processing automatic progression', { petId: pet.id, currentStatus: from, nextStatus: to })
    const found: { rule?: TransitionRule } = {}
    const step = await petStore(state).update(pet.id, (fresh) => {
      found.rule = fresh.status === from ? findRule(fresh, 'status.update.requested', to) : undefined
      return found.rule ? { status: to } : null
    })
    if (!step || !found.rule) {
      logger.warn('⚠️ Automatic progression skipped - pet status changed', {
        petId: pet.id,
        expectedStatus: from,
        actualStatus: step?.after.status ?? null,
      })
      return
    }
    await recordTransition(ctx, step.before, step.after, 'status.update.requested', found.rule, true)
    current = step.after
  }
}

async function recordTransition(
  { emit, logger, streams, traceId }: OrchestratorContext,
  before: Pet,
  after: Pet,
  event: LifecycleEvent,
  rule: TransitionRule,
  automatic: boolean,
): Promise<void> {
  const from = before.status
  const to = after.status
  logger.info(automatic ? '✅ Automatic progression completed' : '✅ Lifecycle transition completed', {
    petId: after.id,
    oldStatus: from,
    newStatus: to,
    eventType: event,
    description: rule.description,
    automatic,
  })
  await streams.petCreation.set(traceId, to, {
    message: `Status transition: ${from} → ${to}`,
    petId: after.id,
    from,
    to,
    automatic,
    timestamp: after.updatedAt,
  })
  const topic = STAFF_ACTIONS[to]
  if (topic) {
    const data: StaffActionEvent = { petId: after.id, name: after.name, status: to, previousStatus: from }
    await emit({ topic, data })
  }
}
