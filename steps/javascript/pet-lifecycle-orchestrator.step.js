// steps/javascript/pet-lifecycle-orchestrator.step.js
const { AUTOMATIC_PROGRESSIONS, failedGuard, findRule } = require('./pet-lifecycle')
const { petStore } = require('./js-store')

/** The staff-action topic emitted when a pet enters a status. */
const STAFF_ACTIONS = {
  under_treatment: 'js.treatment.required',
  recovered: 'js.treatment.completed',
  available: 'js.adoption.available',
}

const config = {
  type: 'event',
  name: 'JsPetLifecycleOrchestrator',
  description: 'The only writer of pet status: transition table, guards and automatic progressions',
  subscribes: [
    'js.feeding.reminder.completed',
    'js.pet.status.update.requested',
    'js.health.treatment_required',
    'js.health.no_treatment_needed',
    'js.adoption.needs_data',
    'js.adoption.ready',
  ],
  emits: ['js.treatment.required', 'js.treatment.completed', 'js.adoption.available'],
  flows: ['JsPetManagement'],
}

const handler = async (input, ctx) => {
  const { petId, event, requestedStatus } = input
  const { logger, state, streams, traceId } = ctx
  logger.info('🔄 Lifecycle orchestrator processing', { petId, eventType: event, requestedStatus })

  const store = petStore(state)
  const outcome = {}
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
    const changes = {}
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

  const rule = outcome.rule
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
async function applyAutomaticProgressions(ctx, pet) {
  const { logger, state } = ctx
  let current = pet
  for (let next = AUTOMATIC_PROGRESSIONS[current.status]; next; next = AUTOMATIC_PROGRESSIONS[current.status]) {
    const from = current.status
    const to = next
    logger.info('🤖 Processing automatic progression', { petId: pet.id, currentStatus: from, nextStatus: to })
    const found = {}
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

async function recordTransition({ emit, logger, streams, traceId }, before, after, event, rule, automatic) {
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
    const data = { petId: after.id, name: after.name, status: to, previousStatus: from }
    await emit({ topic, data })
  }
}

module.exports = { config, handler }
