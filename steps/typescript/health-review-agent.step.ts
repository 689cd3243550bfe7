// steps/typescript/health-review-agent.step.ts
import { ApiRouteConfig, Handlers } from 'motia'
import { HEALTH_REVIEW_EMITS, runReview, type ReviewDefinition } from './agent-decision-framework'

const review = {
  agentType: 'health-review',
  label: 'Health review',
  emits: HEALTH_REVIEW_EMITS,
  allowedStatuses: ['in_quarantine', 'healthy', 'available'],
} satisfies ReviewDefinition

export const config: ApiRouteConfig = {
  type: 'api',
  name: 'TsHealthReviewAgent',
  description: 'AI agent: decides whether the pet needs treatment; the orchestrator applies the decision',
  path: '/ts/pets/:id/health-review',
  method: 'POST',
  emits: HEALTH_REVIEW_EMITS.map((emit) => emit.topic),
  flows: ['TsPetManagement'],
}

export const handler: Handlers['TsHealthReviewAgent'] = async (req, ctx) => runReview(review, req.pathParams.id, ctx)
