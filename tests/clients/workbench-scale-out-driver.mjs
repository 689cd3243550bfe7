// The Workbench of supervisor A following what supervisor B (same project, same Redis) runs, in
// headless Chromium, for tests/test_scale_out.py:
//   node workbench-scale-out-driver.mjs /usr/bin/chromium http://A http://B OUT_DIR
// POST /hello (its step Hello) emits 'greeted'; the event step Greeted logs 'greeted N on <A|B>' (info
// and warn) and updates the stream item of the request five times, a second and a half apart. Which
// supervisor runs an event is the queue's choice: a request is sent again until its Greeted runs on B.
//   trace: A's Traces panel on a request sent to A whose Greeted runs on B, read while it runs: each
//     read { status, lines } (the messages of its rows), up to the read that shows it settled;
//     traceId, its id; ranOn, what its Greeted span's details say ran it;
//   endpoint: the same sent from A's Endpoints panel: its stream lines ({ kind, n }) once n 5 shows;
//   logs: A's Logs panel at level warn and step Greeted, following: the lines it shows ({ level, step,
//     message }) once B's fifth warn line of a request sent then is among them;
//   state: A's and B's State panels on group 'shared' (keys one, two): B's rows ([key, value]) once
//     'one' is saved in A's panel, then once 'two' is deleted there.
// Prints RESULT and the JSON of what it saw.
import { drive, openWorkbench, sendAndFollow, timedFetch, wholeShot } from './workbench-page.mjs'

const [executablePath, a, b, outDir] = process.argv.slice(2)
const result = {}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// the supervisor ('A' or 'B') that ran Greeted in the trace, once its first line is stored
async function ranOn(traceId) {
  for (let tries = 0; tries < 300; tries++) {
    const { logs } = await (await timedFetch(`${a}/__motia/logs?traceId=${traceId}&q=${encodeURIComponent('greeted 1 on')}`)).json()
    if (logs.length) return logs[0].message.slice(-1)
    await sleep(100)
  }
  throw new Error(`trace ${traceId}: no 'greeted 1 on' line in 30 s`)
}

const post = async () => {
  const response = await timedFetch(`${a}/hello`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
  return response.headers.get('x-trace-id')
}

// ``send()`` (answering a trace id) again until the trace's Greeted runs on B: its trace id. Two
// requests sent to A first fill A's window (the event it runs and the one it claims next): A, which
// hears of its own emits at once, takes an event whenever it has room for it.
async function sentUntilOnB(send) {
  for (let tries = 0; tries < 5; tries++) {
    await post()
    await post()
    const traceId = await send()
    if ((await ranOn(traceId)) === 'B') return traceId
  }
  throw new Error('no Greeted ran on B in 5 tries')
}

await drive(executablePath, result, async (page) => {
  // Traces: the timeline of a trace begun on A, its Greeted on B, read while it runs
  const traced = await sentUntilOnB(post)
  await openWorkbench(page, a, 'traces', `#/traces/${traced}`)
  result.trace = []
  for (let reads = 0; reads < 300; reads++) {
    const read = await page.evaluate(() => ({
      status: document.querySelector('[data-span-label="Greeted"] .badge')?.textContent ?? null,
      lines: [...document.querySelectorAll('[data-event-row] td:last-child')].map((cell) => cell.textContent),
    }))
    const last = result.trace.at(-1)
    if (!last || JSON.stringify(last) !== JSON.stringify(read)) result.trace.push(read)
    if (read.status === 'ok' || read.status === 'error') break
    await sleep(100)
  }
  // its Greeted span's details: which runner of which supervisor ran it
  const { spans } = await (await timedFetch(`${a}/__motia/traces/${traced}`)).json()
  await page.click(`[data-span="${spans.find((span) => span.step === 'Greeted').spanId}"]`)
  result.traceId = traced
  result.ranOn = await page.textContent('[data-selected] [data-ran-on]', { timeout: 10000 })
  await wholeShot(page, `${outDir}/workbench-scale-out-trace.png`)

  // Endpoints: the stream item a request sent from A's panel answered, updated by Greeted on B
  await openWorkbench(page, a, 'endpoints')
  await page.click('[data-endpoint="POST /hello"]')
  await sentUntilOnB(() => sendAndFollow(page))
  const streamLines = () =>
    page.$$eval('.response [data-stream-event]:not([hidden])', (lines) =>
      lines.map((line) => ({ kind: line.dataset.streamEvent, n: JSON.parse(line.querySelector('.message').textContent).n ?? null })),
    )
  await page.waitForFunction(
    () => [...document.querySelectorAll('.response [data-stream-event]:not([hidden]) .message')].some((message) => JSON.parse(message.textContent).n === 5),
    null,
    { timeout: 30000 },
  )
  result.endpoint = await streamLines()
  await wholeShot(page, `${outDir}/workbench-scale-out-endpoint.png`)

  // Logs: following at level warn, step Greeted, the lines of a request whose Greeted runs on B
  await openWorkbench(page, a, 'logs', '#/logs?level=warn&step=Greeted')
  const logged = await sentUntilOnB(post)
  await page.waitForFunction(
    (tail) => [...document.querySelectorAll('.logs .line')].some((row) => row.textContent.includes(tail) && row.textContent.includes('warn greeted 5 on B')),
    logged.slice(-8),
    { timeout: 30000 },
  )
  result.logs = await page.$$eval('.logs .line', (rows) =>
    rows.map((row) => ({ level: row.querySelector('.badge').textContent, step: row.children[2].textContent, message: row.querySelector('.message').textContent })),
  )
  await wholeShot(page, `${outDir}/workbench-scale-out-logs.png`)

  // State: an edit and a delete in A's panel, seen in B's
  const pageB = await page.context().newPage()
  pageB.on('pageerror', (error) => result.consoleErrors.push(`B: ${error}`))
  pageB.on('console', (message) => message.type() === 'error' && result.consoleErrors.push(`B: ${message.text()}`))
  for (const [shown, base] of [[page, a], [pageB, b]]) {
    await openWorkbench(shown, base, 'state')
    await shown.click('[data-group="shared"]')
    await shown.waitForSelector('[data-key="two"]')
  }
  const rowsOfB = () => pageB.$$eval('[data-key]', (rows) => rows.map((row) => [row.dataset.key, JSON.parse(row.querySelector('pre.json').textContent)]))
  await page.click('[data-edit="one"]')
  await page.fill('[data-value-of="one"]', '{"v": 2}')
  await page.click('[data-save="one"]')
  await pageB.waitForFunction(() => document.querySelector('[data-key="one"] pre.json')?.textContent.includes('2'), null, { timeout: 20000 })
  result.stateEdited = await rowsOfB()
  await page.click('[data-delete="two"]')
  await page.click('[data-confirm-delete="two"]')
  await pageB.waitForSelector('[data-key="two"]', { state: 'detached', timeout: 20000 })
  result.stateDeleted = await rowsOfB()
  await wholeShot(pageB, `${outDir}/workbench-scale-out-state-b.png`)
})
