"""The pet lifecycle: every status transition the orchestrator may apply, the automatic progressions and
the guards. The orchestrator applies them; update_pet_step uses the same table to answer an invalid staff
request at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.types import LifecycleEvent, Pet, PetStatus

NEEDS_DATA_FLAG = "needs_data"


@dataclass(frozen=True)
class TransitionRule:
    event: LifecycleEvent
    from_: tuple[PetStatus, ...]
    description: str
    # The new status; None when the rule keeps the current one (it may still change flags).
    to: PetStatus | None = None
    guards: tuple[str, ...] = ()
    add_flag: str | None = None


TRANSITION_RULES: list[TransitionRule] = [
    TransitionRule(
        event="feeding.reminder.completed",
        from_=("new",),
        to="in_quarantine",
        description="Pet moved to quarantine after feeding setup",
    ),
    TransitionRule(
        event="status.update.requested",
        from_=("in_quarantine",),
        to="healthy",
        description="Staff health check - pet cleared from quarantine",
    ),
    TransitionRule(
        event="status.update.requested",
        from_=("healthy",),
        to="available",
        description="Pet ready for adoption",
    ),
    TransitionRule(
        event="status.update.requested",
        from_=("healthy", "in_quarantine", "available"),
        to="ill",
        description="Staff assessment - pet identified as ill",
    ),
    TransitionRule(
        event="status.update.requested",
        from_=("ill",),
        to="under_treatment",
        description="Treatment started",
    ),
    TransitionRule(
        event="status.update.requested",
        from_=("under_treatment",),
        to="recovered",
        description="Staff assessment - treatment completed",
    ),
    TransitionRule(
        event="status.update.requested",
        from_=("recovered",),
        to="healthy",
        description="Recovery complete - pet healthy again",
    ),
    TransitionRule(
        event="status.update.requested",
        from_=("available",),
        to="pending",
        description="Adoption application received",
    ),
    TransitionRule(
        event="status.update.requested",
        from_=("pending",),
        to="adopted",
        description="Adoption completed",
    ),
    TransitionRule(
        event="status.update.requested",
        from_=("pending",),
        to="available",
        description="Adoption application rejected or cancelled",
    ),
    TransitionRule(
        event="health.treatment_required",
        from_=("healthy", "in_quarantine", "available"),
        to="ill",
        description="Agent assessment - pet requires medical treatment",
    ),
    TransitionRule(
        event="health.no_treatment_needed",
        from_=("in_quarantine",),
        to="healthy",
        description="Agent assessment - pet cleared from quarantine",
    ),
    TransitionRule(
        event="health.no_treatment_needed",
        from_=("healthy", "available"),
        description="Agent assessment - pet remains healthy",
    ),
    TransitionRule(
        event="adoption.needs_data",
        from_=("healthy", "available"),
        description="Agent assessment - pet needs additional data before adoption",
        add_flag=NEEDS_DATA_FLAG,
    ),
    TransitionRule(
        event="adoption.ready",
        from_=("healthy", "available"),
        to="available",
        description="Agent assessment - pet ready for adoption",
        guards=("no_needs_data_flag",),
    ),
]

# Statuses the orchestrator leaves at once, by itself, through a `status.update.requested` rule.
AUTOMATIC_PROGRESSIONS: dict[PetStatus, PetStatus] = {
    "healthy": "available",
    "ill": "under_treatment",
    "recovered": "healthy",
}


def find_rule(pet: Pet, event: str, requested_status: str | None = None) -> TransitionRule | None:
    """The rule for ``event`` from the pet's status (for staff requests: to ``requested_status``), if any."""
    for rule in TRANSITION_RULES:
        if (
            rule.event == event
            and pet["status"] in rule.from_
            and (event != "status.update.requested" or rule.to == requested_status)
        ):
            return rule
    return None


def allowed_staff_targets(status: str) -> list[PetStatus]:
    """The statuses staff may request from ``status``, in table order."""
    return [
        rule.to
        for rule in TRANSITION_RULES
        if rule.event == "status.update.requested" and status in rule.from_ and rule.to is not None
    ]


def failed_guard(rule: TransitionRule, pet: Pet) -> str | None:
    """Why the rule's guards refuse the pet, or None when they all pass."""
    for guard in rule.guards:
        if guard == "no_needs_data_flag" and NEEDS_DATA_FLAG in pet["flags"]:
            return f"guard no_needs_data_flag failed: {pet['name']} is flagged {NEEDS_DATA_FLAG}"
    return None


def invalid_transition_message(from_status: str, to_status: str) -> str:
    """Why a staff request from ``from_status`` to ``to_status`` is invalid, naming the allowed targets."""
    allowed = allowed_staff_targets(from_status)
    targets = f"allowed: {', '.join(allowed)}" if allowed else f"no staff transitions from {from_status}"
    return f"Invalid transition: cannot change from {from_status} to {to_status} ({targets})"
