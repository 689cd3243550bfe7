// The Logs panel's level filter, in headless Chromium, for tests/test_workbench.py:
//   node workbench-logs-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR LIVE_PATH LIVE_MESSAGE
// Reads the level choices, selects critical and reads the lines shown and the log requests the page
// made for them; requests LIVE_PATH (a step that logs LIVE_MESSAGE as an error) and, once that line is
// stored, reads the lines shown again; then selects error and, once the panel has that line from its
// live stream, reads them. Prints RESULT and the JSON of what it saw.
import { drive, openWorkbench } from './workbench-page.mjs'

const [executablePath, base, outDir, livePath, liveMessage] = process.argv.slice(2)
const result = { requests: [] }
const shown = (page) =>
  page.$$eval('.logs .line', (rows) =>
    rows.map((row) => ({ level: row.querySelector('.badge').textContent, message: row.querySelector('.message').textContent })),
  )
// the panel shows the lines up to ``id``
const readTo = (page, id) =>
  page.waitForFunction((wanted) => Number(document.querySelector('.logs')?.dataset.readTo) >= wanted, id, { timeout: 20000 })
// the newest line at ``level`` or above
const newestId = async (level) => {
  const { logs } = await (await fetch(`${base}/__motia/logs?limit=1&level=${level}`)).json()
  return logs[0].id
}

await drive(executablePath, result, async (page) => {
  page.on('request', (request) => {
    const url = new URL(request.url())
    if (url.pathname.startsWith('/__motia/logs')) result.requests.push(`${url.pathname}${url.search}`)
  })

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

  const answered = await fetch(`${base}${livePath}`)
  result.liveStatus = answered.status
  let liveId = null
  for (let tries = 0; liveId === null && tries < 200; tries++) {
    const { logs } = await (await fetch(`${base}/__motia/logs?q=${encodeURIComponent(liveMessage)}`)).json()
    liveId = logs.length ? logs[0].id : null
    if (liveId === null) await new Promise((resolve) => setTimeout(resolve, 100))
  }
  // The server left the line out of the critical stream, so nothing tells when the page would have
  // had it: it was sent to the stream when recorded (before it was stored), this gives it time to land.
  await page.waitForTimeout(500)
  result.criticalAfterLive = await shown(page)

  await page.selectOption('select[aria-label="level"]', 'error')
  await readTo(page, liveId)
  result.error = await shown(page)
})
