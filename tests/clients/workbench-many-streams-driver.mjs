// The Endpoints panel following a request's streams, many of them, in headless Chromium, for
// tests/test_workbench_many_streams.py:
//   node workbench-many-streams-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR SIGNALS_DIR
// Sends GET /work from the panel, which writes to the group its trace names in every stream of the
// app: its answer follows them (more streams than Chromium opens connections to one host). Waits for every subscription
// to have synced, then for the panel's poll (GET /__motia/steps, every 2 s) to be answered twice and
// the health line's read once; then the app's POST /touch/:stream/:group sets an item in the last
// stream, which the list shows. Then says so (SIGNALS_DIR/streams-open) for the test to stop the
// server; once the test says it has (streams-stopped), waits for the health line to say the server
// is down and says so (streams-watched) for the test to start it again on its port; once the test
// says so (streams-back), waits for the line to say it is back and sets an item in the first
// stream, which the list shows.
// A wait that is not met is not a failure here: what was seen then is reported. Prints RESULT and
// the JSON of what it saw; the browser's lines for the loads that failed while the server was down
// are apart (expectedErrors) from the page's own (consoleErrors).
import { drive, openWorkbench, serverRestarted, timedFetch } from './workbench-page.mjs'

const [executablePath, base, , signals] = process.argv.slice(2)
const result = {}
const WAIT = { timeout: 20000 }
const met = (waiting) => waiting.then(() => true, () => false)
const touch = async (stream, group) => {
  const touched = await timedFetch(`${base}/touch/${stream}/${group}`, { method: 'POST' })
  if (!touched.ok) throw new Error(`POST /touch/${stream}/${group}: ${touched.status}`)
}

await drive(executablePath, result, async (page) => {
  const sockets = []
  page.on('websocket', (socket) => sockets.push(new URL(socket.url()).pathname))
  const answered = { steps: 0, health: 0 }
  let counting = false
  page.on('requestfinished', (request) => {
    const path = new URL(request.url()).pathname
    if (counting && path === '/__motia/steps') answered.steps++
    if (counting && path === '/__motia/workbench/health') answered.health++
  })
  // an item on the board another request wrote before
  await touch('s1', 'board')
  await openWorkbench(page, base, 'endpoints')
  await page.click('[data-endpoint="GET /work"]')
  await page.click('form[aria-label="request"] button[type="submit"]')
  await page.waitForSelector('.response [data-stream-updates]', WAIT)
  const list = '.response [data-stream-updates]'
  // (the groups followed as its trace is read, until it is done)
  await met(page.waitForFunction((s) => document.querySelector(s).dataset.following === 'done' && document.querySelector(s).dataset.synced === document.querySelector(s).dataset.rooms, list, WAIT))
  result.rooms = Number(await page.getAttribute(list, 'data-rooms'))
  result.synced = Number(await page.getAttribute(list, 'data-synced'))
  result.board = await page.$$eval(`${list} [data-group="board"]`, (lines) =>
    lines.map((line) => ({ kind: line.dataset.streamEvent, id: line.querySelector('[data-item-id]').dataset.itemId, hidden: line.hidden })),
  )
  result.others = await page.getAttribute('.response [data-others]', 'data-others')
  counting = true
  const deadline = Date.now() + 20000
  while ((answered.steps < 2 || answered.health < 1) && Date.now() < deadline) await page.waitForTimeout(200)
  result.answered = answered
  // the last stream's group, changed: shown
  const traceId = (result.traceId = await page.getAttribute('.response [data-trace-link]', 'data-trace-link'))
  const lines = `${list} [data-stream-event]`
  const createdIn = (stream) => met(page.waitForFunction(([s, wanted]) => [...document.querySelectorAll(s)].some((line) => line.dataset.streamEvent === 'create' && line.children[2].textContent === wanted), [lines, stream], WAIT))
  await touch('s7', traceId)
  result.created = await createdIn('s7')
  result.touchedMarked = await met(page.waitForSelector(`${list} .elsewhere[data-stream="s7"][data-stream-event="create"]`, WAIT))

  // the server stopped and started again: the socket closed, opened again once the health line sees
  // the server back, every subscription joined again
  const errorsBefore = result.consoleErrors.length
  await serverRestarted(page, signals, 'streams', () => page.waitForSelector('#health[data-health="down"]', WAIT))
  await touch('s1', traceId)
  result.createdAfterRestart = await createdIn('s1')
  result.expectedErrors = result.consoleErrors.splice(errorsBefore)
  result.errorShown = await page.evaluate(() => document.querySelector('.response .error-text')?.textContent ?? '')
  result.sockets = sockets
})
