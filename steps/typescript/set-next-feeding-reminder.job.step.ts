// steps/typescript/set-next-feeding-reminder.job.step.ts
import { EventConfig, Handlers } from 'motia'
import { z } from 'zod'
import { DAY_MS, petStore } from './ts-store'

export const feedingReminderEnqueuedSchema = z.object({ petId: z.string(), enqueuedAt: z.number() })

export const config: EventConfig = {
  type: 'event',
  name: 'TsSetNextFeedingReminder',
  description: 'Background job: welcome notes and the next feeding time, then quarantine via the orchestrator',
  subscribes: ['ts.feeding.reminder.enqueued'],
  input: feedingReminderEnqueuedSchema,
  emits: ['ts.feeding.reminder.completed'],
  flows: ['TsPetManagement'],
}

export const handler: Handlers['TsSetNextFeedingReminder'] = async (input, ctx) => {
  const { emit, logger, state, streams, traceId } = ctx
  const { petId, enqueuedAt } = input
  logger.info('🔄 Setting next feeding reminder', { petId, enqueuedAt })

  const nextFeedingAt = Date.now() + DAY_MS
  const result = await petStore(state).update(petId, () => ({
    notes: "Welcome to our pet store! We'll take great care of this pet.",
    nextFeedingAt,
  }))
  if (!result) {
    logger.error('❌ Failed to set feeding reminder - pet not found', { petId })
    return
  }
  const pet = result.after
  logger.info('✅ Next feeding reminder set', {
    petId,
    notes: `${pet.notes!.substring(0, 50)}...`,
    nextFeedingAt: new Date(nextFeedingAt).toISOString(),
  })

  await streams.petCreation.set(traceId, 'quarantine', {
    message: `Pet ${pet.name} entered quarantine period`,
    petId,
  })
  if (pet.symptoms.length === 0) {
    await streams.petCreation.set(traceId, 'health_check', {
      message: `Health check passed for ${pet.name} - no symptoms found`,
      petId,
    })
    await streams.petCreation.set(traceId, 'health_status', {
      message: `${pet.name} is healthy and ready for adoption! ✅`,
      petId,
    })
  } else {
    await streams.petCreation.set(traceId, 'health_check', {
      message: `Health check failed for ${pet.name} - symptoms detected: ${pet.symptoms.join(', ')}`,
      petId,
    })
    await streams.petCreation.set(traceId, 'health_status', {
      message: `${pet.name} needs medical treatment ❌`,
      petId,
    })
  }

  // The orchestrator, the only writer of status, moves the pet from new to in_quarantine.
  const completedAt = Date.now()
  await emit({
    topic: 'ts.feeding.reminder.completed',
    data: { petId, event: 'feeding.reminder.completed', completedAt, processingTimeMs: completedAt - enqueuedAt },
  })
}
