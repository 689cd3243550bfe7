// The Traces panel's timeline and the Flows panel's lighting following a running trace, in headless
// Chromium, for tests/test_workbench.py:
//   node workbench-trace-rows-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR
// For each, sends POST /workbench/slow (its event step waits seconds, then writes a stream item and
// emits to a step that logs a line) and follows its trace to its end: in the Traces panel, opened on
// the trace as soon as it is answered; in the Flows panel, the diagram of WorkbenchSlow opened before.
// Prints RESULT and the JSON of what it saw: { traces: { traceId, reads, status, spans: [{ step,
// status }], ticks: [the types of the timeline's ticks] }, flows: { traceId, reads, lit: [the steps
// the trace lit, in order] } }, reads as workbench-page.mjs's noteTraceReads notes them.
import { drive, noteTraceReads, openWorkbench, timedFetch } from './workbench-page.mjs'

const [executablePath, base] = process.argv.slice(2)
const result = {}
const WAIT = { timeout: 30000 }

const send = async () => {
  const answer = await timedFetch(`${base}/workbench/slow`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
  if (answer.status !== 202) throw new Error(`POST /workbench/slow: ${answer.status} ${await answer.text()}`)
  return answer.headers.get('x-trace-id')
}
// once the trace, as the server has it, ran to its end
const ended = async (traceId) => {
  for (let tries = 0; ; tries++) {
    const answer = await timedFetch(`${base}/__motia/traces/${traceId}`)
    if (answer.ok && (await answer.json()).status !== 'running') return
    if (tries > 300) throw new Error(`trace ${traceId} still running after 30 s`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

await drive(executablePath, result, async (page) => {
  const reads = noteTraceReads(page)

  // ---- Traces: the timeline of the trace while it runs
  const traced = await send()
  await openWorkbench(page, base, 'traces', `#/traces/${traced}`)
  await ended(traced)
  // the span that began once the wait was over, ended, and none running
  await page.waitForFunction(
    () => document.querySelector('[data-span-label="WorkbenchSlowDone"]') && !document.querySelector('.gantt .bar.running'),
    null,
    WAIT,
  )
  result.traces = {
    traceId: traced,
    reads: await reads.of(traced),
    status: await page.textContent('main h2 .badge'),
    spans: await page.$$eval('[data-span-label]', (labels) => labels.map((label) => ({ step: label.dataset.spanLabel, status: label.querySelector('.badge').textContent }))),
    ticks: await page.$$eval('.gantt .tick', (ticks) => ticks.map((tick) => tick.dataset.event)),
  }

  // ---- Flows: the nodes the trace lights as it runs through them
  await openWorkbench(page, base, 'flows', '#/flows/WorkbenchSlow')
  await page.evaluate(() => {
    window.lightings = []
    const observer = new MutationObserver((changes) => {
      for (const change of changes) {
        const was = (change.oldValue || '').split(' ').includes('lit')
        if (change.target.classList.contains('lit') && !was) window.lightings.push([change.target.dataset.step, change.target.dataset.litBy])
      }
    })
    observer.observe(document.querySelector('.diagram svg'), { subtree: true, attributes: true, attributeFilter: ['class'], attributeOldValue: true })
  })
  const lit = await send()
  await ended(lit)
  await page.waitForFunction(
    (traceId) => window.lightings.some(([step, by]) => step === 'WorkbenchSlowDone' && by === traceId) && !document.querySelector('.node.lit'),
    lit,
    WAIT,
  )
  result.flows = {
    traceId: lit,
    reads: await reads.of(lit),
    lit: await page.evaluate((traceId) => window.lightings.filter(([, by]) => by === traceId).map(([step]) => step), lit),
  }
})
