# steps/python/adoption_review_agent_step.py
from services.agent_decision_framework import ADOPTION_REVIEW_EMITS, ReviewDefinition, run_review

review = ReviewDefinition(
    agent_type="adoption-review",
    label="Adoption review",
    emits=ADOPTION_REVIEW_EMITS,
    allowed_statuses=["healthy", "available"],
)

config = {
    "type": "api",
    "name": "PyAdoptionReviewAgent",
    "description": (
        "AI agent: decides whether the pet is ready for adoption; the orchestrator applies the decision"
    ),
    "path": "/py/pets/:id/adoption-review",
    "method": "POST",
    "emits": [emit.topic for emit in ADOPTION_REVIEW_EMITS],
    "flows": ["PyPetManagement"],
}


async def handler(req, context):
    return await run_review(review, req["pathParams"]["id"], context)
