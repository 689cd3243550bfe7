// A request's event step lost with its supervisor, in headless Chromium, for tests/test_scale_out.py:
//   node workbench-lost-span-driver.mjs /usr/bin/chromium http://A OUT_DIR FLOW B_PID
// Opens FLOW's diagram on A; sends POST /hello to A three times at once (A claims two events, its
// window: the third is B's) and, once a request's Greeted has logged on B and its node is lit, kills
// B (SIGKILL, B_PID). Once A has marked it lost and run it again to its end (the trace settled),
// notes the nodes still lit after a wait for them to go out (lit: [step]) and opens the trace in the
// Traces panel. Prints RESULT and the JSON of what it saw: traceId, lit, and bars, each span's
// { status, right } (its bar's right edge, as a fraction of the timeline's width, to 3 places).
import { drive, openWorkbench, timedFetch, wholeShot } from './workbench-page.mjs'

const [executablePath, a, outDir, flow, bPid] = process.argv.slice(2)
const result = {}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// the first of ``traceIds`` whose Greeted logged on B, once one has
async function onB(traceIds) {
  for (let tries = 0; tries < 600; tries++) {
    for (const traceId of traceIds) {
      const { logs } = await (await timedFetch(`${a}/__motia/logs?traceId=${traceId}&q=${encodeURIComponent('greeted 1 on B')}`)).json()
      if (logs.length) return traceId
    }
    await sleep(100)
  }
  throw new Error(`no Greeted of ${traceIds} logged on B in 60 s`)
}

await drive(executablePath, result, async (page) => {
  await openWorkbench(page, a, 'flows', `#/flows/${encodeURIComponent(flow)}`)
  await page.evaluate(() => {
    window.litBy = []
    const noted = (changes) => changes.forEach((change) => change.target.dataset.litBy && window.litBy.push(change.target.dataset.litBy))
    new MutationObserver(noted).observe(document.querySelector('.diagram svg'), { subtree: true, attributes: true, attributeFilter: ['data-lit-by'] })
  })
  const sent = await Promise.all(
    [0, 1, 2].map(async () => (await timedFetch(`${a}/hello`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).headers.get('x-trace-id')),
  )
  const traceId = (result.traceId = await onB(sent))
  // its span lit Greeted's node (maybe lit already by another trace's: it names the latest)
  await page.waitForFunction((id) => window.litBy.includes(id), traceId, { timeout: 30000 })
  process.kill(Number(bPid), 'SIGKILL')
  for (let tries = 0; ; tries++) {
    const trace = await (await timedFetch(`${a}/__motia/traces/${traceId}`)).json()
    if (trace.status !== 'running') break
    if (tries > 1200) throw new Error(`trace ${traceId} still running 120 s after B was killed`)
    await sleep(100)
  }
  try {
    await page.waitForFunction(() => !document.querySelector('.node.lit'), null, { timeout: 20000 })
  } catch {} // what is still lit is the result
  result.lit = await page.$$eval('.node.lit', (nodes) => nodes.map((node) => node.dataset.step))

  await openWorkbench(page, a, 'traces', `#/traces/${traceId}`)
  await page.waitForSelector('[data-span-label] + .track [data-span]')
  result.bars = await page.$$eval('.track', (tracks) =>
    tracks.map((track) => {
      const bar = track.querySelector('[data-span]').getBoundingClientRect()
      const whole = track.getBoundingClientRect()
      const status = track.previousElementSibling.querySelector('.badge').textContent
      return { status, right: Math.round(((bar.right - whole.left) / whole.width) * 1000) / 1000 }
    }),
  )
  await wholeShot(page, `${outDir}/workbench-lost-span.png`)
})
