// The Workbench's live panels while the server goes away and comes back, in headless Chromium, for
// tests/test_workbench.py:
//   node workbench-outage-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR SIGNALS_DIR
// For each panel in turn (Logs following its lines, Streams following the group "g" of the stream
// "board", Flows lighting its nodes), once it is open: says so (SIGNALS_DIR/<panel>-open) for the
// test to stop the server; once the test says it has (<panel>-stopped), waits for the health line to
// say the server is down, watches the page QUIET_MS more and says so (<panel>-watched) for the test
// to start the server again on the same port and change what the panel shows (a log line "said
// missed", the item "b"); once the test says so (<panel>-back), waits for the line to say the server
// is back, for the panel to show that change, and for one more made then (the line "said after",
// the item "c"). The app's GET /say?word= logs "said <word>", its POST /board/:id sets an item of the
// group "g". Prints RESULT and the JSON of what it saw: for each panel, the requests that failed
// [path, Chromium's error: net::ERR_CONNECTION_REFUSED, net::ERR_ABORTED for one the page cancelled]
// (a health read the page cancels meanwhile is said too: SIGNALS_DIR/<panel>-health-cancelled)
// and the console's errors [text, path] from its opening until the server was back, and what it showed.
// Last, the Logs panel filtered on the step Idle: says so (logs-refused-open), and the test removes
// Idle from the project and what was recorded of it while the server is down; reads what the panel says once the server is back
// and refuses the filter, and the live stream's requests from the stop on (as the others, watched
// QUIET_MS more).
import { drive, openWorkbench, say, serverRestarted, timedFetch } from './workbench-page.mjs'

const [executablePath, base, outDir, signals] = process.argv.slice(2)
const result = { panels: {} }
const QUIET_MS = 8000
const WAIT = { timeout: 30000 }

const ask = async (method, path) => {
  const answer = await timedFetch(`${base}${path}`, { method })
  if (!answer.ok) throw new Error(`${method} ${path}: ${answer.status}`)
}

await drive(executablePath, result, async (page) => {
  let watched = null // { failed, errors } of the outage watched, and its panel
  page.on('requestfailed', (request) => {
    const [path, error] = [new URL(request.url()).pathname, request.failure()?.errorText]
    if (!watched) return
    watched.failed.push([path, error])
    if (path === '/__motia/workbench/health' && error === 'net::ERR_ABORTED') say(signals, `${watched.panel}-health-cancelled`)
  })
  page.on('console', (message) => {
    if (watched && message.type() === 'error') watched.errors.push([message.text(), new URL(message.location().url || base).pathname])
  })
  // the server stopped and started again while ``panel`` is open: what failed meanwhile (not page
  // errors of their own: taken out of result.consoleErrors)
  const outage = async (panel) => {
    const seen = { failed: [], errors: [] }
    const errorsBefore = result.consoleErrors.length
    watched = seen
    Object.defineProperty(seen, 'panel', { value: panel }) // not in the result
    await serverRestarted(page, signals, panel, async () => {
      await page.waitForSelector('#health[data-health="down"]', WAIT)
      await page.waitForTimeout(QUIET_MS)
      await page.screenshot({ path: `${outDir}/workbench-${panel}-server-down.png` })
    })
    watched = null
    result.consoleErrors.splice(errorsBefore)
    return seen
  }

  // Logs: the live tail
  const messages = () => page.$$eval('.logs .line .message', (lines) => lines.map((line) => line.textContent).filter((text) => text.startsWith('said ')))
  const lineShown = (text) =>
    page
      .waitForFunction((wanted) => [...document.querySelectorAll('.logs .line .message')].some((line) => line.textContent === wanted), text, WAIT)
      .catch(() => null)
  await openWorkbench(page, base, 'logs')
  await page.waitForFunction(() => document.querySelector('[data-log-status]').textContent === 'live', null, WAIT)
  await lineShown('said before')
  const logs = await outage('logs')
  await lineShown('said missed')
  await ask('GET', '/say?word=after')
  await lineShown('said after')
  logs.lines = await messages()
  logs.status = await page.textContent('[data-log-status]')
  result.panels.logs = logs

  // Streams: a group chosen, followed live
  const itemShown = (id) => page.waitForSelector(`[data-group-items] [data-item="${id}"]`, WAIT).catch(() => null)
  await openWorkbench(page, base, 'streams')
  await page.click('[data-stream-group="g"]')
  await itemShown('a')
  const streams = await outage('streams')
  await itemShown('b')
  await ask('POST', '/board/c')
  await itemShown('c')
  streams.items = await page.$$eval('[data-group-items] [data-item]', (items) => items.map((item) => item.dataset.item))
  result.panels.streams = streams

  // Flows: its flows read, and traces looked for to light its nodes
  await openWorkbench(page, base, 'flows')
  result.panels.flows = await outage('flows')

  // Logs following the step Idle, which the server back no longer has (nor a line of it): its live
  // stream, opened again, is refused; the panel says why and asks no more
  const following = [] // the live stream's requests from the server's stop on
  page.on('request', (request) => {
    const url = new URL(request.url())
    if (following.asked && url.pathname === '/__motia/logs/stream') following.push(url.search)
  })
  await openWorkbench(page, base, 'logs', '#/logs?step=Idle')
  await page.waitForFunction(() => document.querySelector('[data-log-status]').textContent === 'live', null, WAIT)
  const errorsBefore = result.consoleErrors.length
  following.asked = true
  await serverRestarted(page, signals, 'logs-refused', () => page.waitForSelector('#health[data-health="down"]', WAIT))
  await page.waitForSelector('[data-log-status].error-text', WAIT)
  const refusedAfter = following.length
  await page.waitForTimeout(QUIET_MS)
  await page.screenshot({ path: `${outDir}/workbench-logs-refused.png` })
  result.panels.refused = {
    status: await page.textContent('[data-log-status]'),
    streams: [...following],
    streamsOnceRefused: following.length - refusedAfter,
    errors: result.consoleErrors.splice(errorsBefore).map(([text]) => text), // its outage's, and the refusal's
  }
})
