// steps/typescript/adoption-review-agent.step.ts
import { ApiRouteConfig, Handlers } from 'motia'
import { ADOPTION_REVIEW_EMITS, runReview, type ReviewDefinition } from './agent-decision-framework'

const review = {
  agentType: 'adoption-review',
  label: 'Adoption review',
  emits: ADOPTION_REVIEW_EMITS,
  allowedStatuses: ['healthy', 'available'],
} satisfies ReviewDefinition

export const config: ApiRouteConfig = {
  type: 'api',
  name: 'TsAdoptionReviewAgent',
  description: 'AI agent: decides whether the pet is ready for adoption; the orchestrator applies the decision',
  path: '/ts/pets/:id/adoption-review',
  method: 'POST',
  emits: ADOPTION_REVIEW_EMITS.map((emit) => emit.topic),
  flows: ['TsPetManagement'],
}

export const handler: Handlers['TsAdoptionReviewAgent'] = async (req, ctx) => runReview(review, req.pathParams.id, ctx)
