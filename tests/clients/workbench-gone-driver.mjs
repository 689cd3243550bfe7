// A stream update beside a long message, then a trace its server no longer has, in headless Chromium,
// for tests/test_workbench_gone.py:
//   node workbench-gone-driver.mjs /usr/bin/chromium http://127.0.0.1:PORT OUT_DIR SIGNALS_DIR
// Endpoints: sends POST /notes (the app answers with a stream item whose message wraps over many
// lines) and measures the item as written (there when the page subscribed) and its badge. Then opens the request's
// trace and says so (SIGNALS_DIR/trace-open) for the test to stop the server; once the test says
// it has (trace-stopped), waits for the error line above the trace to say a read failed and says so
// (trace-watched) for the test to start the server again, which keeps traces in memory: the trace
// is gone. Once the test says so (trace-back), waits for the health line to say the server is back
// and for the error line to change. Prints RESULT and the JSON of what it saw; the browser's lines
// for the failed loads meanwhile are apart (expectedErrors) from the page's own (consoleErrors).
import { drive, openWorkbench, serverRestarted, wholeShot } from './workbench-page.mjs'

const [executablePath, base, outDir, signals] = process.argv.slice(2)
const result = {}
const WAIT = { timeout: 30000 }

const errorLine = () => page.textContent('[data-load-error="trace"]')
let page

await drive(executablePath, result, async (opened) => {
  page = opened
  // Endpoints: the answer's stream item, synced with its long message
  await openWorkbench(page, base, 'endpoints')
  await page.click('[data-endpoint="POST /notes"]')
  await page.click('form[aria-label="request"] button[type="submit"]')
  await page.waitForSelector('[data-stream-event="written"]', WAIT)
  result.sync = await page.$eval('[data-stream-event="written"]', (line) => ({
    badge: line.querySelector('.badge').getBoundingClientRect().height,
    message: line.querySelector('.message').getBoundingClientRect().height,
  }))
  await wholeShot(page, `${outDir}/workbench-gone-sync.png`)
  const traceId = await page.getAttribute('[data-trace-link]', 'data-trace-link')

  // Its trace, while the server goes away and comes back without it
  await openWorkbench(page, base, 'traces', `#/traces/${traceId}`)
  await page.waitForSelector('.gantt .bar', WAIT)
  const errorsBefore = result.consoleErrors.length
  await serverRestarted(page, signals, 'trace', async () => {
    await page.waitForFunction(() => document.querySelector('[data-load-error="trace"]').textContent !== '', null, WAIT)
    result.whileDown = await errorLine()
  })
  await page.waitForFunction((before) => document.querySelector('[data-load-error="trace"]').textContent !== before, result.whileDown, WAIT)
  await page.waitForTimeout(2500) // a few more reads of the trace (every second)
  result.afterRestart = await errorLine()
  result.traceStillShown = (await page.$$('.gantt .bar')).length > 0
  result.healthLine = await page.textContent('#health')
  await wholeShot(page, `${outDir}/workbench-gone-trace.png`)
  result.expectedErrors = result.consoleErrors.splice(errorsBefore)
})
