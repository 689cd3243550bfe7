// steps/javascript/health-review-agent.step.js
const { HEALTH_REVIEW_EMITS, runReview } = require('./agent-decision-framework')

const review = {
  agentType: 'health-review',
  label: 'Health review',
  emits: HEALTH_REVIEW_EMITS,
  allowedStatuses: ['in_quarantine', 'healthy', 'available'],
}

const config = {
  type: 'api',
  name: 'JsHealthReviewAgent',
  description: 'AI agent: decides whether the pet needs treatment; the orchestrator applies the decision',
  path: '/js/pets/:id/health-review',
  method: 'POST',
  emits: HEALTH_REVIEW_EMITS.map((emit) => emit.topic),
  flows: ['JsPetManagement'],
}

const handler = async (req, ctx) => runReview(review, req.pathParams.id, ctx)

module.exports = { config, handler }
