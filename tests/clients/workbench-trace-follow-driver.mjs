// The Endpoints panel following a request's trace, in headless Chromium, for tests/test_workbench.py:
//   node workbench-trace-follow-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR
// Sends POST /workbench/slow (its event step waits seconds, then writes a stream item) and, once its
// item is shown and the trace settled, POST /workbench/later (its event step dead-lettered, the letter
// replayed once the page has read the trace to its end). Records each read of a request's trace the
// page makes, in order: its row (a listing by its id) or the whole trace, with the `changes` and the
// status it answered. Prints RESULT and the JSON of what it saw: { slow, later }, each { traceId,
// reads: [{ kind: 'row' | 'whole', changes, status, replayed (made after the replay) }], lines }.
import { drive, noteTraceReads, openWorkbench, sendAndFollow, timedFetch } from './workbench-page.mjs'

const [executablePath, base] = process.argv.slice(2)
const result = {}
const shownLines = (page) =>
  page.$$eval('.response [data-stream-event]:not([hidden])', (lines) =>
    lines.map((line) => ({ kind: line.dataset.streamEvent, id: line.querySelector('[data-item-id]').dataset.itemId })),
  )

await drive(executablePath, result, async (page) => {
  let replayed = false
  const reads = noteTraceReads(page, () => ({ replayed }))
  const send = async (endpoint) => {
    await page.click(`[data-endpoint="${endpoint}"]`)
    return sendAndFollow(page)
  }
  await openWorkbench(page, base, 'endpoints')

  const slow = await send('POST /workbench/slow')
  await page.waitForSelector(`.response [data-stream-event][data-group="slow-${slow}"]`, { timeout: 30000 })
  await page.waitForSelector('.response [data-stream-updates][data-following="done"]', { timeout: 30000 })
  result.slow = { traceId: slow, reads: await reads.of(slow), lines: await shownLines(page) }

  // its step fails until the switch is set (the Workbench test sets it too: unset here first)
  const later = async (value) =>
    timedFetch(`${base}/__motia/state/item?groupId=workbench&key=later`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) })
  await later(false)
  const laterTrace = await send('POST /workbench/later')
  await page.waitForSelector('.response [data-stream-updates][data-following="done"]', { timeout: 30000 })
  const listed = await (await timedFetch(`${base}/__motia/dead-letters`)).json()
  const letter = listed.deadLetters.find((dead) => dead.traceId === laterTrace)
  if (!letter) throw new Error(`no dead letter of trace ${laterTrace} once it settled: ${JSON.stringify(listed)}`)
  await later(true)
  replayed = true
  const replay = await timedFetch(`${base}/__motia/dead-letters/${letter.id}/replay`, { method: 'POST' })
  if (!replay.ok) throw new Error(`replaying ${letter.id}: ${replay.status} ${await replay.text()}`)
  await page.waitForSelector(`.response [data-stream-event][data-group="later-${laterTrace}"]`, { timeout: 30000 })
  result.later = { traceId: laterTrace, reads: await reads.of(laterTrace), lines: await shownLines(page) }
  await later(false) // as it was: the Workbench test's own request dead-letters too
})
