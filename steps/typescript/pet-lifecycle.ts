// steps/typescript/pet-lifecycle.ts
// The pet lifecycle: every status transition the orchestrator may apply, the automatic progressions
// and the guards. The orchestrator applies them; update-pet uses the same table to answer an invalid
// staff request at once.
import { z } from 'zod'
import { PET_STATUSES, type Pet, type PetStatus } from './ts-store'

export const LIFECYCLE_EVENTS = [
  'feeding.reminder.completed',
  'status.update.requested',
  'health.treatment_required',
  'health.no_treatment_needed',
  'adoption.needs_data',
  'adoption.ready',
] as const
export type LifecycleEvent = (typeof LIFECYCLE_EVENTS)[number]

export type Guard = 'no_needs_data_flag'

export type TransitionRule = {
  event: LifecycleEvent
  from: PetStatus[]
  /** The new status; absent when the rule keeps the current one (it may still change flags). */
  to?: PetStatus
  description: string
  guards?: Guard[]
  addFlag?: string
}

export const NEEDS_DATA_FLAG = 'needs_data'

/** What the orchestrator's staff-action topics carry (treatment.required/completed, adoption.available). */
export const staffActionEventSchema = z.object({
  petId: z.string(),
  name: z.string(),
  status: z.enum(PET_STATUSES),
  previousStatus: z.enum(PET_STATUSES),
})
export type StaffActionEvent = z.infer<typeof staffActionEventSchema>

export const TRANSITION_RULES: TransitionRule[] = [
  {
    event: 'feeding.reminder.completed',
    from: ['new'],
    to: 'in_quarantine',
    description: 'Pet moved to quarantine after feeding setup',
  },
  {
    event: 'status.update.requested',
    from: ['in_quarantine'],
    to: 'healthy',
    description: 'Staff health check - pet cleared from quarantine',
  },
  {
    event: 'status.update.requested',
    from: ['healthy'],
    to: 'available',
    description: 'Pet ready for adoption',
  },
  {
    event: 'status.update.requested',
    from: ['healthy', 'in_quarantine', 'available'],
    to: 'ill',
    description: 'Staff assessment - pet identified as ill',
  },
  {
    event: 'status.update.requested',
    from: ['ill'],
    to: 'under_treatment',
    description: 'Treatment started',
  },
  {
    event: 'status.update.requested',
    from: ['under_treatment'],
    to: 'recovered',
    description: 'Staff assessment - treatment completed',
  },
  {
    event: 'status.update.requested',
    from: ['recovered'],
    to: 'healthy',
    description: 'Recovery complete - pet healthy again',
  },
  {
    event: 'status.update.requested',
    from: ['available'],
    to: 'pending',
    description: 'Adoption application received',
  },
  {
    event: 'status.update.requested',
    from: ['pending'],
    to: 'adopted',
    description: 'Adoption completed',
  },
  {
    event: 'status.update.requested',
    from: ['pending'],
    to: 'available',
    description: 'Adoption application rejected or cancelled',
  },
  {
    event: 'health.treatment_required',
    from: ['healthy', 'in_quarantine', 'available'],
    to: 'ill',
    description: 'Agent assessment - pet requires medical treatment',
  },
  {
    event: 'health.no_treatment_needed',
    from: ['in_quarantine'],
    to: 'healthy',
    description: 'Agent assessment - pet cleared from quarantine',
  },
  {
    event: 'health.no_treatment_needed',
    from: ['healthy', 'available'],
    description: 'Agent assessment - pet remains healthy',
  },
  {
    event: 'adoption.needs_data',
    from: ['healthy', 'available'],
    description: 'Agent assessment - pet needs additional data before adoption',
    addFlag: NEEDS_DATA_FLAG,
  },
  {
    event: 'adoption.ready',
    from: ['healthy', 'available'],
    to: 'available',
    description: 'Agent assessment - pet ready for adoption',
    guards: ['no_needs_data_flag'],
  },
]

/** Statuses the orchestrator leaves at once, by itself, through a `status.update.requested` rule. */
export const AUTOMATIC_PROGRESSIONS: Partial<Record<PetStatus, PetStatus>> = {
  healthy: 'available',
  ill: 'under_treatment',
  recovered: 'healthy',
}

/** The rule for `event` from the pet's status (for staff requests: to `requestedStatus`), if any. */
export function findRule(pet: Pet, event: LifecycleEvent, requestedStatus?: PetStatus): TransitionRule | undefined {
  return TRANSITION_RULES.find(
    (rule) =>
      rule.event === event &&
      rule.from.includes(pet.status) &&
      (event !== 'status.update.requested' || rule.to === requestedStatus),
  )
}

/** The statuses staff may request from `status`, in table order. */
export function allowedStaffTargets(status: PetStatus): PetStatus[] {
  return TRANSITION_RULES.filter(
    (rule) => rule.event === 'status.update.requested' && rule.from.includes(status) && rule.to !== undefined,
  ).map((rule) => rule.to as PetStatus)
}

/** Why the rule's guards refuse the pet, or null when they all pass. */
export function failedGuard(rule: TransitionRule, pet: Pet): string | null {
  for (const guard of rule.guards ?? []) {
    if (guard === 'no_needs_data_flag' && pet.flags.includes(NEEDS_DATA_FLAG)) {
      return `guard no_needs_data_flag failed: ${pet.name} is flagged ${NEEDS_DATA_FLAG}`
    }
  }
  return null
}

/** Why a staff request from `from` to `to` is invalid, naming the allowed targets. */
export function invalidTransitionMessage(from: PetStatus, to: PetStatus): string {
  const allowed = allowedStaffTargets(from)
  const targets = allowed.length ? `allowed: ${allowed.join(', ')}` : `no staff transitions from ${from}`
  return `Invalid transition: cannot change from ${from} to ${to} (${targets})`
}
