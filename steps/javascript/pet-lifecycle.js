// steps/javascript/pet-lifecycle.js
// The pet lifecycle: every status transition the orchestrator may apply, the automatic progressions
// and the guards. The orchestrator applies them; update-pet uses the same table to answer an invalid
// staff request at once.

const NEEDS_DATA_FLAG = 'needs_data'

/**
 * Each rule: the event, the statuses it applies from, the new status (`to`, absent when the rule keeps
 * the current one; it may still change flags), a description, and optional guards and flag.
 */
const TRANSITION_RULES = [
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
const AUTOMATIC_PROGRESSIONS = {
  healthy: 'available',
  ill: 'under_treatment',
  recovered: 'healthy',
}

/** The rule for `event` from the pet's status (for staff requests: to `requestedStatus`), if any. */
function findRule(pet, event, requestedStatus) {
  return TRANSITION_RULES.find(
    (rule) =>
      rule.event === event &&
      rule.from.includes(pet.status) &&
      (event !== 'status.update.requested' || rule.to === requestedStatus),
  )
}

/** The statuses staff may request from `status`, in table order. */
function allowedStaffTargets(status) {
  return TRANSITION_RULES.filter(
    (rule) => rule.event === 'status.update.requested' && rule.from.includes(status) && rule.to !== undefined,
  ).map((rule) => rule.to)
}

/** Why the rule's guards refuse the pet, or null when they all pass. */
function failedGuard(rule, pet) {
  for (const guard of rule.guards ?? []) {
    if (guard === 'no_needs_data_flag' && pet.flags.includes(NEEDS_DATA_FLAG)) {
      return `guard no_needs_data_flag failed: ${pet.name} is flagged ${NEEDS_DATA_FLAG}`
    }
  }
  return null
}

/** Why a staff request from `from` to `to` is invalid, naming the allowed targets. */
function invalidTransitionMessage(from, to) {
  const allowed = allowedStaffTargets(from)
  const targets = allowed.length ? `allowed: ${allowed.join(', ')}` : `no staff transitions from ${from}`
  return `Invalid transition: cannot change from ${from} to ${to} (${targets})`
}

module.exports = {
  NEEDS_DATA_FLAG,
  TRANSITION_RULES,
  AUTOMATIC_PROGRESSIONS,
  findRule,
  allowedStaffTargets,
  failedGuard,
  invalidTransitionMessage,
}
