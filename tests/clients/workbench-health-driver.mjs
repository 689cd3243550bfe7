// The Workbench of a server whose storage (Redis) is lost, then back, in headless Chromium, for
// tests/test_workbench.py:
//   node workbench-health-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR SIGNALS_DIR
// Opens the State panel (it reads Redis every 3 s) on the healthy server and says so (the file
// SIGNALS_DIR/open) for the test to stop Redis; once the health line says degraded, watches the page
// for QUIET_MS and says so (SIGNALS_DIR/watched) for the test to start Redis again and set an item in
// group "back"; then waits for the line to say ok and the panel to list that group. Prints RESULT and
// the JSON of what it saw: the line, the panel's error, each read that failed (the health line's
// aside), with the console's errors.
import { drive, openWorkbench, say } from './workbench-page.mjs'

const [executablePath, base, outDir, signals] = process.argv.slice(2)
const result = {}
const QUIET_MS = 10000
const WAIT = { timeout: 60000 }

await drive(executablePath, result, async (page) => {
  const isHealth = (request) => new URL(request.url()).pathname.endsWith('/health')
  result.reads = 0 // of the health line, while degraded
  result.failed = [] // [path, whether the line said degraded yet] of each read that failed
  let degraded = false
  const failed = (request) => isHealth(request) || result.failed.push([new URL(request.url()).pathname, degraded])
  page.on('requestfinished', (request) => degraded && isHealth(request) && result.reads++)
  page.on('requestfailed', failed)
  page.on('response', (response) => response.status() >= 400 && failed(response.request()))
  await openWorkbench(page, base, 'state')
  say(signals, 'open')
  await page.waitForSelector('#health[data-health="degraded"]', WAIT)
  degraded = true
  await page.waitForTimeout(QUIET_MS)
  result.line = await page.textContent('#health')
  result.shown = await page.textContent('[data-load-error="groups"]')
  result.failedWhileDown = result.failed.length
  await page.screenshot({ path: `${outDir}/workbench-health-degraded.png` })
  say(signals, 'watched')
  await page.waitForSelector('#health[data-health="ok"]', WAIT)
  await page.waitForSelector('[data-group="back"]', WAIT)
  result.shownBack = await page.textContent('[data-load-error="groups"]')
})
