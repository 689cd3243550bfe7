"""A small order app over TypeScript, JavaScript and Python steps, for the tests that follow one
request's trace: a TS api step (state, stream, log, emit), a JS event step (state, log, emit, and a
virtual emit drawn to a TS noop step), a Python event step that fails its first attempt and succeeds
on the retry; ``POST /boom`` throws at line 5 of its TS file."""

from __future__ import annotations

FILES = {
    "steps/orders.stream.ts": """
        export const config = { name: 'orderUpdates', schema: {}, baseConfig: { storageType: 'default' } }
    """,
    # TS api step: state, stream, log, emit; POST /boom throws at a known line of this file.
    "steps/create.step.ts": """
        export const config = {
          type: 'api', name: 'CreateOrder', path: '/orders', method: 'POST',
          emits: ['order.created'], flows: ['orders'],
        }
        export const handler = async (req: any, { emit, state, logger, streams, traceId }: any) => {
          await state.set('orders', 'o1', { n: req.body.n })
          await streams.orderUpdates.set(traceId, 'created', { message: 'created' })
          logger.info('order received', { n: req.body.n })
          await emit({ topic: 'order.created', data: { n: req.body.n } })
          return { status: 201, body: { traceId } }
        }
    """,
    "steps/boom.step.ts": """
        export const config = { type: 'api', name: 'Boom', path: '/boom', method: 'POST', emits: [] }
        type Body = { why: string }
        export const handler = async (req: { body: Body }) => {
          const why: string = req.body.why
          throw new Error(`boom: ${why}`)
        }
    """,
    "steps/audit.step.ts": """
        export const config = {
          type: 'noop', name: 'Audit', virtualSubscribes: ['order.audited'], virtualEmits: [], flows: ['orders'],
        }
    """,
    "steps/route.step.js": """
        exports.config = {
          type: 'event', name: 'RouteOrder', subscribes: ['order.created'], emits: ['order.routed'],
          flows: ['orders'], virtualEmits: [{ topic: 'order.audited', label: 'audit' }],
        }
        exports.handler = async (input, { emit, logger, state }) => {
          await state.get('orders', 'o1')
          logger.warn('routing slowly', { input })
          await emit({ topic: 'order.routed', data: input })
        }
    """,
    # Python: fails on its first attempt, succeeds on the retry.
    "steps/ship_step.py": """
        config = {
            "type": "event", "name": "ShipOrder", "subscribes": ["order.routed"], "emits": [],
            "flows": ["orders"], "infrastructure": {"queue": {"maxRetries": 2}},
        }

        async def handler(input, ctx):
            tries = await ctx.state.get("tries", ctx.trace_id) or 0
            await ctx.state.set("tries", ctx.trace_id, tries + 1)
            if tries == 0:
                raise ValueError("carrier not ready")
            ctx.logger.info("shipped", {"n": input["n"]})
    """,
}
LANGUAGES = {"CreateOrder": "typescript", "RouteOrder": "javascript", "ShipOrder": "python"}
