// The Logs panel's level filter, in headless Chromium, for tests/test_workbench.py:
//   node workbench-logs-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR LIVE_PATH LIVE_ERROR LIVE_CRITICAL
// Reads the level choices, selects critical and reads the lines shown and the log requests the page
// made for them; requests LIVE_PATH (a step that logs LIVE_ERROR as an error, then LIVE_CRITICAL as
// critical) and, once the panel has the critical line from its live stream, reads the lines shown
// again; then selects error and, once the panel has both lines, reads them. Then the runner filter:
// the runners it offers; 'python' typed (no python runner logged: no line), then 'node' (the live
// lines, logged on node-0; the stored ones have no runner): the lines shown, the requests made for
// them and the address. Prints RESULT and the JSON of what it saw.
import { drive, openWorkbench, timedFetch } from './workbench-page.mjs'

const [executablePath, base, outDir, livePath, liveError, liveCritical] = process.argv.slice(2)
const result = { requests: [] }
const shown = (page) =>
  page.$$eval('.logs .line', (rows) =>
    rows.map((row) => ({ level: row.querySelector('.badge').textContent, message: row.querySelector('.message').textContent })),
  )
// the step (and runner) each line shows, oldest first
const from = (page) => page.$$eval('.logs .line', (rows) => rows.map((row) => row.children[2].textContent))
// the panel shows the lines up to ``id``
const readTo = (page, id) =>
  page.waitForFunction((wanted) => Number(document.querySelector('.logs')?.dataset.readTo) >= wanted, id, { timeout: 20000 })
// the newest line at ``level`` or above
const newestId = async (level) => {
  const { logs } = await (await timedFetch(`${base}/__motia/logs?limit=1&level=${level}`)).json()
  return logs[0].id
}
// the id of the line saying ``message``, once it is stored
const storedId = async (message) => {
  for (let tries = 0; tries < 200; tries++) {
    const { logs } = await (await timedFetch(`${base}/__motia/logs?q=${encodeURIComponent(message)}`)).json()
    if (logs.length) return logs[0].id
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`no log line ${JSON.stringify(message)} stored in 20 s`)
}

await drive(executablePath, result, async (page) => {
  page.on('request', (request) => {
    const url = new URL(request.url())
    if (url.pathname.startsWith('/__motia/logs')) result.requests.push(`${url.pathname}${url.search}`)
  })

  // a link's other name of a level (Python's warning) chooses that level
  await openWorkbench(page, base, 'logs', '#/logs?level=warning')
  result.linkedWarning = await page.$eval('select[aria-label="level"]', (select) => select.value)
  await openWorkbench(page, base, 'logs')
  result.levels = await page.$$eval('select[aria-label="level"] option', (options) => options.map((o) => o.value))

  result.requests = []
  const streamed = page.waitForRequest((request) => new URL(request.url()).pathname === '/__motia/logs/stream', {
    timeout: 20000,
  })
  streamed.catch(() => {}) // awaited below; not an unhandled rejection if something fails first
  await page.selectOption('select[aria-label="level"]', 'critical')
  result.newestCritical = await newestId('critical')
  await readTo(page, result.newestCritical)
  await streamed
  result.critical = await shown(page)
  result.criticalRequests = [...result.requests]
  await page.screenshot({ path: `${outDir}/workbench-logs-critical.png` })

  const answered = await timedFetch(`${base}${livePath}`)
  result.liveStatus = answered.status
  const liveCriticalId = (result.liveCriticalId = await storedId(liveCritical))
  // The live stream keeps the order lines were recorded in: once the critical line logged after the
  // error line is shown, the error line would be too, had the stream let it through.
  await readTo(page, liveCriticalId)
  result.criticalAfterLive = await shown(page)

  await page.selectOption('select[aria-label="level"]', 'error')
  await readTo(page, liveCriticalId)
  result.error = await shown(page)

  // the runner filter, typed: the server filters, read back and live
  result.runnerChoices = await page.$$eval('#log-runner-names option', (options) => options.map((o) => o.value))
  result.requests = []
  await page.fill('input[aria-label="runner"]', 'python')
  await page.press('input[aria-label="runner"]', 'Enter')
  await page.waitForSelector('[data-no-lines]:not([hidden])', { timeout: 20000 })
  result.python = { lines: await shown(page), hash: await page.evaluate(() => location.hash) }
  await page.fill('input[aria-label="runner"]', 'node')
  await page.press('input[aria-label="runner"]', 'Enter')
  await readTo(page, liveCriticalId)
  result.node = { lines: await shown(page), from: await from(page), hash: await page.evaluate(() => location.hash) }
  await page.waitForFunction(() => document.querySelector('[data-log-status]')?.textContent === 'live', null, { timeout: 20000 })
  result.runnerRequests = [...result.requests]
  await page.screenshot({ path: `${outDir}/workbench-logs-runner.png` })
})
