# steps/python/health_review_agent_step.py
from services.agent_decision_framework import HEALTH_REVIEW_EMITS, ReviewDefinition, run_review

review = ReviewDefinition(
    agent_type="health-review",
    label="Health review",
    emits=HEALTH_REVIEW_EMITS,
    allowed_statuses=["in_quarantine", "healthy", "available"],
)

config = {
    "type": "api",
    "name": "PyHealthReviewAgent",
    "description": "AI agent: decides whether the pet needs treatment; the orchestrator applies the decision",
    "path": "/py/pets/:id/health-review",
    "method": "POST",
    "emits": [emit.topic for emit in HEALTH_REVIEW_EMITS],
    "flows": ["PyPetManagement"],
}


async def handler(req, context):
    return await run_review(review, req["pathParams"]["id"], context)
