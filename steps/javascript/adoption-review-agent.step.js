// steps/javascript/adoption-review-agent.step.js
const { ADOPTION_REVIEW_EMITS, runReview } = require('./agent-decision-framework')

const review = {
  agentType: 'adoption-review',
  label: 'Adoption review',
  emits: ADOPTION_REVIEW_EMITS,
  allowedStatuses: ['healthy', 'available'],
}

const config = {
  type: 'api',
  name: 'JsAdoptionReviewAgent',
  description: 'AI agent: decides whether the pet is ready for adoption; the orchestrator applies the decision',
  path: '/js/pets/:id/adoption-review',
  method: 'POST',
  emits: ADOPTION_REVIEW_EMITS.map((emit) => emit.topic),
  flows: ['JsPetManagement'],
}

const handler = async (req, ctx) => runReview(review, req.pathParams.id, ctx)

module.exports = { config, handler }
