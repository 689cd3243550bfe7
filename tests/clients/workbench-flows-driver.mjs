// A flow's nodes lighting up as a trace runs through them, in headless Chromium, for
// tests/test_workbench.py:
//   node workbench-flows-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR FLOW METHOD PATH BODY
// Opens FLOW's diagram, notes each time a node lights up (its class gets "lit") and goes out, then
// sends METHOD PATH with the JSON BODY and waits for its trace to end and the nodes to go out. Prints
// RESULT and the JSON of what it saw: the trace id, the lightings by its trace, [ms since the request,
// step], and the nodes going out.
import { drive, openWorkbench, timedFetch } from './workbench-page.mjs'

const [executablePath, base, outDir, flow, method, path, body] = process.argv.slice(2)
const result = {}

await drive(executablePath, result, async (page) => {
  await openWorkbench(page, base, 'flows', `#/flows/${encodeURIComponent(flow)}`)
  await page.evaluate(() => {
    window.lightings = []
    window.outs = []
    const observer = new MutationObserver((changes) => {
      for (const change of changes) {
        const was = (change.oldValue || '').split(' ').includes('lit')
        const is = change.target.classList.contains('lit')
        if (is && !was) window.lightings.push([performance.now(), change.target.dataset.step, change.target.dataset.litBy])
        if (was && !is) window.outs.push([performance.now(), change.target.dataset.step])
      }
    })
    observer.observe(document.querySelector('.diagram svg'), { subtree: true, attributes: true, attributeFilter: ['class'], attributeOldValue: true })
  })
  const sent = await page.evaluate(() => performance.now())
  const answer = await timedFetch(`${base}${path}`, { method, headers: { 'content-type': 'application/json' }, body })
  result.status = answer.status
  result.traceId = answer.headers.get('x-trace-id')
  for (let tries = 0; ; tries++) {
    const trace = await (await timedFetch(`${base}/__motia/traces/${result.traceId}`)).json()
    if (trace.status !== 'running') break
    if (tries > 300) throw new Error(`trace ${result.traceId} still running after 30 s`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  await page.waitForFunction(() => window.lightings.length > 0 && !document.querySelector('.node.lit'), null, { timeout: 20000 })
  await page.waitForTimeout(1500) // nothing more lights once they are out
  // those of the request's trace (another trace running meanwhile lights nodes too)
  result.lightings = await page.evaluate(
    ([t0, traceId]) => window.lightings.filter(([, , by]) => by === traceId).map(([at, step]) => [Math.round(at - t0), step]),
    [sent, result.traceId],
  )
  result.outs = await page.evaluate((t0) => window.outs.map(([at, step]) => [Math.round(at - t0), step]), sent)
})
